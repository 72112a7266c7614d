import { ValidationError } from "@lvsfleet/model";
import { CronExpressionParser } from "cron-parser";
import { DateTime, IANAZone } from "luxon";

/**
 * When a job runs: now, at a time (`runAt`, an ISO 8601 time; without an offset it is read in
 * `timeZone`, default UTC), or on a cron schedule (5 fields, or 6 with seconds first, in
 * `timeZone`). Parsing is delegated to luxon (time zones, DST) and cron-parser (the same parser
 * BullMQ's job schedulers use), so what is accepted here is what fires. Pure apart from `now`.
 */
export type When =
  | { kind: "now" }
  | { kind: "at"; at: number; timeZone: string }
  | { kind: "cron"; cron: string; timeZone: string; next: number };

const fail = (field: string, message: string) => new ValidationError([{ field, message }]);

/** Zones already found valid (luxon builds an Intl.DateTimeFormat to check one: slow on every request). */
const validZones = new Set<string>(["UTC"]);

export function checkTimeZone(timeZone: string | undefined): string {
  const zone = timeZone ?? "UTC";
  if (validZones.has(zone)) return zone;
  if (IANAZone.isValidZone(zone)) validZones.add(zone);
  else throw fail("timeZone", `${JSON.stringify(zone)} is not an IANA time zone (e.g. UTC, Europe/Paris)`);
  return zone;
}

export function parseWhen(
  input: { runAt?: string | undefined; cron?: string | undefined; timeZone?: string | undefined },
  now = Date.now(),
): When {
  if (input.runAt !== undefined && input.cron !== undefined)
    throw fail("cron", "give runAt (once, at a time) or cron (repeatedly), not both");
  const timeZone = checkTimeZone(input.timeZone);
  if (input.runAt !== undefined) {
    const at = DateTime.fromISO(input.runAt, { zone: timeZone, setZone: false });
    if (!at.isValid)
      throw fail("runAt", `${JSON.stringify(input.runAt)} is not an ISO 8601 time (e.g. 2030-01-31T02:00 or ...Z)`);
    const ms = at.toMillis();
    // A time in the past runs now (a client's clock may be a little behind); far past is a mistake.
    if (ms < now - 5 * 60_000) throw fail("runAt", `${at.toISO()} is in the past`);
    if (ms > now + 366 * 86_400_000) throw fail("runAt", "must be within a year");
    return { kind: "at", at: Math.max(ms, now), timeZone };
  }
  if (input.cron !== undefined) {
    const fields = input.cron.trim().split(/\s+/);
    if (fields.length < 5 || fields.length > 6)
      throw fail("cron", `must have 5 fields (min hour day month weekday) or 6 (seconds first), got ${fields.length}`);
    try {
      const next = CronExpressionParser.parse(input.cron, { tz: timeZone, currentDate: new Date(now) })
        .next()
        .getTime();
      return { kind: "cron", cron: input.cron.trim(), timeZone, next };
    } catch (error) {
      throw fail("cron", `${JSON.stringify(input.cron)} is not a cron expression: ${(error as Error).message}`);
    }
  }
  return { kind: "now" };
}

/** The next firing of a cron schedule after `after`. */
export function nextCron(cron: string, timeZone: string, after = Date.now()): number {
  return CronExpressionParser.parse(cron, { tz: timeZone, currentDate: new Date(after) })
    .next()
    .getTime();
}
