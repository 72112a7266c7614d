import { Simulator, TrafficGenerator } from "@lvsfleet/ipvs";
import { ClusterSpec, DEMO_CLUSTER, desiredTable } from "@lvsfleet/model";

export interface GuideRun {
  opened: number;
  virtualSeconds: number;
  wallSeconds: number;
  /** CPU time of this process (all threads: the garbage collector's helpers count). */
  cpuSeconds: number;
  peakEntries: number;
  /** New connections per real server, weight 3 first. */
  split: number[];
}

/**
 * The guide's service (wrr 3:1, persistence 60 s, LVS-DR) in the simulator: 10,000 clients open
 * 2,000 connections/s with lifetimes exponential around 5 s until `total` connections were
 * opened. Every connection is a full one: scheduling through its client's persistence template,
 * handshake, data, FIN, and its 120 s in FIN_WAIT; hence the ~250,000 entries at the peak.
 */
export function simulateGuideService(total: number): GuideRun {
  const sim = new Simulator({ seed: 1 });
  const table = desiredTable(ClusterSpec.parse(DEMO_CLUSTER));
  sim.load(table);
  const service = table.services[0]!;
  const traffic = new TrafficGenerator(sim, {
    target: { address: service.address!, port: service.port! },
    connectionsPerSecond: 2000,
    lifetime: { kind: "exponential", meanSeconds: 5 },
    clients: 10_000,
    seed: 1,
  });
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  traffic.start();
  let peak = 0;
  while (traffic.counts.opened + traffic.counts.refused < total) {
    sim.tick(1000);
    peak = Math.max(peak, sim.connectionCount());
  }
  traffic.stop();
  const used = process.cpuUsage(cpu);
  const byServer = traffic.counts.byDestination;
  return {
    opened: traffic.counts.opened,
    virtualSeconds: sim.now() / 1000,
    wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    cpuSeconds: (used.user + used.system) / 1e6,
    peakEntries: peak,
    split: service.destinations.map((d) => byServer.get(`${d.address}:${d.port}`) ?? 0),
  };
}

/** How a figure compares with its target, unrounded: "met" or "missed by …". */
export function verdict(value: number, target: number, higherIsBetter: boolean): string {
  const met = higherIsBetter ? value >= target : value < target;
  if (met) return "target met";
  const by = higherIsBetter ? target - value : value - target;
  return `target MISSED by ${by.toLocaleString("en", { maximumFractionDigits: 3 })} (${((by / target) * 100).toFixed(1)}%)`;
}
