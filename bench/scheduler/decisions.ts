import { Simulator } from "@lvsfleet/ipvs";
import type { IpvsServiceConfig, Scheduler } from "@lvsfleet/model";

/**
 * Scheduling decisions per second: each decision is a full new connection (service lookup,
 * the scheduler, a connection entry, counters) on a one-packet UDP service, so that the entry
 * is gone at once and the table stays small. Servers get weights 1-4; clients come from 4,096
 * addresses (the hashing schedulers see many keys); 2,000 connections warm up first.
 */
export function decisionsPerSecond(scheduler: Scheduler, servers: number, decisions: number): number {
  const service: IpvsServiceConfig = {
    protocol: "udp",
    address: "198.18.0.100",
    port: 53,
    family: "inet",
    scheduler,
    schedulerFlags: [],
    onePacket: true,
  };
  const sim = new Simulator({ seed: 1 });
  sim.applyOperations([{ op: "add-service", service }]);
  for (let i = 0; i < servers; i++)
    sim.applyOperations([
      {
        op: "add-destination",
        service,
        destination: {
          address: `198.18.${10 + (i >> 8)}.${i & 255}`,
          port: 53,
          forwarding: "nat",
          weight: 1 + (i % 4),
          upperThreshold: 0,
          lowerThreshold: 0,
        },
      },
    ]);
  const request = { protocol: "udp" as const, client: "", clientPort: 0, address: "198.18.0.100", port: 53 };
  const clients = Array.from({ length: 4096 }, (_, i) => `198.19.${i >> 8}.${i & 255}`);
  for (let i = 0; i < 2000; i++) sim.openConnection({ ...request, client: clients[i & 4095]!, clientPort: i });
  const start = process.hrtime.bigint();
  for (let i = 0; i < decisions; i++) {
    request.client = clients[i & 4095]!;
    request.clientPort = 1024 + (i & 0x7fff);
    sim.openConnection(request);
  }
  return decisions / (Number(process.hrtime.bigint() - start) / 1e9);
}
