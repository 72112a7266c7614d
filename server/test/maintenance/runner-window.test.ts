import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { JobPlanOptions } from "../../src/maintenance/types.ts";
import { type PrivateRedis, startRedis } from "../support/redis.ts";
import { server, World } from "./world.ts";

let redis: PrivateRedis;
let world: World;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
beforeEach(async () => {
  world = await World.create(redis);
});
afterEach(async () => {
  await world?.close();
});

const window = (holdSeconds: number | undefined): JobPlanOptions => ({
  kind: "maintenance",
  holdSeconds,
  timeoutSeconds: 30,
  includeInactive: false,
  onTimeout: "fail",
});

const ORIGINAL = { "198.18.1.1": 2, "198.18.1.2": 1, "198.18.1.3": 1 };

describe("maintenance runner: maintenance window", () => {
  it("drains, holds for its time, and restores the weight", async () => {
    const job = await world.submit(window(1), [server(1), server(3)]);
    const engine = world.engine();
    const running = world.finish(engine, job.id);
    await expect.poll(async () => (await world.job(job.id)).steps[2]?.state, { timeout: 5_000 }).toBe("running");
    // held: out of service on every director, the undo log says how to put them back
    expect((await world.weights()).lb2).toEqual({ "198.18.1.1": 0, "198.18.1.2": 1, "198.18.1.3": 0 });
    expect((await world.job(job.id)).changed).toEqual([
      { kind: "weight", ref: server(1), before: 2, set: 0 },
      { kind: "weight", ref: server(3), before: 1, set: 0 },
    ]);
    const done = await running;
    expect(done.state).toBe("completed");
    expect(done.summary).toBe("maintenance of 198.18.1.1:80, 198.18.1.3:80 done; weights restored");
    expect(done.steps[2]?.detail).toBe("held 1 s");
    expect(await world.weights()).toEqual({ spec: ORIGINAL, lb1: ORIGINAL, lb2: ORIGINAL });
    expect(await world.marks()).toEqual([]);
  });

  it("holds until ended when it has no time, then restores", async () => {
    const job = await world.submit(window(undefined), [server(2)]);
    const running = world.finish(world.engine(), job.id);
    await expect.poll(async () => (await world.job(job.id)).steps[2]?.state, { timeout: 5_000 }).toBe("running");
    await new Promise((r) => setTimeout(r, 200));
    expect((await world.job(job.id)).state).toBe("active");
    await world.control(job.id, "end");
    const done = await running;
    expect(done.state).toBe("completed");
    expect(done.steps[2]?.detail).toBe("ended early");
    expect(await world.weights()).toEqual({ spec: ORIGINAL, lb1: ORIGINAL, lb2: ORIGINAL });
  });

  it("pauses at a safe point, goes on when resumed", async () => {
    const job = await world.submit(window(undefined), [server(2)]);
    const running = world.finish(world.engine(), job.id);
    await expect.poll(async () => (await world.job(job.id)).steps[2]?.state, { timeout: 5_000 }).toBe("running");
    await world.control(job.id, "pause");
    await expect.poll(async () => (await world.job(job.id)).state, { timeout: 5_000 }).toBe("paused");
    expect(world.events.map((e) => e.message)).toContain("paused before step 3: resume to go on, cancel to restore");
    // paused: the server stays drained, nothing is restored
    expect((await world.weights()).lb1["198.18.1.2"]).toBe(0);
    await world.control(job.id, "resume");
    await expect.poll(async () => (await world.job(job.id)).state, { timeout: 5_000 }).toBe("active");
    await world.control(job.id, "end");
    expect((await running).state).toBe("completed");
    expect(world.events.map((e) => e.message)).toContain("resumed");
    expect(await world.weights()).toEqual({ spec: ORIGINAL, lb1: ORIGINAL, lb2: ORIGINAL });
  });

  it("a cancel restores what the job changed, and ends it cancelled", async () => {
    const job = await world.submit(window(undefined), [server(1)]);
    const running = world.finish(world.engine(), job.id);
    await expect.poll(async () => (await world.job(job.id)).steps[2]?.state, { timeout: 5_000 }).toBe("running");
    await world.control(job.id, "cancel");
    const done = await running;
    expect(done.state).toBe("cancelled");
    expect(done.summary).toBe("cancelled at step 3; restored: 198.18.1.1:80 weight 0 -> 2");
    expect(done.changed).toEqual([]);
    expect(await world.weights()).toEqual({ spec: ORIGINAL, lb1: ORIGINAL, lb2: ORIGINAL });
  });

  it("a paused job can be cancelled: it restores", async () => {
    const job = await world.submit(window(undefined), [server(3)]);
    const running = world.finish(world.engine(), job.id);
    await expect.poll(async () => (await world.job(job.id)).steps[2]?.state, { timeout: 5_000 }).toBe("running");
    await world.control(job.id, "pause");
    await expect.poll(async () => (await world.job(job.id)).state, { timeout: 5_000 }).toBe("paused");
    await world.control(job.id, "cancel");
    const done = await running;
    expect(done.state).toBe("cancelled");
    expect(await world.weights()).toEqual({ spec: ORIGINAL, lb1: ORIGINAL, lb2: ORIGINAL });
  });

  it("a job cancelled before it started changes nothing", async () => {
    const job = await world.submit(window(1), [server(1)]);
    await world.control(job.id, "cancel");
    const done = await world.finish(world.engine(), job.id);
    expect(done.state).toBe("cancelled");
    expect(done.summary).toBe("cancelled before it started; nothing changed");
    expect(world.fleet.calls.filter((c) => c.startsWith("Apply"))).toEqual([]);
  });
});
