import { type Labels, type TableSamples, tableSamples, vipLabel } from "@lvsfleet/metrics";
import { type ClusterSpec, desiredService, formatEndpoint, type IpvsService, serviceKey } from "@lvsfleet/model";
import type { FleetSnapshot } from "../commands/fleet-snapshot.ts";

export interface Reading {
  labels: Labels;
  value: number;
}

/** What the fleet gauges show after one snapshot. Series absent here disappear from /metrics. */
export interface FleetReadings {
  clusterGeneration: Reading[];
  configuredWeight: Reading[];
  inTable: Reading[];
  realServerUp: Reading[];
  directorUp: Reading[];
  directorRunning: Reading[];
  directorGeneration: Reading[];
  directorInSync: Reading[];
  vrrpState: Reading[];
  vipHeld: Reading[];
  agentUp: Reading[];
  heartbeatAge: Reading[];
  table: TableSamples;
}

/** States a director's VRRP instance can be in (keepalived's, and UNKNOWN); the current one has value 1. */
export const VRRP_STATES = ["MASTER", "BACKUP", "FAULT", "STOP", "UNKNOWN"] as const;

/** Health states with a value: up 1, down 0 (unknown, before the first verdict, has no sample). */
const HEALTH_VALUE: Record<string, number> = { up: 1, healthy: 1, ok: 1, alive: 1, down: 0, failed: 0, unhealthy: 0 };

const flag = (b: boolean) => (b ? 1 : 0);

/** Maps a fleet snapshot to gauge values. Pure. */
export function fleetReadings(snapshot: FleetSnapshot): FleetReadings {
  const out: FleetReadings = {
    clusterGeneration: [],
    configuredWeight: [],
    inTable: [],
    realServerUp: [],
    directorUp: [],
    directorRunning: [],
    directorGeneration: [],
    directorInSync: [],
    vrrpState: [],
    vipHeld: [],
    agentUp: [],
    heartbeatAge: [],
    table: { gauges: [], counters: [] },
  };
  const clusterOfDirector = new Map<string, string>();
  for (const cluster of snapshot.clusters) {
    const c = cluster.name;
    out.clusterGeneration.push({ labels: { cluster: c }, value: cluster.generation });
    const names = serviceNames(cluster.spec);
    for (const service of cluster.spec.services)
      for (const rs of service.realServers)
        out.configuredWeight.push({
          labels: {
            cluster: c,
            service: service.name,
            protocol: service.protocol,
            vip: vipLabel(service),
            real_server: formatEndpoint(rs.address, rs.port),
          },
          value: rs.weight,
        });
    for (const d of cluster.directors) {
      clusterOfDirector.set(d.host, c);
      const labels = { cluster: c, director: d.host };
      out.directorUp.push({ labels, value: flag(d.answered) });
      if (!d.answered) continue;
      out.directorRunning.push({ labels, value: flag(d.roleState === "running") });
      out.directorGeneration.push({ labels, value: d.generation ?? 0 });
      out.directorInSync.push({ labels, value: flag((d.generation ?? 0) >= cluster.generation) });
      const table = d.table ?? { services: [] };
      const samples = tableSamples(table, (s) => ({
        cluster: c,
        director: d.host,
        service: names.get(serviceKey(s)) ?? "",
      }));
      out.table.gauges.push(...samples.gauges);
      out.table.counters.push(...samples.counters);
      const present = new Set(
        table.services.flatMap((s) => s.destinations.map((x) => `${serviceKey(s)}|${x.address}|${x.port}`)),
      );
      for (const service of cluster.spec.services) {
        const key = serviceKey(desiredService(service));
        for (const rs of service.realServers)
          out.inTable.push({
            labels: {
              cluster: c,
              director: d.host,
              service: service.name,
              protocol: service.protocol,
              vip: vipLabel(service),
              real_server: formatEndpoint(rs.address, rs.port),
            },
            value: flag(present.has(`${key}|${rs.address}|${rs.port}`)),
          });
      }
    }
  }
  // Health and VRRP: a director's live report (GetState) when it gives one, else the latest events.
  const live = new Map(
    snapshot.clusters.flatMap((c) => c.directors.map((d) => [d.host, { cluster: c.name, d }] as const)),
  );
  const health = [
    ...[...live.values()].flatMap(({ d }) => (d.health ?? []).map((h) => ({ ...h, host: d.host }))),
    ...snapshot.health.filter((h) => !live.get(h.host)?.d.health),
  ];
  for (const h of health) {
    const value = HEALTH_VALUE[h.state.toLowerCase()];
    if (value === undefined) continue;
    out.realServerUp.push({
      labels: {
        cluster: clusterOfDirector.get(h.host) ?? "",
        director: h.host,
        service: h.service,
        real_server: formatEndpoint(h.address, h.port),
      },
      value,
    });
  }
  const vrrp = [
    ...[...live.values()].flatMap(({ d }) => (d.vrrp ?? []).map((v) => ({ ...v, host: d.host }))),
    ...snapshot.vrrp.filter((v) => !live.get(v.host)?.d.vrrp),
  ];
  for (const v of vrrp) {
    const current = v.state.toUpperCase();
    const states: readonly string[] = (VRRP_STATES as readonly string[]).includes(current)
      ? VRRP_STATES
      : [...VRRP_STATES, current];
    for (const state of states)
      out.vrrpState.push({
        labels: { cluster: clusterOfDirector.get(v.host) ?? "", director: v.host, instance: v.instance, state },
        value: flag(state === current),
      });
  }
  for (const { cluster, d } of live.values())
    for (const vip of d.vipsHeld ?? []) out.vipHeld.push({ labels: { cluster, director: d.host, vip }, value: 1 });
  for (const { registration, liveness } of snapshot.agents) {
    out.agentUp.push({
      labels: { host: registration.host, role: registration.role, driver: registration.driver },
      value: flag(liveness?.reachable ?? false),
    });
    if (liveness?.lastHeartbeat !== undefined)
      out.heartbeatAge.push({
        labels: { host: registration.host },
        value: Math.max(0, (snapshot.takenAt - liveness.lastHeartbeat) / 1_000),
      });
  }
  return out;
}

/** The spec's service name for each table key. */
function serviceNames(spec: ClusterSpec): Map<string, string> {
  return new Map(spec.services.map((s) => [serviceKey(desiredService(s) as IpvsService), s.name]));
}
