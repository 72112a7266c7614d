import { runProgram } from "@lvsfleet/agent-runtime";
import type { MiscCheck } from "@lvsfleet/model";
import type { DirectorScripts } from "../scripts/allowlist.ts";
import type { ProbeResult, ProbeSubject } from "./probe.ts";

/**
 * What a MISC_CHECK exit status means: 0 up; with misc_dynamic, 1 down and 2-255 up with weight
 * status - 2; without it, anything but 0 is down.
 */
export function miscOutcome(code: number, dynamic: boolean): { ok: boolean; weight?: number } {
  if (code === 0) return { ok: true };
  if (dynamic && code >= 2 && code <= 255) return { ok: true, weight: code - 2 };
  return { ok: false };
}

/**
 * keepalived MISC_CHECK, with the program from the director's own allowlist: the check names a
 * script, the allowlist gives its program and arguments ({address}, {port}, {service} filled with
 * the real server's), and the exit status decides. It runs without a shell; one that outlives the
 * check's timeout (or the script's own timeoutSeconds, whichever is shorter) is killed and the
 * attempt fails. A name the allowlist lacks fails the attempt without running anything.
 */
export async function miscProbe(
  check: MiscCheck,
  subject: ProbeSubject,
  scripts: DirectorScripts,
  options: { timeoutMs: number; signal: AbortSignal },
): Promise<ProbeResult> {
  let script: ReturnType<DirectorScripts["resolve"]>;
  try {
    script = scripts.resolve(check.script, "misc", {
      address: subject.address,
      port: String(subject.port),
      service: subject.service,
    });
  } catch (error) {
    return { ok: false, detail: `not run: ${(error as Error).message}`, ms: 0 };
  }
  const run = await runProgram(script.argv, {
    timeoutMs: Math.min(options.timeoutMs, script.timeoutMs),
    signal: options.signal,
  });
  if (run.code === undefined) return { ok: false, detail: `${check.script}: ${run.detail}`, ms: run.ms };
  const outcome = miscOutcome(run.code, check.dynamic ?? false);
  return {
    ...outcome,
    detail: `${check.script}: exit status ${run.code}${outcome.weight !== undefined ? ` (weight ${outcome.weight})` : ""}`,
    ms: run.ms,
  };
}
