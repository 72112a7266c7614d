import type { ClusterSpecInput } from "@lvsfleet/model";

/**
 * A cluster of `services` TCP services on one VIP (ports 1..), each with `servers` real servers
 * (weight 1) drawn from 1,000 addresses, and the demo's two directors: labels only, nothing opens a
 * socket to them. test/e2e/big-spec.test.ts applies the same shape through REST and lvsctl.
 */
export function bigSpec(services: number, servers: number): ClusterSpecInput {
  const address = (k: number) => `192.168.${10 + Math.floor(k / 250)}.${(k % 250) + 1}`;
  return {
    name: "web",
    vips: ["192.168.1.229"],
    directors: [
      { host: "lb-master", address: "192.168.1.252", role: "master", priority: 100, interface: "eth0" },
      { host: "lb-backup", address: "192.168.1.230", role: "backup", priority: 90, interface: "eth0" },
    ],
    services: Array.from({ length: services }, (_, i) => ({
      name: `s${String(i + 1).padStart(5, "0")}`,
      protocol: "tcp" as const,
      address: "192.168.1.229",
      port: i + 1,
      scheduler: "wrr" as const,
      forwarding: "dr" as const,
      realServers: Array.from({ length: servers }, (_, j) => ({
        address: address((i * servers + j) % 1_000),
        port: 8080,
        weight: 1,
      })),
    })),
  };
}
