import type { AgentState, ClusterSpec, IpvsTable } from "@lvsfleet/model";
import type { Actor } from "../access/roles.ts";
import type { HostReading } from "../agents/fleet.ts";
import type { AgentLiveness, AgentRegistration } from "../store/agents.ts";
import type { StoredCluster } from "../store/clusters.ts";
import type { StoredEvent } from "../store/events.ts";
import { HostNotOwnedError } from "../store/host-owners.ts";
import { canRead } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { ownedElsewhere } from "./host-ownership.ts";

/** A director as the fleet snapshot sees it: its agent's answer to a live GetState, or why there is none. */
export interface DirectorReading {
  host: string;
  /** The spec's role (master/backup). */
  role: "master" | "backup";
  registered: boolean;
  /** True when GetState answered within the status deadline. */
  answered: boolean;
  roleState?: AgentState["roleState"] | undefined;
  generation?: number | undefined;
  table?: IpvsTable | undefined;
  /** Live health and VRRP state from GetState, when the agent reports them (its failover report). */
  health?: { service: string; address: string; port: number; state: string }[] | undefined;
  vrrp?: { instance: string; state: string }[] | undefined;
  vipsHeld?: string[] | undefined;
  error?: string | undefined;
}

export interface ClusterReading {
  name: string;
  generation: number;
  spec: ClusterSpec;
  directors: DirectorReading[];
}

/** The last health result an agent reported for one real server of one service. */
export interface HealthReading {
  host: string;
  service: string;
  address: string;
  port: number;
  state: string;
  time: number;
}

/** The last VRRP state an agent reported (state events whose subject starts with `vrrp`). */
export interface VrrpReading {
  host: string;
  instance: string;
  state: string;
  time: number;
}

export interface FleetSnapshot {
  clusters: ClusterReading[];
  agents: { registration: AgentRegistration; liveness?: AgentLiveness | undefined }[];
  health: HealthReading[];
  vrrp: VrrpReading[];
  takenAt: number;
}

/** How far back in the event log health and VRRP results are looked for. */
const EVENT_WINDOW = 2_000;

/**
 * Everything the metrics show, read in one pass: each visible cluster's spec, each director's live
 * table (one GetState per director, with the status deadline), every agent's liveness, and the
 * latest health and VRRP results agents reported. Read-only; viewer.
 */
export async function fleetSnapshot(ctx: CommandContext, actor: Actor): Promise<FleetSnapshot> {
  canRead(actor);
  const names = (await ctx.clusters.names()).filter((n) => !actor.clusters || actor.clusters.includes(n));
  const [stored, registrations, liveness, events, owners] = await Promise.all([
    // a cluster whose stored spec cannot be read is left out: it must not stop the metrics of the others
    Promise.all(names.map((n) => ctx.clusters.readable(n))),
    ctx.registry.list(),
    ctx.registry.allLiveness(),
    ctx.events.recent(EVENT_WINDOW),
    ctx.owners.all(),
  ]);
  // A cluster reads only the hosts it owns.
  const ownedBy = (host: string, cluster: string) => owners[host] === cluster;
  const clusters = await Promise.all(stored.flatMap((s) => (s ? [s] : [])).map((s) => readCluster(ctx, s, owners)));
  const visibleHosts = new Set(
    clusters.flatMap((c) =>
      [
        ...c.spec.directors.map((d) => d.host),
        ...c.spec.services.flatMap((s) => s.realServers.flatMap((r) => (r.host ? [r.host] : []))),
      ].filter((host) => ownedBy(host, c.name)),
    ),
  );
  const visible = (host: string) => !actor.clusters || visibleHosts.has(host);
  return {
    clusters,
    agents: registrations.filter((r) => visible(r.host)).map((r) => ({ registration: r, liveness: liveness[r.host] })),
    health: latestHealth(events).filter((h) => visible(h.host)),
    vrrp: latestVrrp(events).filter((v) => visible(v.host)),
    takenAt: Date.now(),
  };
}

function notOwned(
  host: string,
  role: "master" | "backup",
  owner: string | undefined,
  cluster: string,
): DirectorReading {
  const error = owner ? ownedElsewhere(host, owner, cluster) : new HostNotOwnedError(host, cluster).message;
  return { host, role, registered: false, answered: false, error };
}

/** A cluster's directors, read live: one GetState per director the cluster owns, with the status deadline. */
async function readCluster(
  ctx: CommandContext,
  stored: StoredCluster,
  owners: Record<string, string>,
): Promise<ClusterReading> {
  const { spec } = stored;
  const owned = spec.directors.filter((d) => owners[d.host] === spec.name);
  const readings = await ctx.fleet.states(
    spec.name,
    owned.map((d) => d.host),
    { deadline: "status" },
  );
  const byHost = new Map(readings.map((r) => [r.host, r]));
  return {
    name: spec.name,
    generation: stored.generation,
    spec,
    directors: spec.directors.map((d) => {
      const reading = byHost.get(d.host);
      return reading
        ? directorReading(d.role, reading, spec.name)
        : notOwned(d.host, d.role, owners[d.host], spec.name);
    }),
  };
}

function directorReading(role: "master" | "backup", reading: HostReading, cluster: string): DirectorReading {
  const { host } = reading;
  if (!reading.ok)
    switch (reading.reason) {
      case "owned-elsewhere":
        return notOwned(host, role, reading.owner, cluster);
      case "not-owned":
        return notOwned(host, role, undefined, cluster);
      case "not-registered":
        return { host, role, registered: false, answered: false, error: `agent ${host} is not registered` };
      default:
        return { host, role, registered: true, answered: false, error: reading.error };
    }
  const { state } = reading;
  const failover = state.failover;
  return {
    host,
    role,
    registered: true,
    answered: true,
    roleState: state.roleState,
    generation: state.generation,
    table: state.table,
    ...(failover
      ? {
          health: failover.realServers?.map(({ service, address, port, state }) => ({
            service,
            address,
            port,
            state,
          })),
          vrrp: failover.vrrp?.map(({ instance, state }) => ({ instance, state })),
          vipsHeld: failover.vipsHeld,
        }
      : {}),
  };
}

/** The newest health event per (host, service, address, port); events are oldest first. */
export function latestHealth(events: StoredEvent[]): HealthReading[] {
  const latest = new Map<string, HealthReading>();
  for (const e of events)
    if (e.type === "health")
      latest.set(`${e.host}|${e.service}|${e.address}|${e.port}`, {
        host: e.host,
        service: e.service,
        address: e.address,
        port: e.port,
        state: e.to,
        time: e.time,
      });
  return [...latest.values()];
}

/** The newest VRRP state per (host, instance): state events with subject `vrrp` or `vrrp:<instance>`. */
export function latestVrrp(events: StoredEvent[]): VrrpReading[] {
  const latest = new Map<string, VrrpReading>();
  for (const e of events) {
    if (e.type !== "state") continue;
    const match = /^vrrp(?::(.+))?$/.exec(e.subject);
    if (!match) continue;
    const instance = match[1] ?? "";
    latest.set(`${e.host}|${instance}`, { host: e.host, instance, state: e.to.toUpperCase(), time: e.time });
  }
  return [...latest.values()];
}
