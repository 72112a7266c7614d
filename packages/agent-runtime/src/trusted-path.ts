import { lstatSync, readlinkSync, type Stats } from "node:fs";
import { dirname, join, resolve } from "node:path";

/**
 * Whether a file the agent takes orders from (its allowlist) or runs (a program the allowlist names)
 * can be changed by someone other than root and the agent's own user: that someone would get the
 * agent's authority (root, on a real host). The kernel's own walk is followed, from `/`, through every
 * symbolic link (whose target may be relative or absolute): each entry met must be owned by root or
 * the agent's user; each directory met, and the file at the end, must not be writable by its group or
 * others — except a directory with the sticky bit (`/tmp`), where others cannot rename or remove an
 * entry they do not own. A path that does not exist (a program installed later) is judged by the
 * directories that lead to where it would be: the last one must not be writable by others at all.
 * As the OpenSSH StrictModes and sudo checks do. Checked once, when the allowlist is read.
 */

/** Who may hold authority over the file: root, and the user the agent runs as. */
export interface TrustedOwners {
  agentUid: number;
}

const MAX_LINKS = 40;

function mode(stat: Stats): string {
  return (stat.mode & 0o7777).toString(8).padStart(4, "0");
}

function writers(stat: Stats): string {
  const group = (stat.mode & 0o020) !== 0;
  const others = (stat.mode & 0o002) !== 0;
  return group && others ? "its group and others" : group ? "its group" : "others";
}

function ownerProblem(entry: string, stat: Stats, owners: TrustedOwners): string | undefined {
  if (stat.uid === 0 || stat.uid === owners.agentUid) return undefined;
  const agent = owners.agentUid === 0 ? "root, the agent's user" : `root or the agent's user (uid ${owners.agentUid})`;
  return `${entry} is owned by uid ${stat.uid}, not ${agent}: that user can change it (fix: chown ${stat.isSymbolicLink() ? "-h " : ""}root ${entry})`;
}

function writableProblem(entry: string, stat: Stats, onTheWayTo?: string): string | undefined {
  if ((stat.mode & 0o022) === 0) return undefined;
  if (stat.isDirectory() && (stat.mode & 0o1000) !== 0) return undefined;
  const where = onTheWayTo ? ` (a directory on the way to ${onTheWayTo})` : "";
  return `${entry}${where} is writable by ${writers(stat)} (mode ${mode(stat)}): they can change what the agent runs as its user (fix: chmod go-w ${entry})`;
}

/** The first reason why `path` is not safe to take orders from, or undefined when it is. */
export function untrustedPathProblem(path: string, owners: TrustedOwners): string | undefined {
  const absolute = resolve(path);
  const root = lstatSync("/");
  const rootProblem = ownerProblem("/", root, owners) ?? writableProblem("/", root, absolute);
  if (rootProblem) return rootProblem;
  let pending = absolute.split("/").filter(Boolean);
  let current = "/";
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift() as string;
    if (name === ".") continue;
    if (name === "..") {
      current = dirname(current);
      continue;
    }
    const entry = join(current, name);
    let stat: Stats;
    try {
      stat = lstatSync(entry);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Under a file nothing can ever be created: the program cannot run, and nobody can change that.
      if (code === "ENOTDIR") return undefined;
      if (code !== "ENOENT") return `cannot check ${entry} (on the way to ${absolute}): ${code ?? error}`;
      // Nothing there yet: whoever can create it here decides what it will be (the sticky bit does not help).
      const parent = lstatSync(current);
      if ((parent.mode & 0o022) === 0) return undefined;
      return `${absolute} does not exist, and ${current} is writable by ${writers(parent)} (mode ${mode(parent)}): they could put a program there (fix: chmod go-w ${current}, or install ${entry} first)`;
    }
    const last = pending.length === 0 && !stat.isSymbolicLink();
    const problem =
      ownerProblem(entry, stat, owners) ??
      (stat.isSymbolicLink() ? undefined : writableProblem(entry, stat, last ? undefined : absolute));
    if (problem) return problem;
    if (stat.isSymbolicLink()) {
      links += 1;
      if (links > MAX_LINKS) return `${absolute}: too many symbolic links`;
      const target = readlinkSync(entry);
      pending = [...target.split("/").filter(Boolean), ...pending];
      if (target.startsWith("/")) current = "/";
    } else current = entry;
  }
  return undefined;
}
