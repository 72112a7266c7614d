import type { HealthCheck, VirtualService } from "@lvsfleet/model";

/** A check's timing in milliseconds, keepalived's defaults filled in and made safe to run. */
export interface CheckTiming {
  /** Between the starts of two rounds (delay_loop). */
  intervalMs: number;
  /** One attempt's limit (connect_timeout; misc_timeout for MISC_CHECK); never more than intervalMs. */
  timeoutMs: number;
  /** Further attempts after a failed one, while the server is up (retry / nb_get_retry). */
  retries: number;
  /** Between those attempts (delay_before_retry). */
  retryDelayMs: number;
  /** Random delay of up to this long before the first round (warmup). */
  warmupMs: number;
  /** Rounds in a row that change the verdict. */
  rise: number;
  fall: number;
}

/** keepalived's defaults (keepalived.conf(5)). */
export const KEEPALIVED_DEFAULTS = {
  delayLoop: 60,
  connectTimeout: 5,
  retry: 1,
  miscRetry: 0,
  delayBeforeRetry: 1,
  httpDelayBeforeRetry: 3,
} as const;

/** Rounds never come closer than this (a delay_loop of 0 would spin). */
export const MIN_INTERVAL_MS = 20;

const ms = (seconds: number) => Math.round(seconds * 1_000);

/**
 * The timing of one check of one real server of a service: the check's own settings, else the
 * service's delay_loop, else keepalived's defaults. A check's timeout can never exceed its
 * interval: an attempt that could outlive its round is cut at the interval.
 */
export function checkTiming(check: HealthCheck, service: Pick<VirtualService, "delayLoop">): CheckTiming {
  const delayLoop = check.delayLoop ?? service.delayLoop ?? KEEPALIVED_DEFAULTS.delayLoop;
  const intervalMs = Math.max(MIN_INTERVAL_MS, ms(delayLoop));
  const timeoutSeconds =
    check.type === "misc" ? (check.timeout ?? delayLoop) : (check.connectTimeout ?? KEEPALIVED_DEFAULTS.connectTimeout);
  const http = check.type === "http" || check.type === "https";
  return {
    intervalMs,
    timeoutMs: Math.max(1, Math.min(intervalMs, ms(timeoutSeconds))),
    retries: check.retry ?? (check.type === "misc" ? KEEPALIVED_DEFAULTS.miscRetry : KEEPALIVED_DEFAULTS.retry),
    retryDelayMs: ms(
      check.delayBeforeRetry ??
        (http ? KEEPALIVED_DEFAULTS.httpDelayBeforeRetry : KEEPALIVED_DEFAULTS.delayBeforeRetry),
    ),
    warmupMs: ms(check.warmup ?? delayLoop),
    rise: check.rise ?? 1,
    fall: check.fall ?? 1,
  };
}
