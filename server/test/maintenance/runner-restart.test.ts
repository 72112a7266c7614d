import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Change, JobPlanOptions, MaintenanceJob } from "../../src/maintenance/types.ts";
import { type PrivateRedis, startRedis } from "../support/redis.ts";
import { server, World } from "./world.ts";

/**
 * A server that dies mid-job: its runner stops after step k (its Redis connection closes, as when
 * the process is killed), its cluster lock expires, and another server's runner takes the stored
 * job over. For every k the job must end as an uninterrupted run ends, every action run once, and
 * the undo log saved at the moment of death must hold exactly what was changed and not restored.
 */

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const ROLLING: JobPlanOptions = {
  kind: "rolling",
  batch: 2,
  minCapacity: 50,
  action: { kind: "command", name: "restart" },
  healthTimeoutSeconds: 5,
  timeoutSeconds: 30,
  includeInactive: false,
  onTimeout: "fail",
};
const ALL = [server(1), server(2), server(3)];
const LOCK_MS = 400;

const web1Out: Change[] = [{ kind: "weight", ref: server(1), before: 2, set: 0 }];
const web23Out: Change[] = [
  { kind: "weight", ref: server(2), before: 1, set: 0 },
  { kind: "weight", ref: server(3), before: 1, set: 0 },
];
/** The undo log after each step of the rolling job: batch [web1], then [web2, web3]. */
const UNDO_AFTER: Change[][] = [web1Out, web1Out, web1Out, web1Out, [], web23Out, web23Out, web23Out, web23Out, []];

/** Runs the job on a server that dies after step `k` is saved; returns the job as it was saved then. */
async function dieAfter(world: World, id: string, k: number): Promise<MaintenanceJob> {
  const first = world.engine({
    lockMs: LOCK_MS,
    onEvent: (e) => {
      if (e.type === "step" && e.step === k && (e.stepState === "done" || e.stepState === "skipped")) first.kill();
    },
  });
  await expect(world.finish(first, id)).rejects.toThrow();
  return world.job(id);
}

async function endState(world: World) {
  return {
    weights: await world.weights(),
    marks: await world.marks(),
    actions: world.fleet.calls.filter((c) => c.startsWith("RunAction")).sort(),
  };
}

