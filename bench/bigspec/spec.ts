import { type ClusterSpecInput, DEMO_CLUSTER } from "@lvsfleet/model";

/** The address of real server `j` of the service with index `i` (0-based): one of 1,000 labels. */
export function bigSpecAddress(i: number, j: number, servers: number): string {
  const k = (i * servers + j) % 1_000;
  return `192.168.${10 + Math.floor(k / 250)}.${(k % 250) + 1}`;
}

/**
 * The demo cluster's VIP and directors with `services` TCP services on the VIP (ports 1..), each with
 * `servers` real servers (weight 1) drawn from 1,000 addresses: labels only, nothing opens a socket
 * to them. bench/bigspec times it in process; test/e2e/big-spec.test.ts applies it through REST and
 * lvsctl.
 */
export function bigSpec(services: number, servers: number): ClusterSpecInput {
  return {
    name: "web",
    vips: DEMO_CLUSTER.vips,
    directors: DEMO_CLUSTER.directors,
    services: Array.from({ length: services }, (_, i) => ({
      name: `s${String(i + 1).padStart(5, "0")}`,
      protocol: "tcp" as const,
      address: "192.168.1.229",
      port: i + 1,
      scheduler: "wrr" as const,
      forwarding: "dr" as const,
      realServers: Array.from({ length: servers }, (_, j) => ({
        address: bigSpecAddress(i, j, servers),
        port: 8080,
        weight: 1,
      })),
    })),
  };
}
