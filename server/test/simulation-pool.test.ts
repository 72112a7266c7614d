import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type WhatIfQuestion, whatIf } from "@lvsfleet/ipvs";
import { ClusterSpec, DEMO_CLUSTER, desiredTable, ValidationError, validate } from "@lvsfleet/model";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulationAbortedError, SimulationBusyError } from "../src/simulation/errors.ts";
import { SimulationPool, type SimulationPoolSettings } from "../src/simulation/pool.ts";

/**
 * The simulation pool with real threads: the worker entry bundled as the build bundles it
 * (dependencies included, so that the bundle runs from a temporary directory), real piscina.
 */
let dir: string;
let workerFile: string;
const pools: SimulationPool[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lvsfleet-simpool-"));
  workerFile = join(dir, "simulation-worker.js");
  await build({
    entryPoints: ["server/src/simulation/worker.ts"],
    outfile: workerFile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
  });
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  rmSync(dir, { recursive: true, force: true });
});

function pool(settings: Partial<SimulationPoolSettings> = {}): SimulationPool {
  const created = new SimulationPool({
    threads: 1,
    queue: 2,
    deadlineMs: 30_000,
    memoryMb: 256,
    nice: 0,
    budgetMs: 2_000,
    workerFile,
    ...settings,
  });
  pools.push(created);
  return created;
}

const service = desiredTable(validate(ClusterSpec, DEMO_CLUSTER)).services[0]!;
const small: WhatIfQuestion = {
  table: { services: [service] },
  change: { kind: "drain", server: { address: "192.168.1.231" } },
  workload: { connectionsPerSecond: 5, clients: 500, durationSeconds: 30, drainHorizonSeconds: 60 },
  seed: 7,
};
/** Hours of simulation: never finishes within a test's time. */
const runaway: WhatIfQuestion = {
  ...small,
  workload: { connectionsPerSecond: 5_000, clients: 60_000, durationSeconds: 86_400, drainHorizonSeconds: 86_400 },
};
const HINT = "Ask a smaller question.";

// threads start, run into deadlines and are replaced: seconds, not milliseconds
describe("SimulationPool", { timeout: 60_000 }, () => {
  it("answers exactly what the simulator answers in-process, for a what-if and for plans", async () => {
    const p = pool();
    expect(await p.run({ kind: "whatif", question: small }, HINT)).toEqual(whatIf(small));
    const plan = await p.run({ kind: "spec-plan", name: "web", body: DEMO_CLUSTER, stored: undefined }, HINT);
    expect(plan.spec).toEqual(validate(ClusterSpec, DEMO_CLUSTER));
    expect(plan.desired).toEqual(desiredTable(plan.spec));
    expect(plan.specChanged).toBe(true);
    expect(plan.specChanges[0]).toMatch(/^add-service TCP 192\.168\.1\.229:80/);
    expect(await p.run({ kind: "table-plan", desired: plan.desired, observed: { services: [] } }, HINT)).toHaveLength(
      3,
    );
  });

  it("throws the input's refusals as the command layer's errors, not as a failed thread", async () => {
    const p = pool();
    const bad = await p
      .run({ kind: "spec-plan", name: "web", body: { ...DEMO_CLUSTER, vips: ["not-an-ip"] }, stored: undefined }, HINT)
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).errors[0]?.field).toBe("vips[0]");
    const unknown = await p
      .run({ kind: "whatif", question: { ...small, change: { kind: "drain", server: { address: "10.0.0.9" } } } }, HINT)
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(RangeError);
    expect((unknown as Error).message).toMatch(/^server: 10\.0\.0\.9 is not a real server/);
  });

  it("terminates a simulation that runs past its deadline, says so, and keeps serving", async () => {
    const p = pool({ deadlineMs: 1_000 });
    const started = performance.now();
    const error = await p.run({ kind: "whatif", question: runaway }, HINT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimulationAbortedError);
    expect((error as SimulationAbortedError).reason).toBe("deadline");
    expect((error as Error).message).toBe(
      "the simulation took longer than 1 s (LVSFLEET_SIM_DEADLINE_MS) and was stopped; nothing changed. Ask a smaller question.",
    );
    // functional, not a speed claim: a runaway of hours was stopped, long before it could finish
    expect(performance.now() - started).toBeLessThan(20_000);
    // the thread was replaced: the next question is answered
    expect(await p.run({ kind: "whatif", question: small }, HINT)).toEqual(whatIf(small));
  });

  it("refuses at once when every thread is busy and the queue is full, before running anything", async () => {
    const p = pool({ threads: 1, queue: 1, deadlineMs: 1_500 });
    const submitted = performance.now();
    const running = p.run({ kind: "whatif", question: runaway }, HINT).catch((e: unknown) => e);
    let queuedSettled = 0;
    const queued = p.run({ kind: "whatif", question: runaway }, HINT).catch((e: unknown) => {
      queuedSettled = performance.now() - submitted;
      return e;
    });
    expect(() => p.admit()).toThrow(SimulationBusyError);
    const refused = await p.run({ kind: "whatif", question: small }, HINT).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SimulationBusyError);
    expect((refused as SimulationBusyError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((refused as Error).message).toMatch(
      /^the server is already running 1 simulation with 1 more waiting \(LVSFLEET_SIM_THREADS, LVSFLEET_SIM_QUEUE\); nothing was simulated: retry in \d+ s$/,
    );
    // the two it took both ran into their deadline; the queued one's ran from its start, not from
    // the queue: it could not end before both deadlines had passed, one after the other
    expect(await running).toBeInstanceOf(SimulationAbortedError);
    expect(await queued).toBeInstanceOf(SimulationAbortedError);
    expect(queuedSettled).toBeGreaterThan(2 * 1_500 - 50);
    // and there is room again
    expect(() => p.admit()).not.toThrow();
    expect(await p.run({ kind: "whatif", question: small }, HINT)).toEqual(whatIf(small));
  });

  it("terminates a simulation that outgrows its thread's memory limit", async () => {
    const p = pool({ memoryMb: 32, deadlineMs: 60_000 });
    const error = await p.run({ kind: "whatif", question: runaway }, HINT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimulationAbortedError);
    expect((error as SimulationAbortedError).reason).toBe("memory");
    expect((error as Error).message).toMatch(/^the simulation needed more than 32 MB \(LVSFLEET_SIM_MEMORY_MB\)/);
    expect(await p.run({ kind: "whatif", question: small }, HINT)).toEqual(whatIf(small));
  });
});
