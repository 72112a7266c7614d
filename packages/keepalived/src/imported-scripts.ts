import { NOTIFY_APPENDS, ScriptNamer, type SuggestedScript, splitCommand } from "@lvsfleet/model";
import type { ScriptNode } from "./ast.ts";
import type { Diagnostics, SourceLocation } from "./diagnostics.ts";

/**
 * The scripts a keepalived.conf runs, each turned into a name for the spec (a spec names scripts,
 * the directors' allowlists map names to programs): one name per distinct program and arguments,
 * from the program's file name, made unique with -2, -3… Collects the `scripts` section to add to
 * every director's --actions-file, and warns once per script with its entry.
 */
export class ImportedScripts {
  private readonly namer = new ScriptNamer();

  constructor(private readonly diagnostics: Diagnostics) {}

  /** The name the spec gets for this script (keyword: misc_path, quorum_up, notify_master, notify…). */
  name(script: ScriptNode, keyword: string, at: SourceLocation): string {
    const argv = splitCommand(script.command);
    const command = keyword === "notify" ? [...argv, ...NOTIFY_APPENDS] : argv;
    if (script.user !== undefined)
      this.diagnostics.warn(
        "note",
        at,
        `${keyword}: run-as user '${script.user}'${script.group ? ` and group '${script.group}'` : ""} dropped; lvsfleet runs scripts as the director agent's user`,
        "if the words after the script were meant as its arguments, quote the whole command line",
      );
    const { name, added } = this.namer.name(command, `from keepalived.conf ${keyword} at ${at.file}:${at.line}`);
    if (!added) return name;
    const absolute = (argv[0] ?? "").startsWith("/");
    this.diagnostics.warn(
      "script",
      at,
      `${keyword} "${script.command}" becomes the script "${name}": a director runs it only if its own allowlist (--actions-file, section scripts) has "${name}": ${JSON.stringify({ command })}`,
      `${absolute ? "" : `write the absolute path of ${argv[0] ?? "the program"} in command[0] (no PATH lookup); `}lvsctl import prints the whole scripts section to add to each director's actions file`,
    );
    return name;
  }

  /** The suggested `scripts` section, by name. */
  section(): Record<string, SuggestedScript> {
    return this.namer.section();
  }
}
