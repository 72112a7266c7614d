import type { OwnershipState, VipOwnership } from "./ownership.ts";

/** A VIP whose ownership has been wrong for longer than its grace. */
export interface OwnershipAlert {
  cluster: string;
  vip: string;
  instance: string;
  kind: "split-brain" | "no-owner";
  holders: string[];
  /** When the bad state began (ms since the epoch). */
  since: number;
  /** When it became an alert. */
  raisedAt: number;
}

export type AlertTransition =
  | { kind: "raised"; alert: OwnershipAlert }
  | { kind: "cleared"; alert: OwnershipAlert; now: VipOwnership };

interface Pending {
  state: OwnershipState;
  since: number;
}

/**
 * Turns ownership readings into alerts: a VIP with two holders or none becomes an alert once the
 * state has lasted its grace (see alertGraceMs) and clears as soon as one director holds it again.
 * `recheckIn` says when to look again while something is pending. Pure state, no timers.
 */
export class OwnershipAlerts {
  private readonly pending = new Map<string, Pending>();
  private readonly active = new Map<string, OwnershipAlert>();

  update(
    cluster: string,
    readings: readonly VipOwnership[],
    graceMs: (reading: VipOwnership) => number,
    now: number,
  ): { transitions: AlertTransition[]; recheckIn: number | undefined } {
    const transitions: AlertTransition[] = [];
    let recheckIn: number | undefined;
    const seen = new Set<string>();
    for (const reading of readings) {
      const key = `${cluster}|${reading.vip}`;
      seen.add(key);
      const bad = reading.state === "split-brain" || reading.state === "no-owner";
      const current = this.active.get(key);
      if (!bad) {
        this.pending.delete(key);
        // unknown (nobody heard from) neither raises nor clears: agents being unreachable is its own alert
        if (current && reading.state === "ok") {
          this.active.delete(key);
          transitions.push({ kind: "cleared", alert: current, now: reading });
        }
        continue;
      }
      const kind = reading.state as OwnershipAlert["kind"];
      if (current?.kind === kind) {
        current.holders = reading.holders;
        continue;
      }
      let pending = this.pending.get(key);
      if (!pending || pending.state !== reading.state) {
        pending = { state: reading.state, since: now };
        this.pending.set(key, pending);
      }
      const wait = pending.since + graceMs(reading) - now;
      if (wait > 0) {
        recheckIn = Math.min(recheckIn ?? wait, wait);
        continue;
      }
      this.pending.delete(key);
      const alert: OwnershipAlert = {
        cluster,
        vip: reading.vip,
        instance: reading.instance,
        kind,
        holders: reading.holders,
        since: pending.since,
        raisedAt: now,
      };
      this.active.set(key, alert);
      transitions.push({ kind: "raised", alert });
    }
    for (const key of [...this.pending.keys()])
      if (key.startsWith(`${cluster}|`) && !seen.has(key)) this.pending.delete(key);
    for (const key of [...this.active.keys()])
      if (key.startsWith(`${cluster}|`) && !seen.has(key)) this.active.delete(key);
    return { transitions, recheckIn };
  }

  /** Takes up alerts raised before (by the previous supervisor): still true, they are not raised again. */
  restore(alerts: readonly OwnershipAlert[]): void {
    for (const alert of alerts) this.active.set(`${alert.cluster}|${alert.vip}`, { ...alert });
  }

  /** The alerts active now, for one cluster or all. */
  list(cluster?: string): OwnershipAlert[] {
    return [...this.active.values()].filter((a) => cluster === undefined || a.cluster === cluster);
  }
}
