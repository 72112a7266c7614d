import { runProgram } from "@lvsfleet/agent-runtime";
import type { ScriptUseKind } from "@lvsfleet/model";
import type { Logger } from "pino";
import type { DirectorScripts } from "./allowlist.ts";

/**
 * Runs a quorum or notify script from the allowlist in the background (its own timeout), logging
 * what became of it; a name the allowlist lacks runs nothing and is logged as an error.
 */
export function runNamedScript(
  scripts: DirectorScripts,
  log: Logger,
  name: string,
  use: ScriptUseKind,
  values: Record<string, string>,
): Promise<void> {
  let resolved: ReturnType<DirectorScripts["resolve"]>;
  try {
    resolved = scripts.resolve(name, use, values);
  } catch (error) {
    log.error({ script: name, use, err: (error as Error).message }, "script not run");
    return Promise.resolve();
  }
  return runProgram(resolved.argv, { timeoutMs: resolved.timeoutMs }).then((run) => {
    const fields = { script: name, use, ...values, code: run.code, timedOut: run.timedOut, ms: run.ms };
    if (run.code === 0) log.info(fields, "script ran");
    else log.warn({ ...fields, detail: run.detail, output: run.output }, "script failed");
  });
}
