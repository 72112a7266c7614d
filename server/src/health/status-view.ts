import type { ClusterSpec, FailoverReport } from "@lvsfleet/model";
import type { OwnershipAlert } from "./alerts.ts";
import type { FleetHealthView } from "./fleet-health.ts";
import type { LastState } from "./last-state.ts";
import { type DirectorVrrpReport, type VipOwnership, vipOwnership } from "./ownership.ts";

/** The cluster-wide part of status: who holds each VIP now, the alerts, and the last known states. */
export interface ClusterFailover {
  /** From the directors' live answers (the VIPs really on their interfaces). */
  vips: VipOwnership[];
  /** Split-brain and no-owner alerts the server raised (they outlived their grace). */
  alerts: OwnershipAlert[];
  /** The last state of every real server, VRRP instance, quorum and agent, as reported (Redis). */
  lastStates: LastState[];
}

interface HostReading {
  host: string;
  kind: "director" | "real-server";
  agent: { reachable: boolean };
  failover?: FailoverReport | undefined;
}

/** What status adds for health and fail-over; undefined for a cluster with neither checks nor VRRP. */
export async function clusterFailover(
  view: FleetHealthView | undefined,
  spec: ClusterSpec,
  hosts: readonly HostReading[],
): Promise<ClusterFailover | undefined> {
  const checked = spec.services.some(
    (s) => s.sorryServer || s.realServers.some((r) => (r.healthChecks ?? []).length > 0),
  );
  if (!spec.vrrp && !checked) return undefined;
  const reports = new Map<string, DirectorVrrpReport>(
    hosts
      .filter((h) => h.kind === "director")
      .map((h) => [
        h.host,
        {
          host: h.host,
          reachable: h.agent.reachable && h.failover !== undefined,
          vipsHeld: h.failover?.vipsHeld ?? [],
          vrrp: (h.failover?.vrrp ?? []).map((v) => ({ instance: v.instance, state: v.state })),
          at: Date.now(),
        },
      ]),
  );
  const [ownership, lastStates] = await Promise.all([
    view?.ownership(spec.name),
    view?.lastStates(
      spec.name,
      hosts.map((h) => h.host),
    ),
  ]);
  return { vips: vipOwnership(spec, reports), alerts: ownership?.alerts ?? [], lastStates: lastStates ?? [] };
}