describe("maintenance runner: restart from every saved step", () => {
  it("an uninterrupted run, for reference", async () => {
    const world = await World.create(redis, { actions: { restart: () => ({}) } });
    const job = await world.submit(ROLLING, ALL);
    const done = await world.finish(world.engine({ lockMs: LOCK_MS }), job.id);
    expect(done.state).toBe("completed");
    expect(done.steps).toHaveLength(UNDO_AFTER.length);
    expect(done.runs).toBe(1);
    await world.close();
  });

  for (let k = 0; k < UNDO_AFTER.length; k++)
    it(`dies after step ${k + 1} of ${UNDO_AFTER.length}: another server finishes it with the same end state`, async () => {
      const reference = await World.create(redis, { actions: { restart: () => ({}) } });
      const refJob = await reference.submit(ROLLING, ALL);
      const expected = await reference.finish(reference.engine({ lockMs: LOCK_MS }), refJob.id);
      const expectedEnd = await endState(reference);
      await reference.close();

      const world = await World.create(redis, { actions: { restart: () => ({}) } });
      const job = await world.submit(ROLLING, ALL);
      const saved = await dieAfter(world, job.id, k);
      expect(saved.state).toBe("active");
      expect(saved.stepIndex).toBe(k + 1);
      expect(saved.steps.slice(0, k + 1).every((s) => s.state === "done")).toBe(true);
      expect(saved.changed).toEqual(UNDO_AFTER[k]);

      const second = world.engine({ lockMs: LOCK_MS });
      const done = await world.finish(second, job.id);
      expect(done.state).toBe("completed");
      expect(done.summary).toBe(expected.summary);
      expect(done.runs).toBe(2);
      expect(done.changed).toEqual([]);
      expect(done.steps.map((s) => s.state)).toEqual(expected.steps.map((s) => s.state));
      expect(await endState(world)).toEqual(expectedEnd);
      if (k + 1 < UNDO_AFTER.length)
        expect(world.events.map((e) => e.message)).toContainEqual(
          expect.stringMatching(
            new RegExp(`^resumed by a restarted server at step ${k + 2} of 10 \\(fencing token \\d+\\)$`),
          ),
        );
      await world.close();
    });

  const SWITCHOVER: JobPlanOptions = {
    kind: "switchover",
    from: "lb1",
    to: "lb2",
    method: "stop",
    verifyTimeoutSeconds: 5,
    verifyTraffic: false,
    moveBackSeconds: 0,
  };
  const lb1Stopped: Change[] = [{ kind: "director-stopped", host: "lb1" }];
  /** The undo log after each step of a switchover with move back. */
  const SWITCH_UNDO_AFTER: Change[][] = [[], lb1Stopped, lb1Stopped, lb1Stopped, [], []];

  for (let k = 0; k < SWITCH_UNDO_AFTER.length; k++)
    it(`switchover: dies after step ${k + 1} of ${SWITCH_UNDO_AFTER.length}, another server finishes it`, async () => {
      const world = await World.create(redis);
      const job = await world.submit(SWITCHOVER, []);
      const saved = await dieAfter(world, job.id, k);
      expect(saved.stepIndex).toBe(k + 1);
      expect(saved.changed).toEqual(SWITCH_UNDO_AFTER[k]);
      const done = await world.finish(world.engine({ lockMs: LOCK_MS }), job.id);
      expect(done.state).toBe("completed");
      expect(done.summary).toBe("the VIPs went to lb2 and are back on lb1");
      expect(done.changed).toEqual([]);
      expect(done.steps.map((s) => s.state)).toEqual(["done", "done", "done", "done", "done", "done"]);
      expect([
        (await world.fleet.state("web", "lb1")).roleState,
        (await world.fleet.state("web", "lb2")).roleState,
      ]).toEqual(["running", "running"]);
      await world.close();
    });

  it("dies while an action runs: the new server does not run it twice (the health check decides)", async () => {
    let world: World | undefined;
    let first: ReturnType<World["engine"]> | undefined;
    world = await World.create(redis, {
      actions: {
        restart: (host) => {
          if (host === "web1") first?.kill();
          return {};
        },
      },
    });
    const job = await world.submit(ROLLING, ALL);
    first = world.engine({ lockMs: LOCK_MS });
    await expect(world.finish(first, job.id)).rejects.toThrow();
    const saved = await world.job(job.id);
    expect(saved.steps[2]).toMatchObject({ kind: "action", state: "running" });
    expect(saved.changed).toEqual(web1Out);
    const done = await world.finish(world.engine({ lockMs: LOCK_MS }), job.id);
    expect(done.state).toBe("completed");
    expect(done.steps[2]).toMatchObject({
      state: "skipped",
      detail: "the server restarted while the action ran; it is not run twice (the health check decides)",
    });
    expect(world.fleet.calls.filter((c) => c === "RunAction web1")).toHaveLength(1);
    await world.close();
    world = undefined;
  });

  it("with onRestart restore, the new server restores what was changed and fails the job", async () => {
    const world = await World.create(redis, { actions: { restart: () => ({}) } });
    const job = await world.submit(ROLLING, ALL, { onRestart: "restore" });
    const saved = await dieAfter(world, job.id, 1);
    expect(saved.changed).toEqual(web1Out);
    const done = await world.finish(world.engine({ lockMs: LOCK_MS }), job.id);
    expect(done.state).toBe("failed");
    expect(done.error).toBe("the server restarted during the job and onRestart is restore");
    expect(done.summary).toBe("failed at step 3; restored: 198.18.1.1:80 weight 0 -> 2");
    const original = { "198.18.1.1": 2, "198.18.1.2": 1, "198.18.1.3": 1 };
    expect(await world.weights()).toEqual({ spec: original, lb1: original, lb2: original });
    await world.close();
  });
});
