import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { JobPlanOptions } from "../../src/maintenance/types.ts";
import { type PrivateRedis, startRedis } from "../support/redis.ts";
import { server, World } from "./world.ts";

let redis: PrivateRedis;
let world: World | undefined;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const rolling = (options: Partial<Extract<JobPlanOptions, { kind: "rolling" }>> = {}): JobPlanOptions => ({
  kind: "rolling",
  batch: 2,
  minCapacity: 50,
  action: { kind: "command", name: "restart" },
  healthTimeoutSeconds: 5,
  timeoutSeconds: 30,
  includeInactive: false,
  onTimeout: "fail",
  ...options,
});

const ORIGINAL = { "198.18.1.1": 2, "198.18.1.2": 1, "198.18.1.3": 1 };
const ALL = [server(1), server(2), server(3)];

describe("maintenance runner: rolling", () => {
  it("batches under the minimum capacity, runs the action on each host once, restores every server", async () => {
    // each action sees its server out of service on every director
    const seen: string[] = [];
    world = await World.create(redis, {
      actions: {
        restart: async (host) => {
          const { lb1, lb2 } = await world!.weights();
          const address = `198.18.1.${host.slice(3)}`;
          seen.push(`${host} ${lb1[address]} ${lb2[address]}`);
          return { output: `${host} restarted\n` };
        },
      },
    });
    const w = world;
    const job = await w.submit(rolling(), ALL);
    const done = await w.finish(w.engine(), job.id);
    expect(done.state).toBe("completed");
    expect(done.summary).toBe("rolled over 3 real server(s); every one restored and healthy");
    // 198.18.1.1 (weight 2) alone, then the two of weight 1 together: 50% of 4 stays in service
    expect(done.steps.map((s) => s.kind)).toEqual([
      "drain",
      "wait-drained",
      "action",
      "wait-healthy",
      "restore",
      "drain",
      "wait-drained",
      "action",
      "wait-healthy",
      "restore",
    ]);
    expect(done.steps[0]?.servers?.map((s) => s.host)).toEqual(["web1"]);
    expect(done.steps[5]?.servers?.map((s) => s.host)).toEqual(["web2", "web3"]);
    expect(w.fleet.calls.filter((c) => c.startsWith("RunAction"))).toEqual([
      "RunAction web1",
      "RunAction web2",
      "RunAction web3",
    ]);
    expect(seen.sort()).toEqual(["web1 0 0", "web2 0 0", "web3 0 0"]);
    expect(done.progress).toMatchObject({ serversDone: 3, serversTotal: 3 });
    expect(await w.weights()).toEqual({ spec: ORIGINAL, lb1: ORIGINAL, lb2: ORIGINAL });
  });

  it("waits before a drain until enough healthy capacity is left, then goes on", async () => {
    world = await World.create(redis, { actions: { restart: () => ({}) } });
    const w = world;
    // web2 and web3 are down: draining web1 would leave 0 of 4 healthy weight (50% needs 2)
    for (const host of ["web2", "web3"])
      await w.registry.setLiveness(host, { reachable: false, lastError: "gone", since: Date.now() });
    const job = await w.submit(rolling({ healthTimeoutSeconds: 10 }), [server(1)]);
    const running = w.finish(w.engine(), job.id);
    await expect
      .poll(() => w.events.map((e) => e.message).find((m) => m.startsWith("waiting for capacity")), {
        timeout: 5_000,
      })
      .toBe(
        "waiting for capacity before weight 0 for 198.18.1.1:80 in web/http: http: 0 of 4 healthy weight would be left, 50% needs 2",
      );
    expect((await w.weights()).lb1["198.18.1.1"]).toBe(2);
    for (const host of ["web2", "web3"])
      await w.registry.setLiveness(host, { reachable: true, roleState: "running", since: Date.now() });
    const done = await running;
    expect(done.state).toBe("completed");
    expect(await w.weights()).toEqual({ spec: ORIGINAL, lb1: ORIGINAL, lb2: ORIGINAL });
  });

  it("fails when the capacity does not come back in time, having changed nothing", async () => {
    world = await World.create(redis, { actions: { restart: () => ({}) } });
    await world.registry.setLiveness("web1", { reachable: false, since: Date.now() });
    const job = await world.submit(rolling({ healthTimeoutSeconds: 1 }), [server(2), server(3)]);
    const done = await world.finish(world.engine(), job.id);
    expect(done.state).toBe("failed");
    expect(done.error).toBe(
      "not enough healthy capacity to drain 198.18.1.2:80, 198.18.1.3:80: http: 0 of 4 healthy weight would be left, 50% needs 2",
    );
    expect(done.summary).toBe("failed at step 1; nothing to restore");
    expect(await world.weights()).toEqual({ spec: ORIGINAL, lb1: ORIGINAL, lb2: ORIGINAL });
  });

  it("a server that fails its health check after the action stays drained and marked; the job stops", async () => {
    world = await World.create(redis, {
      actions: {
        // the restart does not bring it back
        restart: async () => {
          await world!.registry.setLiveness("web1", { reachable: false, lastError: "refused", since: Date.now() });
          return {};
        },
      },
    });
    const job = await world.submit(rolling({ healthTimeoutSeconds: 1 }), ALL);
    const done = await world.finish(world.engine(), job.id);
    expect(done.state).toBe("failed");
    expect(done.error).toContain("198.18.1.1:80 did not pass its health check within 1 s");
    expect(done.summary).toContain("198.18.1.1:80 stay out of service; undrain restores it");
    expect(await world.marks()).toEqual(["http|198.18.1.1|80"]);
    expect((await world.weights()).lb2).toEqual({ "198.18.1.1": 0, "198.18.1.2": 1, "198.18.1.3": 1 });
    expect(world.fleet.calls.filter((c) => c.startsWith("RunAction"))).toEqual(["RunAction web1"]);
  });

  it("an action that exits non-zero fails the job and restores the batch", async () => {
    world = await World.create(redis, { actions: { restart: () => ({ exitCode: 3, output: "no such unit\n" }) } });
    const job = await world.submit(rolling(), [server(1)]);
    const done = await world.finish(world.engine(), job.id);
    expect(done.state).toBe("failed");
    expect(done.error).toBe("action restart failed on web1: exit 3: no such unit");
    expect(done.summary).toBe("failed at step 3; restored: 198.18.1.1:80 weight 0 -> 2");
    expect(await world.weights()).toEqual({ spec: ORIGINAL, lb1: ORIGINAL, lb2: ORIGINAL });
  });
});
