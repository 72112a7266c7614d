import type { StoredEvent } from "../store/events.ts";
import type { LastState } from "./last-state.ts";

/**
 * A director's drift as the server hears it (an agent `state` event of subject `drift`), published
 * on this node:diagnostics_channel; the server's metrics count its operations
 * (`lvsfleet_drift_operations`).
 */
export const DRIFT_CHANNEL = "lvsfleet:drift";

export interface DriftRecord {
  cluster: string;
  host: string;
  /** The operations the director's read-back found. */
  operations: number;
  /** Whether the director repaired them (driftPolicy correct) or only reported them. */
  corrected: boolean;
}

/** The record a drift event is worth for the metric: drift found or corrected; nothing for "in step". */
export function driftRecord(event: StoredEvent, cluster: string | undefined): DriftRecord | undefined {
  if (event.type !== "state" || event.subject !== "drift") return undefined;
  if (event.to !== "drifted" && event.to !== "corrected") return undefined;
  return {
    cluster: cluster ?? "",
    host: event.host,
    operations: event.operations ?? 0,
    corrected: event.to === "corrected",
  };
}

/** Drift standing on a director: its table differs from the applied one and was not repaired (yet). */
export interface StandingDrift {
  host: string;
  /** What the director's read-back found, and which operations would repair it. */
  detail: string;
  /** When it was reported (ms since the epoch). */
  since: number;
}

/**
 * The directors whose last drift state in this cluster is `drifted` (a later `corrected`, `in step` or
 * `unknown` ends it). Drift a host reported while it served another cluster names that cluster's
 * services: it is not this cluster's.
 */
export function standingDrift(
  lastStates: readonly LastState[],
  directors: readonly string[],
  cluster: string,
): StandingDrift[] {
  return lastStates
    .filter(
      (s) =>
        s.subject === "drift" &&
        s.state === "drifted" &&
        directors.includes(s.host) &&
        (s.cluster === undefined || s.cluster === cluster),
    )
    .map((s) => ({ host: s.host, detail: s.detail, since: s.time }));
}
