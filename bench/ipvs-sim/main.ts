import { cpus } from "node:os";
import { Simulator, TrafficGenerator } from "@lvsfleet/ipvs";
import {
  ClusterSpec,
  DEMO_CLUSTER,
  desiredTable,
  type IpvsServiceConfig,
  SCHEDULERS,
  type Scheduler,
} from "@lvsfleet/model";

/**
 * bench/ipvs-sim: how fast the simulator schedules and simulates.
 * 1. Scheduling decisions per second for every scheduler with 10 and 1,000 real servers: each
 *    decision is a full new connection (service lookup, scheduler, connection entry, counters)
 *    on a one-packet UDP service, so the entry is gone at once and the table stays small.
 * 2. A 1,000,000-connection simulation of the guide's service (wrr 3:1, persistence 60 s),
 *    10,000 clients at 2,000 new connections/s, lifetimes exponential with mean 5 s.
 * Usage: node bench/dist/ipvs-sim.js [decisions=200000] [connections=1000000]
 */
const decisions = Number(process.argv[2] ?? 200_000);
const total = Number(process.argv[3] ?? 1_000_000);

function decisionsPerSecond(scheduler: Scheduler, servers: number): number {
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
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return decisions / seconds;
}

console.log(`# bench/ipvs-sim on ${cpus().length}x ${cpus()[0]?.model ?? "?"}, node ${process.version}`);
console.log("scheduler  decisions/s (10 servers)  decisions/s (1000 servers)");
for (const scheduler of SCHEDULERS) {
  const ten = decisionsPerSecond(scheduler, 10);
  const thousand = decisionsPerSecond(scheduler, 1000);
  console.log(
    `${scheduler.padEnd(10)} ${Math.round(ten).toLocaleString("en").padStart(24)} ${Math.round(thousand).toLocaleString("en").padStart(27)}`,
  );
}

// the guide's service: wrr 3:1, persistence 60 s
const sim = new Simulator({ seed: 1 });
const table = desiredTable(ClusterSpec.parse(DEMO_CLUSTER));
sim.load(table);
const rate = 2000;
const traffic = new TrafficGenerator(sim, {
  target: { address: table.services[0]!.address!, port: table.services[0]!.port! },
  connectionsPerSecond: rate,
  lifetime: { kind: "exponential", meanSeconds: 5 },
  clients: 10_000,
  seed: 1,
});
const t0 = process.hrtime.bigint();
traffic.start();
let peak = 0;
while (traffic.counts.opened + traffic.counts.refused < total) {
  sim.tick(1000);
  peak = Math.max(peak, sim.connectionCount());
}
traffic.stop();
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const [a, b] = [...traffic.counts.byDestination.values()];
console.log(
  `guide service: ${traffic.counts.opened.toLocaleString("en")} connections in ${(sim.now() / 1000).toFixed(0)} s of virtual time, ` +
    `${wall.toFixed(2)} s wall (${Math.round(traffic.counts.opened / wall).toLocaleString("en")} connections/s), ` +
    `peak ${peak.toLocaleString("en")} entries, split ${a}:${b}, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB`,
);
