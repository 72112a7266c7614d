// Removes lab namespaces left behind: those whose owning process (the pid in the name) is gone,
// or, with --prefix P, those of run P. Kills the processes still inside them first (they can
// only be the lab's: agents, web servers, relays), and the lab's processes in the machine's own
// namespace (Redis, the server, relays), which carry LVSLAB_RUN=<run> in their environment, and
// the run's directory in the temp directory. Prints {"removed":[...],"killed":[...]}.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const NAME = /^lvslab(\d+)x[0-9a-f]+-/;
const args = process.argv.slice(2);
const prefix = args.includes("--prefix") ? args[args.indexOf("--prefix") + 1] : undefined;

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
};

const ours = (run) => {
  const match = NAME.exec(`${run}-`);
  if (!match) return false;
  return prefix ? run === prefix : !alive(Number(match[1]));
};

// Processes started with the environment of a run to sweep (the marker is never inherited by the test itself).
const killed = [];
for (const entry of readdirSync("/proc")) {
  if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
  let environ;
  try {
    environ = readFileSync(`/proc/${entry}/environ`, "utf8");
  } catch {
    continue;
  }
  const run = environ
    .split("\0")
    .find((v) => v.startsWith("LVSLAB_RUN="))
    ?.slice("LVSLAB_RUN=".length);
  if (!run || !ours(run)) continue;
  try {
    process.kill(Number(entry), "SIGKILL");
    killed.push(Number(entry));
  } catch {}
}

const removed = [];
const namespaces = execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
  .split("\n")
  .map((line) => line.split(" ")[0])
  .filter(Boolean);
for (const ns of namespaces) {
  const match = NAME.exec(ns);
  if (!match) continue;
  if (prefix ? !ns.startsWith(`${prefix}-`) : alive(Number(match[1]))) continue;
  const pids = execFileSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).split("\n").filter(Boolean).map(Number);
  for (const pid of pids)
    if (pid !== process.pid)
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
  try {
    execFileSync("ip", ["netns", "del", ns]);
    removed.push(ns);
  } catch (error) {
    process.stderr.write(`cannot delete ${ns}: ${error.message}\n`);
  }
}
// The run's files (sockets, state directories, Redis), once nothing uses them.
for (const entry of readdirSync(tmpdir())) {
  const run = /^(lvslab\d+x[0-9a-f]+)-/.exec(entry)?.[1];
  if (run && ours(run)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify({ removed, killed })}\n`);
