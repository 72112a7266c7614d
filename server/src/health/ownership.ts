import type { ClusterSpec, VrrpState } from "@lvsfleet/model";

/** What one director last said about VRRP: the VIPs on its interfaces and each instance's state. */
export interface DirectorVrrpReport {
  host: string;
  /** False while the server cannot hear from the agent: its VIPs are then unknown. */
  reachable: boolean;
  vipsHeld: string[];
  vrrp: { instance: string; state: VrrpState }[];
  /** When it was last heard from (ms since the epoch). */
  at: number;
}

/** ok: one director holds the VIP; split-brain: more than one; no-owner: none (every director heard from); unknown: none among those heard from, and some are not. */
export type OwnershipState = "ok" | "split-brain" | "no-owner" | "unknown";

export interface VipOwnership {
  vip: string;
  instance: string;
  state: OwnershipState;
  /** The directors that hold it (reachable ones only). */
  holders: string[];
  directors: { host: string; reachable: boolean; holds: boolean; vrrpState: VrrpState | "UNKNOWN" }[];
}

/**
 * Who holds each VIP a VRRP instance carries, across the cluster's directors, from what every agent
 * reports (the addresses it really has, not what keepalived believes): one holder is right; two
 * mean both answer ARP for it (split-brain); none means nobody answers (no-owner). Pure.
 */
export function vipOwnership(spec: ClusterSpec, reports: ReadonlyMap<string, DirectorVrrpReport>): VipOwnership[] {
  return (spec.vrrp?.instances ?? []).flatMap((instance) =>
    instance.vips.map((vip): VipOwnership => {
      const directors = spec.directors.map((d) => {
        const report = reports.get(d.host);
        const reachable = report?.reachable ?? false;
        return {
          host: d.host,
          reachable,
          holds: reachable && (report?.vipsHeld.includes(vip) ?? false),
          vrrpState:
            (reachable ? report?.vrrp.find((v) => v.instance === instance.name)?.state : undefined) ?? "UNKNOWN",
        };
      });
      const holders = directors.filter((d) => d.holds).map((d) => d.host);
      // with no holder among those heard from, an unheard director may hold it: unknown, not no-owner
      const allHeard = directors.every((d) => d.reachable);
      const state: OwnershipState =
        holders.length > 1 ? "split-brain" : holders.length === 1 ? "ok" : allHeard ? "no-owner" : "unknown";
      return { vip, instance: instance.name, state, holders, directors };
    }),
  );
}

/**
 * How long a bad ownership must last before it is an alert. Two holders for a moment are normal
 * while the old master steps down (a preempt): 300 ms. No holder is normal during a fail-over, up
 * to keepalived's master-down interval (3 adverts and the skew): that, and a second to spare.
 */
export function alertGraceMs(spec: ClusterSpec, instanceName: string, state: OwnershipState): number {
  if (state === "split-brain") return 300;
  const advert = spec.vrrp?.instances.find((i) => i.name === instanceName)?.advertInt ?? 1;
  return Math.round(4 * advert * 1_000) + 1_000;
}
