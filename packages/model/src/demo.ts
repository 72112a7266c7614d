import type { ClusterSpecInput } from "./spec.ts";

/**
 * The guide's topology: directors 192.168.1.252 (master) and .230 (backup), VIP .229,
 * real servers .220 (weight 3) and .231 (weight 1) on port 80, wrr, DR, persistence 60 s.
 * These addresses are labels inside the simulated demo fleet; nothing opens a socket to them.
 */
export const DEMO_CLUSTER: ClusterSpecInput = {
  name: "web",
  vips: ["192.168.1.229"],
  directors: [
    { host: "lb-master", address: "192.168.1.252", role: "master", priority: 100, interface: "eth0" },
    { host: "lb-backup", address: "192.168.1.230", role: "backup", priority: 90, interface: "eth0" },
  ],
  services: [
    {
      name: "http",
      protocol: "tcp",
      address: "192.168.1.229",
      port: 80,
      scheduler: "wrr",
      forwarding: "dr",
      persistence: { timeout: 60 },
      inhibitOnFailure: true,
      realServers: [
        { address: "192.168.1.220", port: 80, weight: 3, host: "web1" },
        { address: "192.168.1.231", port: 80, weight: 1, host: "web2" },
      ],
    },
  ],
};
