import { cpus, loadavg } from "node:os";
import { SCHEDULERS } from "@lvsfleet/model";
import { simulateGuideService, verdict } from "../ipvs-sim/guide-service.ts";
import { decisionsPerSecond } from "./decisions.ts";

/**
 * bench/scheduler (the benchmark): scheduling decisions per second for every scheduler
 * with 10 and 1,000 real servers (best of three), and the 1,000,000-connection simulation of the
 * guide's service. Targets on this machine: ≥ 2,000,000/s for rr and wrr, ≥ 1,000,000/s for the
 * others with 10 servers; the simulation under 2 s.
 * Usage: npm run bench:scheduler [-- decisions=300000 connections=1000000]
 */
const decisions = Number(process.argv[2] ?? 300_000);
const total = Number(process.argv[3] ?? 1_000_000);

console.log(
  `# bench/scheduler on ${cpus().length}x ${cpus()[0]?.model ?? "?"}, node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log("scheduler  decisions/s (10 servers)  decisions/s (1000 servers)  target (10 servers)");
const best = (scheduler: (typeof SCHEDULERS)[number], servers: number) =>
  Math.max(...[0, 1, 2].map(() => decisionsPerSecond(scheduler, servers, decisions)));
for (const scheduler of SCHEDULERS) {
  const ten = best(scheduler, 10);
  const thousand = best(scheduler, 1000);
  const target = scheduler === "rr" || scheduler === "wrr" ? 2_000_000 : 1_000_000;
  console.log(
    `${scheduler.padEnd(10)} ${Math.round(ten).toLocaleString("en").padStart(24)} ${Math.round(thousand).toLocaleString("en").padStart(27)}  ≥ ${target.toLocaleString("en")}: ${verdict(Math.round(ten), target, true)}`,
  );
}
const run = simulateGuideService(total);
console.log(
  `guide service (wrr 3:1, persistence 60 s): ${run.opened.toLocaleString("en")} connections in ${run.wallSeconds.toFixed(2)} s wall ` +
    `(${run.cpuSeconds.toFixed(2)} s CPU), peak ${run.peakEntries.toLocaleString("en")} entries, split ${run.split.join(" : ")}; ` +
    `under 2 s: ${verdict(run.wallSeconds, 2, false)}`,
);
