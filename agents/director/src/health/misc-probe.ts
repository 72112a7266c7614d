import { spawn } from "node:child_process";
import type { MiscCheck } from "@lvsfleet/model";
import { elapsedSince, type ProbeResult } from "./probe.ts";

/** After the timeout the program gets SIGTERM, and SIGKILL if it is still there this much later. */
const KILL_GRACE_MS = 500;

/** Splits a keepalived misc_path into program and arguments: on blanks, keeping "double-quoted" words whole. */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|(\S+)/g;
  for (let m = pattern.exec(command); m; m = pattern.exec(command)) words.push(m[1] ?? m[2] ?? "");
  return words;
}

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
 * keepalived MISC_CHECK: runs the program (no shell: its arguments as an array) and decides by its
 * exit status. One that outlives the timeout is killed (SIGTERM, then SIGKILL) and the attempt fails.
 */
export function miscProbe(check: MiscCheck, options: { timeoutMs: number; signal: AbortSignal }): Promise<ProbeResult> {
  const started = performance.now();
  const [program, ...args] = splitCommand(check.path);
  return new Promise((resolve) => {
    if (!program) return resolve({ ok: false, detail: "empty misc_path", ms: 0 });
    const child = spawn(program, args, { stdio: "ignore" });
    let timedOut = false;
    let settled = false;
    const finish = (result: Omit<ProbeResult, "ms">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killer);
      options.signal.removeEventListener("abort", onAbort);
      resolve({ ...result, ms: elapsedSince(started) });
    };
    let killer: NodeJS.Timeout | undefined;
    const kill = () => {
      child.kill("SIGTERM");
      killer = setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS);
      killer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
      // The attempt fails now: a program that ignores SIGTERM must not hold the round past its timeout.
      finish({ ok: false, detail: `still running after ${options.timeoutMs} ms: killed` });
    }, options.timeoutMs);
    const onAbort = () => {
      kill();
      finish({ ok: false, detail: "cancelled" });
    };
    options.signal.addEventListener("abort", onAbort);
    child.once("error", (error) => finish({ ok: false, detail: `cannot run ${program}: ${error.message}` }));
    child.once("exit", (code, signal) => {
      if (timedOut) return;
      if (code === null) return finish({ ok: false, detail: `killed by ${signal}` });
      const outcome = miscOutcome(code, check.dynamic ?? false);
      finish({
        ...outcome,
        detail: `exit status ${code}${outcome.weight !== undefined ? ` (weight ${outcome.weight})` : ""}`,
      });
    });
  });
}
