import { cpus, loadavg } from "node:os";
import { simulateGuideService, verdict } from "./guide-service.ts";

/**
 * bench/ipvs-sim: the 1,000,000-connection simulation of the guide's service (wrr 3:1,
 * persistence 60 s; see guide-service.ts), against the target of under 2 s.
 * Usage: npm run bench:ipvs-sim [-- connections=1000000 runs=3]
 */
const total = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.argv[3] ?? 3);

console.log(
  `# bench/ipvs-sim on ${cpus().length}x ${cpus()[0]?.model ?? "?"}, node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
const walls: number[] = [];
for (let i = 0; i < runs; i++) {
  const run = simulateGuideService(total);
  walls.push(run.wallSeconds);
  console.log(
    `run ${i + 1}: ${run.opened.toLocaleString("en")} connections (${run.virtualSeconds.toFixed(0)} s of virtual time) in ${run.wallSeconds.toFixed(2)} s wall, ${run.cpuSeconds.toFixed(2)} s CPU; ` +
      `${Math.round(run.opened / run.wallSeconds).toLocaleString("en")} connections/s, peak ${run.peakEntries.toLocaleString("en")} entries, split ${run.split.join(" : ")}`,
  );
}
const best = Math.min(...walls);
const median = [...walls].sort((a, b) => a - b)[Math.floor(walls.length / 2)]!;
console.log(
  `best ${best.toFixed(2)} s, median ${median.toFixed(2)} s: ${verdict(median, 2, false)} (under 2 s, median)`,
);
