/** The weight ramps in at most this many steps (each one a data-plane change). */
export const SLOW_START_STEPS = 10;

/**
 * The weight of a real server `elapsedMs` after it recovered, ramping from (nearly) 0 to `weight`
 * over `durationMs` in at most SLOW_START_STEPS equal steps, as HAProxy's slowstart: at least 1 as
 * soon as it is back (0 would send it nothing at all), the full weight at the end.
 */
export function slowStartWeight(weight: number, elapsedMs: number, durationMs: number): number {
  if (durationMs <= 0 || elapsedMs >= durationMs || weight <= 1) return weight;
  const steps = Math.min(weight, SLOW_START_STEPS);
  const step = Math.floor((Math.max(0, elapsedMs) * steps) / durationMs);
  return Math.max(1, Math.floor((weight * step) / steps));
}

/** When the ramp changes the weight next (ms after recovery); undefined once it is over. */
export function nextSlowStartStep(weight: number, elapsedMs: number, durationMs: number): number | undefined {
  if (durationMs <= 0 || elapsedMs >= durationMs || weight <= 1) return undefined;
  const steps = Math.min(weight, SLOW_START_STEPS);
  const step = Math.floor((Math.max(0, elapsedMs) * steps) / durationMs);
  return Math.ceil(((step + 1) * durationMs) / steps);
}
