import type { HealthState } from "@lvsfleet/model";

/** A checker's verdict on one real server, and the streak of rounds that lead to it. */
export interface Verdict {
  state: HealthState;
  /** Successful rounds in a row (while not up). */
  good: number;
  /** Failed rounds in a row (while not down). */
  bad: number;
}

/** Before the first round: up (keepalived's default), or unknown with alpha (down until a check passes). */
export function initialVerdict(alpha: boolean): Verdict {
  return { state: alpha ? "unknown" : "up", good: 0, bad: 0 };
}

/**
 * The verdict after one round: `rise` successful rounds in a row bring a server that is not up
 * back up, `fall` failed rounds in a row take a server that is not down down. An unknown server
 * (alpha) goes down at its first failed round.
 */
export function nextVerdict(verdict: Verdict, ok: boolean, streaks: { rise: number; fall: number }): Verdict {
  if (ok) {
    if (verdict.state === "up") return { state: "up", good: 0, bad: 0 };
    const good = verdict.good + 1;
    return good >= streaks.rise ? { state: "up", good: 0, bad: 0 } : { state: verdict.state, good, bad: 0 };
  }
  if (verdict.state === "down") return { state: "down", good: 0, bad: 0 };
  const bad = verdict.bad + 1;
  if (verdict.state === "unknown" || bad >= streaks.fall) return { state: "down", good: 0, bad: 0 };
  return { state: verdict.state, good: 0, bad };
}

/** A real server with several checks is up only while every check is; unknown while any is unknown and none down. */
export function combinedState(states: readonly HealthState[]): HealthState {
  if (states.includes("down")) return "down";
  if (states.includes("unknown")) return "unknown";
  return "up";
}
