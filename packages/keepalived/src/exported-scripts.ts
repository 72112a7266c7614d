import { type FieldError, joinCommand, NOTIFY_APPENDS } from "@lvsfleet/model";

/** Where an exported keepalived.conf expects a script when no allowlist says where it is. */
export const EXPORTED_SCRIPT_DIR = "/etc/lvsfleet/scripts";

/** A director's allowlisted scripts (the `scripts` section of its --actions-file), as export reads them. */
export type AllowlistScripts = Readonly<Record<string, { readonly command: readonly string[] }>>;

const PLACEHOLDER = /\{([a-z]+)\}/g;

/**
 * Writes the spec's named scripts as keepalived command lines. With the director's allowlist, each
 * is its real program and arguments, placeholders filled with what is known at that place (a misc
 * check's real server, a quorum's service and up/down, a notify's instance, state and priority);
 * for `notify` the trailing {type} {instance} {state} {priority} are left to keepalived, which
 * appends them. Without it (or for a name it lacks) the command is `/etc/lvsfleet/scripts/NAME`,
 * with a warning: keepalived accepts the file, and runs the script once it is put there.
 */
export class ExportedScripts {
  private readonly warned = new Set<string>();

  constructor(
    private readonly allowlist: AllowlistScripts | undefined,
    private readonly warnings: FieldError[],
  ) {}

  /** The command line for the script `name` at `field` (keyword: misc_path, quorum_up, notify_master, notify…). */
  command(name: string, field: string, keyword: string, values: Readonly<Record<string, string>>): string {
    const entry = this.allowlist && Object.hasOwn(this.allowlist, name) ? this.allowlist[name] : undefined;
    if (!entry) {
      const path = `${EXPORTED_SCRIPT_DIR}/${name}`;
      if (!this.warned.has(name)) {
        this.warned.add(name);
        this.warnings.push({
          field,
          message: this.allowlist
            ? `script ${name} is not in the allowlist given: written as ${path}; put the program there, or add ${name} to the allowlist`
            : `script ${name}: written as ${path}; put the program there, or export with the director's allowlist (lvsctl export --scripts FILE) to write its real command`,
        });
      }
      return path;
    }
    let argv = [...entry.command];
    if (keyword === "notify" && argv.slice(-4).join(" ") === NOTIFY_APPENDS.join(" ")) argv = argv.slice(0, -4);
    const [program = "", ...args] = argv;
    const out = [program];
    for (const arg of args) {
      const missing = [...arg.matchAll(PLACEHOLDER)].map((m) => m[1] as string).filter((p) => values[p] === undefined);
      if (missing.length > 0)
        this.warnings.push({
          field,
          message: `script ${name}: keepalived's ${keyword} cannot pass ${missing.map((p) => `{${p}}`).join(", ")} there; argument ${JSON.stringify(arg)} left out`,
        });
      else out.push(arg.replace(PLACEHOLDER, (_w, p: string) => values[p] as string));
    }
    return joinCommand(out);
  }
}
