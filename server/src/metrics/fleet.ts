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
  agentUp: Reading[];
  heartbeatAge: Reading[];
  table: TableSamples;
}

/** States a director's VRRP instance can be in (keepalived's); the current one has value 1. */
export const VRRP_STATES = ["MASTER", "BACKUP", "FAULT", "INIT", "STOP"] as const;

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
  for (const h of snapshot.health)
    out.realServerUp.push({
      labels: {
        cluster: clusterOfDirector.get(h.host) ?? "",
        director: h.host,
        service: h.service,
        real_server: formatEndpoint(h.address, h.port),
      },
      value: flag(/^(up|healthy|alive|ok|pass(ing)?)$/i.test(h.state)),
    });
  for (const v of snapshot.vrrp) {
    const states: readonly string[] = VRRP_STATES.includes(v.state as (typeof VRRP_STATES)[number])
      ? VRRP_STATES
      : [...VRRP_STATES, v.state];
    for (const state of states)
      out.vrrpState.push({
        labels: { cluster: clusterOfDirector.get(v.host) ?? "", director: v.host, instance: v.instance, state },
        value: flag(state === v.state),
      });
  }
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
