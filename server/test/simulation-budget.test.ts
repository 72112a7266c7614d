import { ValidationError } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { checkWhatIfBudget, type WhatIfWork, type WhatIfWorkSource, whatIfCost } from "../src/simulation/budget.ts";

/** The guide's service under a light load, drained: wrr over two servers, persistence 60 s. */
const drain: WhatIfWork = {
  realServers: 2,
  existingConnections: 300,
  connectionsPerSecond: 20,
  lifetime: { kind: "exponential", meanSeconds: 30 },
  durationSeconds: 300,
  drainHorizonSeconds: 3600,
  persistent: true,
  schedulers: { before: "wrr", after: "wrr" },
  waitsForDrain: { before: false, after: true },
};
const source = { service: "web/http", rateGiven: true };

function refusal(work: WhatIfWork, budgetMs: number, from: WhatIfWorkSource = source): ValidationError {
  try {
    checkWhatIfBudget(work, budgetMs, from);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("whatIfCost", () => {
  it("counts both branches, existing connections in each, the after branch to the horizon when it drains with persistence", () => {
    const cost = whatIfCost(drain);
    expect(cost.connections).toBe(300 + 20 * 300 + (300 + 20 * 3600));
    expect(cost.simulatedSeconds).toBe(300 + 3600);
    expect(cost.ms).toBeGreaterThan(0);
  });

  it("grows with every input that makes the simulator work more", () => {
    const base = whatIfCost(drain).ms;
    const dearer = (changed: Partial<WhatIfWork>) => whatIfCost({ ...drain, ...changed }).ms;
    expect(dearer({ connectionsPerSecond: 40 })).toBeGreaterThan(base);
    expect(dearer({ durationSeconds: 600 })).toBeGreaterThan(base);
    expect(dearer({ drainHorizonSeconds: 7200 })).toBeGreaterThan(base);
    expect(dearer({ existingConnections: 30_000 })).toBeGreaterThan(base);
    expect(dearer({ realServers: 200 })).toBeGreaterThan(base);
    expect(dearer({ waitsForDrain: { before: true, after: true } })).toBeGreaterThan(base);
  });

  it("prices schedulers by what they do per connection: scans and hashes cost more than rr", () => {
    const over = (scheduler: WhatIfWork["schedulers"]["after"], realServers: number) =>
      whatIfCost({ ...drain, realServers, schedulers: { before: scheduler, after: scheduler } }).ms;
    for (const dear of ["wlc", "sed", "lblcr", "sh", "mh", "lblc"] as const)
      expect(over(dear, 1000), dear).toBeGreaterThan(over("rr", 1000));
    // a scan grows with the servers faster than round robin does
    expect(over("wlc", 1000) - over("wlc", 10)).toBeGreaterThan(over("rr", 1000) - over("rr", 10));
  });

  it("without persistence a drained server empties once its connections end: the horizon stops mattering", () => {
    const off = { ...drain, persistent: false };
    const fixed = { ...off, lifetime: { kind: "fixed" as const, seconds: 20 } };
    // 20 s lives and up to 300 s to close: the after branch runs 320 s, not the 3600 s horizon
    expect(whatIfCost(fixed).simulatedSeconds).toBe(300 + 320);
    expect(whatIfCost({ ...fixed, drainHorizonSeconds: 86_400 }).ms).toBe(whatIfCost(fixed).ms);
    // with persistence the same drain runs to the horizon
    expect(whatIfCost({ ...fixed, persistent: true }).simulatedSeconds).toBe(300 + 3600);
    // long exponential lives: cut at the horizon
    expect(whatIfCost({ ...off, lifetime: { kind: "exponential", meanSeconds: 3600 } }).simulatedSeconds).toBe(
      300 + 3600,
    );
  });

  it("a weight change that drains nothing runs the duration in both branches", () => {
    expect(whatIfCost({ ...drain, waitsForDrain: { before: false, after: false } }).simulatedSeconds).toBe(600);
  });
});

describe("checkWhatIfBudget", () => {
  it("accepts what fits the budget", () => {
    expect(() => checkWhatIfBudget(drain, 2_000, source)).not.toThrow();
    expect(() => checkWhatIfBudget(drain, whatIfCost(drain).ms, source)).not.toThrow();
  });

  it("refuses too high a rate naming traffic.connectionsPerSecond, with the estimate and a rate that fits", () => {
    const work = { ...drain, connectionsPerSecond: 5_000 };
    const error = refusal(work, 2_000);
    expect(error.errors[0]?.field).toBe("traffic.connectionsPerSecond");
    expect(error.errors[0]?.message).toMatch(
      /^the prediction would simulate about [\d,]+ connections over 3,900 virtual seconds, an estimated [\d,]+ ms of CPU \(limit 2,000 ms, LVSFLEET_SIM_BUDGET_MS\): too big; 5000\/s; give at most (\d+)\/s$/,
    );
    const fitting = Number(/give at most (\d+)\/s$/.exec(error.errors[0]!.message)![1]);
    expect(whatIfCost({ ...work, connectionsPerSecond: fitting }).ms).toBeLessThanOrEqual(2_000);
    expect(whatIfCost({ ...work, connectionsPerSecond: fitting + 1 }).ms).toBeGreaterThan(2_000);
    // persistence makes the drain run to the horizon: named too, as what would help
    expect(error.errors.map((e) => e.field)).toContain("traffic.drainHorizonSeconds");
    expect(error.errors.map((e) => e.field)).toContain("traffic.persistence");
  });

  it("names the horizon first when a long drain watch is what makes it dear", () => {
    const work = { ...drain, connectionsPerSecond: 100, drainHorizonSeconds: 86_400 };
    const error = refusal(work, 2_000);
    expect(error.errors[0]?.field).toBe("traffic.drainHorizonSeconds");
    const horizon = Number(/give at most (\d+)$/.exec(error.errors[0]!.message)![1]);
    expect(whatIfCost({ ...work, drainHorizonSeconds: horizon }).ms).toBeLessThanOrEqual(2_000);
    expect(error.errors[0]?.message).toContain("with persistence its returning clients may keep it busy that long");
  });

  it("says when the rate was not given but measured, and names many real servers", () => {
    const work: WhatIfWork = {
      ...drain,
      realServers: 5_000,
      existingConnections: 0,
      schedulers: { before: "sed", after: "sed" },
      persistent: false,
      waitsForDrain: { before: false, after: false },
      durationSeconds: 3_600,
      connectionsPerSecond: 500,
    };
    const error = refusal(work, 2_000, { ...source, rateGiven: false });
    const rate = error.errors.find((e) => e.field === "traffic.connectionsPerSecond");
    expect(rate?.message).toMatch(/none given, so the director's measured rate \(or 10\/s\) is used: 500\/s/);
    expect(error.errors.find((e) => e.field === "service")?.message).toBe(
      "web/http has 5000 real servers: more than half of the cost is theirs (each is loaded, ticked and sampled, and sed looks at every one for each new connection)",
    );
  });

  it("names the real servers of an mh service, whose lookup table is rebuilt for each", () => {
    const work: WhatIfWork = {
      ...drain,
      realServers: 3_000,
      schedulers: { before: "mh", after: "mh" },
      waitsForDrain: { before: false, after: false },
    };
    const error = refusal(work, 2_000);
    expect(error.errors.find((e) => e.field === "service")?.message).toBe(
      "web/http has 3000 real servers: more than half of the cost is theirs (each is loaded, ticked and sampled; mh rebuilds its lookup table for each)",
    );
    // no rate fits: the servers alone are over the budget
    expect(error.errors[0]?.message).toMatch(/even a rate near 0 is over the budget/);
  });

  it("names a scheduler change that makes each connection dearer", () => {
    const work: WhatIfWork = {
      ...drain,
      realServers: 2_000,
      connectionsPerSecond: 50,
      schedulers: { before: "rr", after: "sed" },
    };
    const error = refusal(work, 2_000, { ...source, schedulerField: "change[1].scheduler" });
    expect(error.errors.find((e) => e.field === "change[1].scheduler")?.message).toMatch(
      /^sed costs about [\d.]+× what rr does per connection over 2000 real servers$/,
    );
  });

  it("says when no single field would make it fit", () => {
    const error = refusal({ ...drain, existingConnections: 10_000_000 }, 2_000);
    expect(error.errors[0]?.message).toMatch(/even a rate near 0 is over the budget|lowering it alone is not enough/);
    expect(error.errors.every((e) => !/give at most/.test(e.message))).toBe(true);
  });
});
