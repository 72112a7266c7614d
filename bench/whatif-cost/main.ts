import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { type WhatIfQuestion, whatIf } from "@lvsfleet/ipvs";
import { type IpvsService, SCHEDULERS, type Scheduler } from "@lvsfleet/model";
import { type WhatIfWork, whatIfCost } from "../../server/src/simulation/budget.ts";

/**
 * bench/whatif-cost: how good is the what-if budget's cost model (server/src/simulation/budget.ts)?
 * For every scheduler, a few service sizes and three shapes of question, it asks the model for a
 * question it prices at `target` ms, runs it through the simulator in this thread (the best of two
 * runs, CPU time), and prints estimated vs measured. A ratio measured/estimated above 1 is a
 * question the budget lets through dearer than it thinks (the pool's deadline is the backstop).
 * Usage: node bench/dist/whatif-cost.js [--target 400] [--servers 2,64,1024] [--schedulers rr,wlc,…]
 */
const { values: args } = parseArgs({
  options: {
    target: { type: "string", default: "400" },
    servers: { type: "string", default: "2,64,1024" },
    schedulers: { type: "string", default: SCHEDULERS.join(",") },
  },
});
const target = Number(args.target);
const sizes = args.servers.split(",").map(Number);
const schedulers = args.schedulers.split(",") as Scheduler[];

function service(scheduler: Scheduler, servers: number, persistent: boolean, existingEach: number): IpvsService {
  return {
    protocol: "tcp",
    address: "198.18.0.1",
    port: 80,
    family: "inet",
    scheduler,
    schedulerFlags: [],
    persistence: persistent ? { timeout: 60, netmask: 32 } : undefined,
    destinations: Array.from({ length: servers }, (_, i) => ({
      address: `198.19.${i >> 8}.${i & 255}`,
      port: 80,
      forwarding: "dr" as const,
      weight: 1 + (i % 3),
      upperThreshold: 0,
      lowerThreshold: 0,
      activeConns: existingEach,
      inactConns: 0,
      persistConns: 0,
    })),
  };
}

/** The three shapes: a weight change (duration only), a drain without and with persistence (to the horizon). */
const SHAPES = [
  { name: "weight", drain: false, persistent: false, existingEach: 0, clients: 1000 },
  { name: "drain", drain: true, persistent: false, existingEach: 5, clients: 1000 },
  { name: "drain+persist", drain: true, persistent: true, existingEach: 5, clients: 20 },
] as const;

function cpuMs(question: WhatIfQuestion): number {
  const best = [0, 1].map(() => {
    const start = process.cpuUsage();
    whatIf(question);
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  });
  return Math.min(...best);
}

console.log(
  `# bench/whatif-cost on ${cpus().length}x ${cpus()[0]?.model ?? "?"}, node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}; questions priced at ${target} ms`,
);
console.log("scheduler  servers  shape          conn/s   estimated ms  measured ms  measured/estimated");
const ratios: number[] = [];
for (const scheduler of schedulers)
  for (const servers of sizes)
    for (const shape of SHAPES) {
      const table = service(scheduler, servers, shape.persistent, shape.existingEach);
      const work = (cps: number): WhatIfWork => ({
        realServers: servers,
        existingConnections: servers * shape.existingEach,
        connectionsPerSecond: cps,
        lifetime: { kind: "exponential", meanSeconds: 30 },
        durationSeconds: 300,
        drainHorizonSeconds: 3600,
        persistent: shape.persistent,
        schedulers: { before: scheduler, after: scheduler },
        waitsForDrain: { before: false, after: shape.drain },
      });
      // the rate the model prices at `target` (or the lowest it allows)
      let [lo, hi] = [0.01, 10_000];
      for (let i = 0; i < 40; i++) {
        const mid = (lo + hi) / 2;
        if (whatIfCost(work(mid)).ms <= target) lo = mid;
        else hi = mid;
      }
      const cps = Math.max(0.01, Math.floor(lo * 100) / 100);
      const estimated = whatIfCost(work(cps)).ms;
      const first = table.destinations[0]!;
      const measured = cpuMs({
        table: { services: [table] },
        change: shape.drain
          ? { kind: "drain", server: { address: first.address } }
          : { kind: "weight", server: { address: first.address }, weight: 7 },
        workload: {
          connectionsPerSecond: cps,
          lifetime: { kind: "exponential", meanSeconds: 30 },
          clients: shape.clients,
          durationSeconds: 300,
          drainHorizonSeconds: 3600,
          persistence: "as-configured",
        },
      });
      ratios.push(measured / estimated);
      console.log(
        `${scheduler.padEnd(9)}  ${String(servers).padStart(7)}  ${shape.name.padEnd(13)}  ${cps.toFixed(2).padStart(7)}  ${estimated.toFixed(0).padStart(12)}  ${measured.toFixed(0).padStart(11)}  ${(measured / estimated).toFixed(2).padStart(18)}`,
      );
    }
const sorted = [...ratios].sort((a, b) => a - b);
console.log(
  `measured/estimated over ${sorted.length} questions: min ${sorted[0]?.toFixed(2)}, median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(2)}, max ${sorted.at(-1)?.toFixed(2)}`,
);
