import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { JobPlanOptions } from "../../src/maintenance/types.ts";
import { type PrivateRedis, startRedis } from "../support/redis.ts";
import { World } from "./world.ts";

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

const switchover = (options: Partial<Extract<JobPlanOptions, { kind: "switchover" }>> = {}): JobPlanOptions => ({
  kind: "switchover",
  from: "lb1",
  to: "lb2",
  method: "stop",
  verifyTimeoutSeconds: 2,
  verifyTraffic: false,
  ...options,
});

const roles = async () => ({
  lb1: (await world.fleet.state("web", "lb1")).roleState,
  lb2: (await world.fleet.state("web", "lb2")).roleState,
});
const directors = async () => (await world.spec()).directors.map((d) => `${d.host} ${d.role} ${d.priority}`);

describe("maintenance runner: switchover", () => {
  it("stop: the old master is stopped, the new one holds the VIPs and serves", async () => {
    const job = await world.submit(switchover(), []);
    const done = await world.finish(world.engine(), job.id);
    expect(done.state).toBe("completed");
    expect(done.steps.map((s) => `${s.kind} ${s.state}`)).toEqual([
      "director-up done",
      "demote done",
      "verify-vip done",
    ]);
    expect(done.steps[0]?.detail).toBe("lb2 is running");
    expect(done.steps[2]?.detail).toBe("lb2 holds 198.18.0.100 and serves http");
    expect(done.summary).toBe("the VIPs are on lb2; lb1 is stopped (switchover again to move them back)");
    expect(await roles()).toEqual({ lb1: "stopped", lb2: "running" });
    expect(done.changed).toEqual([]);
  });

  it("stop with move back: lb1 is started again after the hold and holds the VIPs", async () => {
    const job = await world.submit(switchover({ moveBackSeconds: 0 }), []);
    const done = await world.finish(world.engine(), job.id);
    expect(done.state).toBe("completed");
    expect(done.steps.map((s) => s.kind)).toEqual([
      "director-up",
      "demote",
      "verify-vip",
      "hold",
      "restore",
      "verify-vip",
    ]);
    expect(done.steps[4]?.detail).toBe("restored: started lb1 again");
    expect(done.summary).toBe("the VIPs went to lb2 and are back on lb1");
    expect(await roles()).toEqual({ lb1: "running", lb2: "running" });
  });

  it("priority: lb1 goes below lb2 in the spec and lb2 becomes master", async () => {
    const job = await world.submit(switchover({ method: "priority" }), []);
    const done = await world.finish(world.engine(), job.id);
    expect(done.state).toBe("completed");
    expect(done.steps[1]?.detail).toBe("lb1's VRRP priority 100 -> 89 (below lb2's 90)");
    expect(await directors()).toEqual(["lb1 backup 89", "lb2 master 90"]);
    expect(await roles()).toEqual({ lb1: "running", lb2: "running" });
  });

  it("a stopped target is started first, and stopped again when the job fails", async () => {
    await world.fleet.stop("web", "lb2");
    // no client traffic: no new connection ever goes through lb2, the verification cannot pass
    const job = await world.submit(
      switchover({ method: "priority", verifyTimeoutSeconds: 1, verifyTraffic: true }),
      [],
    );
    const done = await world.finish(world.engine(), job.id);
    expect(done.state).toBe("failed");
    expect(done.steps[0]?.detail).toBe("started lb2");
    expect(done.error).toBe(
      "lb2 does not hold the VIPs and serve within 1 s: lb2 holds 198.18.0.100 and serves http, waiting for new connections through it",
    );
    expect(done.summary).toBe("failed at step 3; restored: lb1 priority back to 100 (master); stopped lb2 again");
    expect(await directors()).toEqual(["lb1 master 100", "lb2 backup 90"]);
    expect(await roles()).toEqual({ lb1: "running", lb2: "stopped" });
  });

  it("with traffic, waits until new connections go through the new holder", async () => {
    await world.fleet.traffic("lb2", { load: { connectionsPerSecond: 50, meanLifetimeSeconds: 1, clients: 10 } });
    const job = await world.submit(switchover({ verifyTraffic: true, verifyTimeoutSeconds: 10 }), []);
    const done = await world.finish(world.engine(), job.id);
    expect(done.state).toBe("completed");
    expect(done.steps[2]?.detail).toMatch(
      /^lb2 holds 198\.18\.0\.100 and serves http; \d+ new connection\(s\) through it$/,
    );
  });
});
