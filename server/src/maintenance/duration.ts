import { ValidationError } from "@lvsfleet/model";

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3_600, d: 86_400 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** The longest duration a job accepts anywhere (a maintenance window of 30 days). */
export const MAX_DURATION_SECONDS = 30 * 86_400;

/**
 * A duration in seconds from `90s`, `15m`, `2h`, `1d`, `500ms` or a number of seconds; `field`
 * names the input for the error. Pure.
 */
export function parseDuration(input: unknown, field: string): number {
  const fail = (message: string) => new ValidationError([{ field, message }]);
  let seconds: number;
  if (typeof input === "number") seconds = input;
  else if (typeof input === "string") {
    const match = DURATION.exec(input.trim());
    if (!match) throw fail(`${JSON.stringify(input)} is not a duration like 90s, 15m, 2h or 1d`);
    seconds = Number(match[1]) * (UNITS[match[2] as string] as number);
  } else throw fail("must be a duration like 90s, 15m, 2h or 1d, or a number of seconds");
  if (!Number.isFinite(seconds) || seconds <= 0) throw fail("must be more than 0 seconds");
  if (seconds > MAX_DURATION_SECONDS) throw fail(`must be at most ${MAX_DURATION_SECONDS / 86_400} days`);
  return seconds;
}

/** `95 s`, `12 min`, `2 h 5 min`: for messages. */
export function describeSeconds(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  const h = Math.floor(seconds / 3_600);
  const min = Math.round((seconds % 3_600) / 60);
  return min ? `${h} h ${min} min` : `${h} h`;
}
