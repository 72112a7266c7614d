import type { CheckPolicy } from "./policy.ts";

/** One attempt's outcome. */
export interface ProbeResult {
  ok: boolean;
  /** In words: `connected in 0.4 ms`, `HTTP 503 from /health`, `exit status 1`. */
  detail: string;
  /** How long the attempt took. */
  ms: number;
  /** MISC_CHECK with misc_dynamic: the weight the exit status asks for. */
  weight?: number | undefined;
}

/** Which real server of which service a check is for (the sim prober needs it). */
export interface ProbeSubject {
  service: string;
  address: string;
  port: number;
}

/**
 * Makes one attempt of a check. It must settle within `timeoutMs` (the check's timeout, never more
 * than its interval) and when `signal` aborts (the check was removed or the agent stops).
 */
export type Prober = (
  check: CheckPolicy,
  subject: ProbeSubject,
  options: { timeoutMs: number; signal: AbortSignal },
) => Promise<ProbeResult>;

export const elapsedSince = (started: number) => Math.round((performance.now() - started) * 100) / 100;

/** The reason of a failed network call, short: `ECONNREFUSED`, `timeout after 100 ms`. */
export function failureDetail(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code
    ? `${e.code}${e.message && !e.message.includes(e.code) ? ` ${e.message}` : ""}`
    : String(e.message ?? e);
}
