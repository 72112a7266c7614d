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

const drain = (options: Partial<Extract<JobPlanOptions, { kind: "drain" }>> = {}): JobPlanOptions => ({
  kind: "drain",
  remove: false,
  timeoutSeconds: 30,
  includeInactive: false,
  onTimeout: "fail",
  ...options,
});

describe("maintenance runner: drain", () => {
  it("sets the weight to 0 on every director, waits for the connections to end, and marks the server", async () => {
    await world.fleet.traffic("lb1", { hold: [{ address: "198.18.1.1", port: 80, count: 3, lifetimeSeconds: 0 }] });
    const job = await world.submit(drain(), [server(1)]);
    const engine = world.engine();
    const running = world.finish(engine, job.id);
    // the weight goes to 0 everywhere while the held connections keep the server busy
    await expect.poll(async () => (await world.weights()).lb1["198.18.1.1"], { timeout: 5_000 }).toBe(0);
    await expect.poll(async () => (await world.job(job.id)).progress?.connectionsLeft, { timeout: 5_000 }).toBe(3);
    expect((await world.job(job.id)).changed).toEqual([{ kind: "weight", ref: server(1), before: 2, set: 0 }]);
    await world.fleet.traffic("lb1", { releaseHeld: true });
    const done = await running;
    expect(done.state).toBe("completed");
    expect(done.summary).toBe("198.18.1.1:80 drained; undrain restores it");
    expect(done.changed).toEqual([]);
    expect(done.steps.map((s) => s.state)).toEqual(["done", "done", "done"]);
    expect(await world.weights()).toEqual({
      spec: { "198.18.1.1": 0, "198.18.1.2": 1, "198.18.1.3": 1 },
      lb1: { "198.18.1.1": 0, "198.18.1.2": 1, "198.18.1.3": 1 },
      lb2: { "198.18.1.1": 0, "198.18.1.2": 1, "198.18.1.3": 1 },
    });
    expect(await world.marks()).toEqual(["http|198.18.1.1|80"]);
  });

  it("with remove, takes the server out of the spec and the tables; undrain puts it back where it was", async () => {
    const engine = world.engine();
    const job = await world.submit(drain({ remove: true }), [server(2)]);
    expect((await world.finish(engine, job.id)).state).toBe("completed");
    expect(await world.weights()).toEqual({
      spec: { "198.18.1.1": 2, "198.18.1.3": 1 },
      lb1: { "198.18.1.1": 2, "198.18.1.3": 1 },
      lb2: { "198.18.1.1": 2, "198.18.1.3": 1 },
    });
    const undrain = await world.submit({ kind: "undrain" }, [server(2)]);
    const back = await world.finish(engine, undrain.id);
    expect(back.state).toBe("completed");
    expect(back.steps[0]?.detail).toBe("198.18.1.2:80 added back with weight 1");
    expect((await world.spec()).services[0]?.realServers.map((r) => r.address)).toEqual([
      "198.18.1.1",
      "198.18.1.2",
      "198.18.1.3",
    ]);
    expect((await world.weights()).lb2).toEqual({ "198.18.1.1": 2, "198.18.1.2": 1, "198.18.1.3": 1 });
    expect(await world.marks()).toEqual([]);
  });

  it("fails at the drain deadline and restores the weight (onTimeout fail)", async () => {
    await world.fleet.traffic("lb2", { hold: [{ address: "198.18.1.3", port: 80, count: 1, lifetimeSeconds: 0 }] });
    const job = await world.submit(drain({ timeoutSeconds: 1 }), [server(3)]);
    const done = await world.finish(world.engine(), job.id);
    expect(done.state).toBe("failed");
    expect(done.error).toContain("the drain deadline (1 s) passed with 1 connection(s) left on 198.18.1.3:80");
    expect(done.summary).toContain("restored: 198.18.1.3:80 weight 0 -> 1");
    expect((await world.weights()).lb1["198.18.1.3"]).toBe(1);
    expect(await world.marks()).toEqual([]);
  });

  it("does not count a drain done while a director cannot be read", async () => {
    const job = await world.submit(drain({ timeoutSeconds: 1, onTimeout: "proceed" }), [server(1)]);
    // lb2 stops answering once the weight is applied everywhere
    const engine = world.engine({
      onEvent: (e) => {
        if (e.type === "step" && e.step === 0 && e.stepState === "done") world.fleet.down("lb2", "connection refused");
      },
    });
    const done = await world.finish(engine, job.id);
    expect(done.state).toBe("completed");
    expect(done.steps[1]?.detail).toBe(
      "the drain deadline (1 s) passed with 0 connection(s) left on 198.18.1.1:80; going on (onTimeout proceed)",
    );
    expect(world.events.map((e) => e.message)).toContain(
      "0 active connection(s) left on 198.18.1.1:80 (not read from lb2)",
    );
  });
});
