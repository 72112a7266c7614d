import { z } from "zod";
import { isIpAddress } from "./address.ts";
import { SCRIPT_NAME } from "./script-name.ts";

/**
 * A director's allowlist of scripts: the `scripts` section of its `--actions-file`, next to
 * `actions` (same entry format), e.g.
 *
 *   {"scripts": {"check-web": {"command": ["/usr/local/lib/lvsfleet/check-web", "{address}", "{port}"],
 *                              "timeoutSeconds": 5}}}
 *
 * The program is an absolute path, run without a shell (execFile, an argument array). Arguments may
 * hold placeholders that the agent fills, for each run, with values it validated itself: a whole
 * argument (`"{address}"`) or part of one (`"--port={port}"`); a value never adds an argument, never
 * passes through a shell, never comes from the spec's text (only addresses, ports and names the spec
 * already validated, and the agent's own VRRP states).
 */

/** What in a spec may name a script. */
export const SCRIPT_USES = ["misc", "quorum", "notify"] as const;
export type ScriptUseKind = (typeof SCRIPT_USES)[number];

/** The placeholders each kind of use fills. */
export const SCRIPT_PLACEHOLDERS: Readonly<Record<ScriptUseKind, readonly string[]>> = {
  /** A misc check: the real server's address and port, the virtual service's name. */
  misc: ["address", "port", "service"],
  /** quorum.up / quorum.down: the virtual service's name, and `up` or `down`. */
  quorum: ["service", "state"],
  /**
   * VRRP notify: `INSTANCE` or `GROUP`, the instance's (or sync group's) name, the new state
   * (MASTER, BACKUP, FAULT, STOP) and this director's priority — what keepalived's `notify` appends.
   */
  notify: ["type", "instance", "state", "priority"],
};

/** In words, for messages: "a misc check". */
export const SCRIPT_USE_WORDS: Readonly<Record<ScriptUseKind, string>> = {
  misc: "a misc health check",
  quorum: "a quorum up/down script",
  notify: "a VRRP notify script",
};

const ALL_PLACEHOLDERS = [...new Set(Object.values(SCRIPT_PLACEHOLDERS).flat())];

/** `{name}`: a placeholder inside an argument. */
const PLACEHOLDER = /\{([a-z]+)\}/g;

/** Each placeholder's values: checked again at every substitution, whatever the caller validated. */
const PLACEHOLDER_VALUES: Readonly<Record<string, (value: string) => boolean>> = {
  address: (v) => isIpAddress(v) && !v.startsWith("-"),
  port: (v) => /^\d{1,5}$/.test(v) && Number(v) <= 65535,
  service: (v) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(v),
  state: (v) => /^(up|down|MASTER|BACKUP|FAULT|STOP)$/.test(v),
  type: (v) => /^(INSTANCE|GROUP)$/.test(v),
  // keepalived instance names, never starting with a character an option could start with
  instance: (v) => /^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,63}$/.test(v),
  priority: (v) => /^\d{1,3}$/.test(v) && Number(v) <= 255,
};

/** The placeholders an argument list uses (argv[0], the program, never has any). */
export function placeholdersOf(command: readonly string[]): string[] {
  const used = new Set<string>();
  for (const arg of command.slice(1)) for (const m of arg.matchAll(PLACEHOLDER)) used.add(m[1] as string);
  return [...used];
}

const Command = z
  .array(
    z
      .string()
      .min(1, { error: "must not be empty" })
      .max(4_096)
      .refine((arg) => !arg.includes("\0"), { error: "must not contain a NUL character" }),
  )
  .min(1, { error: "must name at least the program" })
  .max(64, { error: "must have at most 64 parts" })
  .superRefine((argv, ctx) => {
    const program = argv[0] ?? "";
    if (!program.startsWith("/"))
      ctx.addIssue({
        code: "custom",
        path: [0],
        message: "the program (command[0]) must be an absolute path, e.g. /usr/local/lib/lvsfleet/check-web",
      });
    else if (/[{}]/.test(program))
      ctx.addIssue({ code: "custom", path: [0], message: "the program (command[0]) cannot hold a placeholder" });
    argv.slice(1).forEach((arg, i) => {
      for (const m of arg.matchAll(PLACEHOLDER))
        if (!ALL_PLACEHOLDERS.includes(m[1] as string))
          ctx.addIssue({
            code: "custom",
            path: [i + 1],
            message: `unknown placeholder {${m[1]}}; the placeholders are ${ALL_PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}`,
          });
    });
  });

/** One allowlisted script: what `actions` entries are, with placeholders and a shorter default timeout. */
export const AllowedScript = z.strictObject({
  /** The program (an absolute path: no PATH lookup) and its arguments, run without a shell. */
  command: Command,
  /** Killed (SIGTERM, then SIGKILL) after this long; a misc check's own timeout may cut it shorter. Default 30 s. */
  timeoutSeconds: z.number().int().min(1).max(3_600).default(30),
  description: z.string().max(200).optional(),
});
export type AllowedScript = z.output<typeof AllowedScript>;

/** The `scripts` section: name → script. */
export const ScriptsSection = z.record(z.string(), AllowedScript).superRefine((scripts, ctx) => {
  for (const name of Object.keys(scripts))
    if (!SCRIPT_NAME.test(name))
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: "script names are lowercase letters, digits, - and _ (at most 63), starting with a letter or digit",
      });
});
export type ScriptsSection = z.output<typeof ScriptsSection>;

/**
 * The argument list to run: each placeholder in an argument replaced by its value, in one pass (a
 * value is never read again for placeholders). Throws when a value is not one the placeholder takes,
 * or when a placeholder used has no value: nothing runs then.
 */
export function substituteArguments(command: readonly string[], values: Readonly<Record<string, string>>): string[] {
  for (const [name, value] of Object.entries(values)) {
    const valid = PLACEHOLDER_VALUES[name];
    if (!valid) throw new Error(`unknown placeholder {${name}}`);
    if (!valid(value)) throw new Error(`refused value for {${name}}: ${JSON.stringify(value.slice(0, 80))}`);
  }
  return command.map((arg, i) =>
    i === 0
      ? arg
      : arg.replace(PLACEHOLDER, (_whole, name: string) => {
          const value = values[name];
          if (value === undefined) throw new Error(`no value for {${name}} here`);
          return value;
        }),
  );
}

/** What a director says about its allowlist (GetState): the file, and each script's name and placeholders. */
export interface ScriptAllowlistReport {
  /** The --actions-file it was started with; absent: it has none, and scripts are off. */
  file?: string | undefined;
  scripts: { name: string; placeholders: string[] }[];
}

export function allowlistReport(file: string | undefined, scripts: ScriptsSection | undefined): ScriptAllowlistReport {
  if (file === undefined) return { scripts: [] };
  return {
    file,
    scripts: Object.entries(scripts ?? {}).map(([name, script]) => ({
      name,
      placeholders: placeholdersOf(script.command),
    })),
  };
}
