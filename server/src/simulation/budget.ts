import type { LifetimeDistribution } from "@lvsfleet/ipvs";
import { type Scheduler, ValidationError } from "@lvsfleet/model";

/** What a what-if will make the simulator do: the inputs of its CPU cost. */
export interface WhatIfWork {
  /** Real servers of the service (each one more to look at per connection, per tick, per sample). */
  realServers: number;
  /** ActiveConn + InActConn of the starting table: seeded in both branches. */
  existingConnections: number;
  connectionsPerSecond: number;
  lifetime: LifetimeDistribution;
  durationSeconds: number;
  drainHorizonSeconds: number;
  /** Persistence in the prediction: a drained server's returning clients keep coming back to it. */
  persistent: boolean;
  schedulers: { before: Scheduler; after: Scheduler };
  /** Whether the branch has a server that takes no new connections (weight 0, removed), watched until it is empty. */
  waitsForDrain: { before: boolean; after: boolean };
}

export interface WhatIfCost {
  /** Estimated CPU time, in milliseconds of the reference machine (docs/benchmarks.md). */
  ms: number;
  /** Connections simulated, both branches, existing ones included. */
  connections: number;
  /** Virtual seconds simulated, both branches. */
  simulatedSeconds: number;
}

/**
 * Microseconds of CPU per simulated connection: `base` plus `perServer` for each real server the
 * scheduler looks at, measured on the reference machine with bench/whatif-cost (docs/benchmarks.md)
 * and rounded up. rr, sh and lblc pick in about constant time; the hashing schedulers (sh, dh, mh)
 * hash every new client; the least-connection family (lc, wlc, sed, nq, fo, ovf, twos) and lblcr
 * scan the servers for each new connection.
 */
const PER_CONNECTION_US: Record<Scheduler, { base: number; perServer: number }> = {
  rr: { base: 5, perServer: 0.002 },
  wrr: { base: 5, perServer: 0.004 },
  lc: { base: 5, perServer: 0.006 },
  wlc: { base: 5, perServer: 0.01 },
  sed: { base: 5, perServer: 0.021 },
  nq: { base: 5.5, perServer: 0.008 },
  fo: { base: 5, perServer: 0.01 },
  ovf: { base: 5, perServer: 0.01 },
  twos: { base: 5, perServer: 0.013 },
  sh: { base: 6, perServer: 0.002 },
  dh: { base: 6, perServer: 0.005 },
  mh: { base: 7.5, perServer: 0.005 },
  lblc: { base: 5.5, perServer: 0.002 },
  lblcr: { base: 5.5, perServer: 0.008 },
};

/** Microseconds per real server to load the table and lay out the answer, per branch. */
const SETUP_PER_SERVER_US = 170;
/**
 * mh rebuilds its Maglev lookup table whenever a server is added, so loading N servers costs
 * about N rebuilds (measured: 1.4 s for 1,024 servers, 3.9 s for 2,048), per branch.
 */
const TABLE_BUILD_US: Partial<Record<Scheduler, (servers: number) => number>> = {
  mh: (n) => 450 * n + 0.25 * n * n,
};

/** Microseconds per virtual second: the clock's tick and the drain check. */
const PER_SECOND_US = 30;
/** Microseconds per virtual second per real server: the rate estimators and the timeline. */
const PER_SERVER_SECOND_US = 1.1;
/** How long past a connection's life a drained server may still hold it (tcpfin 120 s, udp 300 s). */
const CLOSE_SECONDS = 300;

/**
 * How long a branch runs: the duration, or longer while a drained server still holds connections.
 * With persistence its returning clients may keep it busy to the horizon; without, it is empty once
 * the connections it holds have ended (the longest of them: a fixed lifetime, or for exponential
 * ones the mean × (ln n + 5), which fewer than 1 % of runs exceed) and closed.
 */
