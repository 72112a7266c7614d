import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { ScriptsSection, ValidationError, validate } from "@lvsfleet/model";
import { ACTION_NAME, GrpcStatus, RpcError, type RunActionResult } from "@lvsfleet/rpc";
import type { Logger } from "pino";
import { z } from "zod";

/** How much of an action's output comes back (the end of it). */
export const OUTPUT_TAIL_BYTES = 4_096;

const Action = z.strictObject({
  /** The program (an absolute path: no PATH lookup) and its arguments, run without a shell. */
  command: z
    .array(z.string().min(1, { error: "must not be empty" }).max(4_096))
    .min(1, { error: "must name at least the program" })
    .max(64, { error: "must have at most 64 parts" })
    .refine((argv) => isAbsolute(argv[0] ?? ""), {
      error: "the program (command[0]) must be an absolute path, e.g. /usr/bin/systemctl",
    }),
  /** Killed (SIGTERM) after this long; default 300 s. */
  timeoutSeconds: z.number().int().min(1).max(3_600).default(300),
  description: z.string().max(200).optional(),
});

/**
 * The agent's allowlist: `{"actions": {"restart-web": {"command": ["/usr/bin/systemctl", "restart", "nginx"]}}}`
 * — actions the server may run by name on a real server (RunAction) — and, on a director, `scripts`
 * the cluster spec may name (misc checks, quorum up/down, VRRP notify; see @lvsfleet/model
 * script-allowlist.ts). Either section may be left out.
 */
export const ActionsFile = z.strictObject({
  actions: z
    .record(z.string(), Action)
    .superRefine((actions, ctx) => {
      for (const name of Object.keys(actions))
        if (!ACTION_NAME.test(name))
          ctx.addIssue({
            code: "custom",
            path: [name],
            message: "action names are lowercase letters, digits, - and _ (at most 63)",
          });
    })
    .default({}),
  scripts: ScriptsSection.optional(),
});
export type ActionsFile = z.output<typeof ActionsFile>;

/** Reads and validates an actions file; errors name the file, the field and the reason. */
export function loadActions(path: string): ActionsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ValidationError([{ field: "actions-file", message: `${path}: ${(error as Error).message}` }]);
  }
  try {
    return validate(ActionsFile, raw);
  } catch (error) {
    if (error instanceof ValidationError)
      throw new ValidationError(
        error.errors.map((e) => ({ field: "actions-file", message: `${path}: ${e.field}: ${e.message}` })),
      );
    throw error;
  }
}

const tail = (text: string) => (text.length > OUTPUT_TAIL_BYTES ? text.slice(-OUTPUT_TAIL_BYTES) : text);

/**
 * Runs an allowlisted action with execFile and an argument array (never a shell), its own
 * timeout, no standard input, and the agent's environment. Unknown names are NOT_FOUND.
 */
export function runAllowedAction(actions: ActionsFile, name: string, log: Logger): Promise<RunActionResult> {
  // own entries only: "constructor" is a valid name, and no action
  const action = Object.hasOwn(actions.actions, name) ? actions.actions[name] : undefined;
  if (!action)
    return Promise.reject(
      new RpcError(
        GrpcStatus.NOT_FOUND,
        `no action ${name} in this agent's allowlist; it has: ${Object.keys(actions.actions).join(", ") || "none"}`,
      ),
    );
  const [program, ...args] = action.command as [string, ...string[]];
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(
      program,
      args,
      {
        timeout: action.timeoutSeconds * 1_000,
        killSignal: "SIGTERM",
        maxBuffer: 1024 * 1024,
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        const durationMs = performance.now() - started;
        const timedOut = Boolean(error && (error as NodeJS.ErrnoException & { killed?: boolean }).killed);
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        const output = tail(`${stdout}${stderr}${error && typeof error.code === "string" ? `${error.message}\n` : ""}`);
        log.info({ action: name, exitCode: code, timedOut, durationMs: Math.round(durationMs) }, "action finished");
        resolve({ exitCode: timedOut ? -1 : code, output, durationMs, timedOut });
      },
    );
    child.stdin?.end();
  });
}
