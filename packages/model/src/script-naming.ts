/**
 * How a program a spec used to run (a keepalived command line: misc_path, quorum_up/down, notify…)
 * gets its script name, for the keepalived import and for the migration of specs stored before
 * scripts were named: from the program's file name, one name per distinct command, made unique with
 * -2, -3… The entries found make the `scripts` section each director's --actions-file needs.
 */

/** One entry of a suggested `scripts` section (an allowlist entry without its timeout). */
export interface SuggestedScript {
  command: string[];
  description: string;
}

/** A script name from a program's file name: `/usr/local/bin/Check_Web.sh` → `check_web`. */
export function scriptNameOf(program: string): string {
  const base = (program.split("/").pop() ?? "").replace(/\.(sh|bash|py|pl|rb)$/i, "");
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 63);
  return name || "script";
}

/**
 * Names commands: the same command (program and arguments) always gets the same name, another
 * command another name — never one of `taken` (names already in use where the new ones go).
 */
export class ScriptNamer {
  private readonly byCommand = new Map<string, string>();
  private readonly entries = new Map<string, SuggestedScript>();

  constructor(private readonly taken: ReadonlySet<string> = new Set()) {}

  /** The name of this command; `added` when it is new (its entry records `description`). */
  name(command: readonly string[], description: string): { name: string; added: boolean } {
    const key = JSON.stringify(command);
    const known = this.byCommand.get(key);
    if (known !== undefined) return { name: known, added: false };
    const base = scriptNameOf(command[0] ?? "");
    let name = base;
    for (let n = 2; this.entries.has(name) || this.taken.has(name); n++)
      name = `${base.slice(0, 62 - String(n).length)}-${n}`;
    this.byCommand.set(key, name);
    this.entries.set(name, { command: [...command], description });
    return { name, added: true };
  }

  /** The suggested `scripts` section, by name, in the order the names were given. */
  section(): Record<string, SuggestedScript> {
    return Object.fromEntries(this.entries);
  }
}
