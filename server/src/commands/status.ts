import { clusterHosts, type FailoverReport, type HostState, type IpvsTable, type Problem } from "@lvsfleet/model";
import type { Actor } from "../access/roles.ts";
import { type StandingDrift, standingDrift } from "../health/drift.ts";
import { type ClusterFailover, clusterFailover } from "../health/status-view.ts";
import type { StoredEvent } from "../store/events.ts";
import { type AgentView, agentView } from "./agents.ts";
import { canRead } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { NotFoundError } from "./errors.ts";
import { ownedElsewhere } from "./host-ownership.ts";

export interface HostStatus {
  host: string;
  kind: "director" | "real-server";
  /** Directors: the spec's address, role and priority. Real servers: their addresses. */
  addresses: string[];
  role?: "master" | "backup" | undefined;
  priority?: number | undefined;
  agent: (Omit<AgentView, "host"> & { registered: true }) | { registered: false; reachable: false };
  /** From a live GetState, when the agent answered. */
  roleState?: string | undefined;
  generation?: number | undefined;
  inSync?: boolean | undefined;
  table?: IpvsTable | undefined;
  hostState?: HostState | undefined;
  /** What the agent's doctor finds wrong with the host for its role, each with the fix (from the live GetState). */
  problems?: Problem[] | undefined;
  /** Directors: health checks and the agent's local decisions, VRRP, the VIPs held (from the live GetState). */
  failover?: FailoverReport | undefined;
  error?: string | undefined;
}

export interface ClusterStatus {
  cluster: string;
  generation: number;
  hosts: HostStatus[];
  recentEvents: StoredEvent[];
  /** VIP ownership across the directors, split-brain/no-owner alerts, last states (clusters with checks or VRRP). */
  failover?: ClusterFailover | undefined;
  /** Directors whose table was changed behind their back and not repaired (driftPolicy report), while it stands. */
  drift?: StandingDrift[] | undefined;
}

/** Per director and real server: agent reachable, role, the observed table and host state, read live. */
export async function clusterStatus(ctx: CommandContext, actor: Actor, cluster: string): Promise<ClusterStatus> {
  canRead(actor, cluster);
  const stored = await ctx.clusters.get(cluster);
  if (!stored) throw new NotFoundError(`no cluster named ${cluster}`);
  const named = clusterHosts(stored.spec);
  const [readings, owners] = await Promise.all([
    ctx.fleet.states(
      cluster,
      named.map((h) => h.host),
      { deadline: "status" },
    ),
    ctx.owners.ownersOf(named.map((h) => h.host)),
  ]);
  const hosts = await Promise.all(
    named.map(async (h, i): Promise<HostStatus> => {
      const base: HostStatus = {
        host: h.host,
        kind: h.kind,
        addresses: h.kind === "director" ? [h.director.address] : h.addresses,
        role: h.kind === "director" ? h.director.role : undefined,
        priority: h.kind === "director" ? h.director.priority : undefined,
        agent: { registered: false, reachable: false },
      };
      const reading = readings[i]!;
      if (!reading.ok)
        switch (reading.reason) {
          case "owned-elsewhere":
            return { ...base, error: ownedElsewhere(h.host, reading.owner, cluster) };
          case "not-registered":
            return { ...base, error: `agent ${h.host} is not registered` };
          case "not-owned":
            return { ...base, error: reading.error };
        }
      const { host: _, ...view } = agentView(reading.registration, await ctx.registry.liveness(h.host));
      const withAgent: HostStatus = { ...base, agent: { ...view, registered: true } };
      if (!reading.ok)
        return {
          ...withAgent,
          agent: { ...withAgent.agent, reachable: false } as HostStatus["agent"],
          error: reading.error,
        };
      const { state } = reading;
      return {
        ...withAgent,
        agent: { ...withAgent.agent, reachable: true } as HostStatus["agent"],
        roleState: state.roleState,
        generation: state.generation,
        inSync: h.kind === "director" ? state.generation >= stored.generation : undefined,
        table: h.kind === "director" ? state.table : undefined,
        hostState: state.host,
        problems: state.problems,
        ...(h.kind === "director" && state.failover ? { failover: state.failover } : {}),
      };
    }),
  );
  const ours = (host: string) => owners.get(host) === cluster;
  const recentEvents = (await ctx.events.recent(50))
    .filter((e) => hosts.some((h) => h.host === e.host && ours(h.host)) || isAlertOf(e, cluster))
    .slice(-10);
  // Only what this cluster's own hosts reported (a host moved to another cluster reports for that one).
  const failover = await clusterFailover(
    ctx.supervisor?.fleetHealth,
    stored.spec,
    hosts.filter((h) => ours(h.host)),
  );
  const directors = hosts.filter((h) => h.kind === "director" && ours(h.host)).map((h) => h.host);
  const view = ctx.supervisor?.fleetHealth;
  const drift = view ? standingDrift(await view.lastStates(cluster, directors), directors, cluster) : [];
  return {
    cluster,
    generation: stored.generation,
    hosts,
    recentEvents,
    ...(failover ? { failover } : {}),
    ...(drift.length > 0 ? { drift } : {}),
  };
}

/** The server's own VIP ownership alerts for this cluster (host "server"). */
function isAlertOf(e: StoredEvent, cluster: string): boolean {
  return e.host === "server" && e.type === "state" && e.detail.startsWith(`cluster ${cluster}:`);
}
