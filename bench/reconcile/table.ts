import type { IpvsDestination, IpvsService, IpvsTable } from "@lvsfleet/model";

/**
 * The benchmark's table: `services` LVS-DR virtual services (wrr) of `servers` real servers each.
 * VIPs come from 198.18.128.1 on (198.18.128.0/17), 100 ports per VIP (8000–8099); the real servers are
 * 198.19.<k>.<j> (the same farm behind every service, as many sites have), weights 1…servers.
 * Addresses are labels inside the benchmark's namespace or guest: nothing dials them.
 */
export function benchTable(services: number, servers: number): IpvsTable {
  if (servers > 250) throw new Error(`at most 250 real servers per service, not ${servers}`);
  if (services > 32_768 * 100) throw new Error(`at most 3276800 services, not ${services}`);
  const list: IpvsService[] = [];
  for (let i = 0; i < services; i++) {
    const vip = 1 + Math.floor(i / 100);
    const destinations: IpvsDestination[] = [];
    for (let j = 0; j < servers; j++)
      destinations.push({
        address: `198.19.${j}.${1 + (i % 250)}`,
        port: 80,
        forwarding: "dr",
        weight: 1 + j,
        upperThreshold: 0,
        lowerThreshold: 0,
        activeConns: 0,
        inactConns: 0,
        persistConns: 0,
      });
    list.push({
      protocol: "tcp",
      address: `198.18.${128 + Math.floor(vip / 256)}.${vip % 256}`,
      port: 8000 + (i % 100),
      family: "inet",
      scheduler: "wrr",
      schedulerFlags: [],
      destinations,
    });
  }
  return { services: list };
}

/** The same table with one real server's weight changed (the middle service's first server). */
export function withOneWeightChanged(table: IpvsTable): IpvsTable {
  const index = Math.floor(table.services.length / 2);
  return {
    services: table.services.map((s, i) =>
      i !== index
        ? s
        : { ...s, destinations: s.destinations.map((d, j) => (j === 0 ? { ...d, weight: d.weight + 7 } : d)) },
    ),
  };
}
