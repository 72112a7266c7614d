import type { DesiredState, DirectorRoleConfig, RealServerRoleConfig } from "./agent.ts";
import type { ForwardingMethod } from "./forwarding.ts";
import type { ClusterSpec, Director } from "./spec.ts";
import { desiredTable, type IpvsTable } from "./table.ts";

/** A host of a cluster and what it is there for. */
export type ClusterHost =
  | { host: string; kind: "director"; director: Director }
  | { host: string; kind: "real-server"; addresses: string[] };

/** Every host the spec names: directors first, then real-server hosts (in order of first mention). */
export function clusterHosts(spec: ClusterSpec): ClusterHost[] {
  const realServers = new Map<string, string[]>();
  for (const service of spec.services)
    for (const rs of service.realServers) {
      if (!rs.host) continue;
      const addresses = realServers.get(rs.host) ?? [];
      if (!addresses.includes(rs.address)) addresses.push(rs.address);
      realServers.set(rs.host, addresses);
    }
  return [
    ...spec.directors.map((director): ClusterHost => ({ host: director.host, kind: "director", director })),
    ...[...realServers].map(([host, addresses]): ClusterHost => ({ host, kind: "real-server", addresses })),
  ];
}

/** A director's Start: its VIPs and interface, and the spec (the table it installs is the spec's). */
export function directorRoleConfig(spec: ClusterSpec, director: Director, generation: number): DirectorRoleConfig {
  return { vips: spec.vips, interface: director.interface, generation, spec };
}

/** The IPVS table a desired state asks for: the spec's, or the bare table. */
export function desiredStateTable(state: DesiredState): IpvsTable {
  return state.spec ? desiredTable(state.spec) : state.desired;
}

/** For each VIP a real-server host serves, the forwarding methods the directors use to reach it. */
export function realServerRoleConfig(spec: ClusterSpec, host: string): RealServerRoleConfig {
  const byVip = new Map<string, Set<ForwardingMethod>>();
  for (const service of spec.services) {
    if (service.address === undefined) continue;
    for (const rs of service.realServers) {
      if (rs.host !== host) continue;
      const methods = byVip.get(service.address) ?? new Set();
      methods.add(rs.forwarding ?? service.forwarding);
      byVip.set(service.address, methods);
    }
  }
  const master = spec.directors.find((d) => d.role === "master") ?? spec.directors[0];
  const needsNat = [...byVip.values()].some((m) => m.has("nat"));
  return {
    vips: [...byVip].map(([address, methods]) => ({ address, forwarding: [...methods].sort() })),
    natGateway: needsNat ? master?.address : undefined,
  };
}
