import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { ScriptsSection, ValidationError, validate } from "@lvsfleet/model";
import { ACTION_NAME, GrpcStatus, RpcError, type RunActionResult } from "@lvsfleet/rpc";
import type { Logger } from "pino";
import { z } from "zod";
import { OUTPUT_TAIL_BYTES, runProgram } from "./program-run.ts";
import { type TrustedOwners, untrustedPathProblem } from "./trusted-path.ts";

/** How much of an action's output comes back (the end of it). */
export { OUTPUT_TAIL_BYTES };

const Action = z.strictObject({
  /** The program (an absolute path: no PATH lookup) and its arguments, run without a shell. */
  command: z
    .array(z.string().min(1, { error: "must not be empty" }).max(4_096))
    .min(1, { error: "must name at least the program" })
    .max(64, { error: "must have at most 64 parts" })
    .refine((argv) => isAbsolute(argv[0] ?? ""), {
      error: "the program (command[0]) must be an absolute path, e.g. /usr/bin/systemctl",
    }),
  /** Its process group is killed (SIGTERM, then SIGKILL) after this long; default 300 s. */
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

/** The user the agent runs as: with root, the only one whose files it takes orders from. */
const THIS_AGENT: TrustedOwners = { agentUid: process.getuid?.() ?? 0 };

/**
 * Reads and validates an actions file; errors name the file, the field and the reason. The file, and
 * each program it names (command[0], through its symbolic links), must be changeable only by root or
 * the agent's own user, directories on the way included (trusted-path.ts): whoever could write either
 * would run programs with the agent's authority. Such a file is refused as a whole, with the fix.
 */
export function loadActions(path: string, owners: TrustedOwners = THIS_AGENT): ActionsFile {
  const refused = (message: string) => new ValidationError([{ field: "actions-file", message: `${path}: ${message}` }]);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw refused((error as Error).message);
  }
  const fileProblem = untrustedPathProblem(path, owners);
  if (fileProblem) throw refused(`refused: ${fileProblem}`);
  let actions: ActionsFile;
  try {
    actions = validate(ActionsFile, raw);
  } catch (error) {
    if (error instanceof ValidationError)
      throw new ValidationError(
        error.errors.map((e) => ({ field: "actions-file", message: `${path}: ${e.field}: ${e.message}` })),
      );
    throw error;
  }
  const programs = [
    ...Object.entries(actions.actions).map(([name, a]) => [`actions.${name}`, a.command[0]] as const),
    ...Object.entries(actions.scripts ?? {}).map(([name, s]) => [`scripts.${name}`, s.command[0]] as const),
  ];
  const problems = programs.flatMap(([field, program]) => {
    const problem = program === undefined ? undefined : untrustedPathProblem(program, owners);
    return problem
      ? [{ field: "actions-file", message: `${path}: ${field}.command[0]: program refused: ${problem}` }]
      : [];
  });
  if (problems.length > 0) throw new ValidationError(problems);
  return actions;
}

/**
 * Runs an allowlisted action by name with the agents' one program runner (program-run.ts): argument
 * array, no shell, stdin closed, only a fixed PATH in its environment (no token of the agent's), cwd
 * /, its own process group killed (SIGTERM, then SIGKILL) after its timeout. Unknown names are NOT_FOUND.
 */
export async function runAllowedAction(actions: ActionsFile, name: string, log: Logger): Promise<RunActionResult> {
  // own entries only: "constructor" is a valid name, and no action
  const action = Object.hasOwn(actions.actions, name) ? actions.actions[name] : undefined;
  if (!action)
    throw new RpcError(
      GrpcStatus.NOT_FOUND,
      `no action ${name} in this agent's allowlist; it has: ${Object.keys(actions.actions).join(", ") || "none"}`,
    );
  const run = await runProgram(action.command, { timeoutMs: action.timeoutSeconds * 1_000 });
  // the reason a run did not exit by itself (could not start, killed) goes with its output
  const output = run.code === undefined ? `${run.output}${run.detail}\n`.slice(-OUTPUT_TAIL_BYTES) : run.output;
  const exitCode = run.code ?? -1;
  log.info({ action: name, exitCode, timedOut: run.timedOut, durationMs: Math.round(run.ms) }, "action finished");
  return { exitCode, output, durationMs: run.ms, timedOut: run.timedOut };
}