function branchSeconds(work: WhatIfWork, waits: boolean): number {
  if (!waits) return work.durationSeconds;
  const held = work.existingConnections + work.connectionsPerSecond * lifetimeMean(work.lifetime);
  const lastEnds =
    work.lifetime.kind === "fixed" ? work.lifetime.seconds : work.lifetime.meanSeconds * (Math.log(held + 1) + 5);
  const wait = work.persistent
    ? work.drainHorizonSeconds
    : Math.min(work.drainHorizonSeconds, lastEnds + CLOSE_SECONDS);
  return Math.max(work.durationSeconds, wait);
}

const lifetimeMean = (l: LifetimeDistribution) => (l.kind === "fixed" ? l.seconds : l.meanSeconds);

/** The estimated CPU cost of a what-if: both branches, each for as long as it may run. Pure. */
export function whatIfCost(work: WhatIfWork): WhatIfCost {
  const branch = (scheduler: Scheduler, waits: boolean) => {
    const seconds = branchSeconds(work, waits);
    const connections = work.existingConnections + work.connectionsPerSecond * seconds;
    const { base, perServer } = PER_CONNECTION_US[scheduler];
    const us =
      work.realServers * SETUP_PER_SERVER_US +
      (TABLE_BUILD_US[scheduler]?.(work.realServers) ?? 0) +
      connections * (base + perServer * work.realServers) +
      seconds * (PER_SECOND_US + PER_SERVER_SECOND_US * work.realServers);
    return { us, connections, seconds };
  };
  const before = branch(work.schedulers.before, work.waitsForDrain.before);
  const after = branch(work.schedulers.after, work.waitsForDrain.after);
  return {
    ms: (before.us + after.us) / 1000,
    connections: before.connections + after.connections,
    simulatedSeconds: before.seconds + after.seconds,
  };
}

/** Where a what-if's inputs came from, to name them in a refusal. */
export interface WhatIfWorkSource {
  /** `web/http` */
  service: string;
  /** The connection rate was given (else observed on the director, or the default). */
  rateGiven: boolean;
  /** The request path of the scheduler change, when it makes each connection dearer (`change[1].scheduler`). */
  schedulerField?: string | undefined;
}

/** The largest value in [low, high] whose cost fits (cost grows with the value), or undefined. */
function largestFitting(
  low: number,
  high: number,
  fits: (value: number) => boolean,
  integer: boolean,
): number | undefined {
  if (!fits(low)) return undefined;
  let [lo, hi] = [low, high];
  for (let i = 0; i < 60 && hi - lo > (integer ? 1 : 0.01); i++) {
    const mid = integer ? Math.floor((lo + hi) / 2) : (lo + hi) / 2;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return integer ? lo : Math.floor(lo * 100) / 100;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en");

/**
 * Refuses a what-if whose estimated cost is over the budget, before any work: a ValidationError
 * (400) naming every field that would bring it under the budget on its own (with the largest value
 * that would), the closest one first, then the ones that make it dear but cannot alone. Pure.
 */
export function checkWhatIfBudget(work: WhatIfWork, budgetMs: number, source: WhatIfWorkSource): void {
  const cost = whatIfCost(work);
  if (cost.ms <= budgetMs) return;
  const fits = (changed: Partial<WhatIfWork>) => whatIfCost({ ...work, ...changed }).ms <= budgetMs;
  const estimate = `the prediction would simulate about ${fmt(cost.connections)} connections over ${fmt(cost.simulatedSeconds)} virtual seconds, an estimated ${fmt(cost.ms)} ms of CPU (limit ${fmt(budgetMs)} ms, LVSFLEET_SIM_BUDGET_MS)`;
  /** room: the fraction of its value a number may keep and fit (0: it cannot fit alone); 1 for a switch that fits alone. */
  const levers: { field: string; message: string; room: number; numeric: boolean }[] = [];

  const rate = largestFitting(0.01, work.connectionsPerSecond, (v) => fits({ connectionsPerSecond: v }), false);
  levers.push({
    field: "traffic.connectionsPerSecond",
    numeric: true,
    room: rate === undefined ? 0 : rate / work.connectionsPerSecond,
    message: `${source.rateGiven ? "" : "none given, so the director's measured rate (or 10/s) is used: "}${work.connectionsPerSecond}/s; ${rate === undefined ? "even a rate near 0 is over the budget" : `give at most ${rate >= 1 ? Math.floor(rate) : rate}/s`}`,
  });

  const waits = work.waitsForDrain.before || work.waitsForDrain.after;
  const horizonMatters = whatIfCost({ ...work, drainHorizonSeconds: work.durationSeconds }).ms < cost.ms;
  if (waits && horizonMatters) {
    const horizon = largestFitting(
      work.durationSeconds,
      work.drainHorizonSeconds,
      (v) => fits({ drainHorizonSeconds: v }),
      true,
    );
    levers.push({
      field: "traffic.drainHorizonSeconds",
      numeric: true,
      room: horizon === undefined ? 0 : horizon / work.drainHorizonSeconds,
      message: `a server that takes no new connections is watched for up to ${work.drainHorizonSeconds} s until it is empty${work.persistent ? " (with persistence its returning clients may keep it busy that long)" : ""}; ${horizon === undefined ? "lowering it alone is not enough" : `give at most ${horizon}`}`,
    });
  }

  const duration = largestFitting(10, work.durationSeconds, (v) => fits({ durationSeconds: v }), true);
  levers.push({
    field: "traffic.durationSeconds",
    numeric: true,
    room: duration === undefined ? 0 : duration / work.durationSeconds,
    message: `predicting ${work.durationSeconds} s; ${duration === undefined ? "lowering it alone is not enough" : `give at most ${duration}`}`,
  });

  if (work.persistent && waits && horizonMatters)
    levers.push({
      field: "traffic.persistence",
      numeric: false,
      room: fits({ persistent: false }) ? 1 : 0,
      message:
        "with persistence a drained server may never be empty, so the prediction runs to the drain horizon; false predicts without it",
    });

  const per = (s: Scheduler) => PER_CONNECTION_US[s].base + PER_CONNECTION_US[s].perServer * work.realServers;
  if (source.schedulerField && per(work.schedulers.after) > per(work.schedulers.before))
    levers.push({
      field: source.schedulerField,
      numeric: false,
      room: fits({ schedulers: { ...work.schedulers, after: work.schedulers.before } }) ? 1 : 0,
      message: `${work.schedulers.after} costs about ${(per(work.schedulers.after) / per(work.schedulers.before)).toFixed(1)}× what ${work.schedulers.before} does per connection over ${work.realServers} real servers`,
    });

  const withTwoServers = whatIfCost({ ...work, realServers: 2 }).ms;
  if (withTwoServers < cost.ms / 2)
    levers.push({
      field: "service",
      numeric: false,
      room: 0,
      message: `${source.service} has ${work.realServers} real servers: more than half of the cost is theirs (each is loaded, ticked and sampled${PER_CONNECTION_US[work.schedulers.after].perServer >= 0.008 ? `, and ${work.schedulers.after} looks at every one for each new connection` : ""}${TABLE_BUILD_US[work.schedulers.after] ? `; ${work.schedulers.after} rebuilds its lookup table for each` : ""})`,
    });

  // numbers that alone would fit, the smallest change first; then switches that would; then the rest
  const ordered = [
    ...levers.filter((l) => l.numeric && l.room > 0).sort((a, b) => b.room - a.room),
    ...levers.filter((l) => !l.numeric && l.room > 0),
    ...levers.filter((l) => l.room === 0),
  ];
  throw new ValidationError(
    ordered.map(({ field, message }, i) => ({
      field,
      message: i === 0 ? `${estimate}: too big; ${message}` : message,
    })),
  );
}
