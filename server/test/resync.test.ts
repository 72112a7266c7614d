import { type ClusterSpec, ClusterSpec as ClusterSpecSchema, validate } from "@lvsfleet/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentCalls, AgentFleet } from "../src/agents/fleet.ts";
import type { CommandContext } from "../src/commands/context.ts";
import { ClusterApplier } from "../src/queue/applier.ts";
import { startWorker } from "../src/queue/worker.ts";
import { resyncDirector } from "../src/resync.ts";
import type { AgentLiveness, AgentRegistration } from "../src/store/agents.ts";
import { ownershipChange } from "../src/store/cluster-writer.ts";
import { testContext } from "./support/context.ts";
import { type PrivateRedis, startRedis } from "./support/redis.ts";

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const DIRECTORS = ["d1", "d2", "d3", "d4"];
const spec: ClusterSpec = validate(ClusterSpecSchema, {
  name: "web",
  vips: ["198.18.0.100"],
  directors: DIRECTORS.map((host, i) => ({
    host,
    address: `198.18.0.${i + 1}`,
    role: i === 0 ? "master" : "backup",
    priority: 100 - i,
  })),
  services: [],
});

const registration = (host: string, role: AgentRegistration["role"] = "director"): AgentRegistration => ({
  host,
  role,
  endpoint: "127.0.0.1:1",
  driver: "sim",
  registeredAt: 0,
});
const liveness = (generation: number, roleState = "running"): AgentLiveness =>
  ({ reachable: true, lastHeartbeat: 0, roleState, generation, since: 0 }) as AgentLiveness;

/** A context whose agents record every Apply (host and generation) and answer it. */
async function world(applies: string[]): Promise<CommandContext> {
  const ctx = testContext(
    redis,
    (books) =>
      new AgentFleet({
        ...books,
        deadlines: { statusMs: 100, actionMs: 100 },
        dial: (r): AgentCalls =>
          ({
            apply: async (request: { generation: number }) => {
              applies.push(`${r.host}@${request.generation}`);
              return { operations: [], observed: { services: [] }, generation: request.generation };
            },
          }) as unknown as AgentCalls,
      }),
  );
  for (const host of DIRECTORS) await ctx.registry.register(registration(host));
  await ctx.clusters.put(spec, 0, ownershipChange(undefined, spec, []));
  // generation 2: a change the directors that were away did not get
  await ctx.clusters.put(spec, 1);
  return ctx;
}

describe("re-sync: only a director that is behind, and only it, gets the desired state again", () => {
  it("directors already at the desired generation queue nothing (a supervisor restart starts no re-sync)", async () => {
    const ctx = await world([]);
    for (const host of DIRECTORS) expect(await resyncDirector(ctx, registration(host), liveness(2))).toBe(false);
    expect(await resyncDirector(ctx, registration("d1"), liveness(3))).toBe(false);
    expect(await ctx.queue.recent(10)).toEqual([]);
  });

  it("a stopped director, a real server, and a host no cluster owns queue nothing", async () => {
    const ctx = await world([]);
    expect(await resyncDirector(ctx, registration("d2"), liveness(1, "stopped"))).toBe(false);
    expect(await resyncDirector(ctx, registration("d2", "real-server"), liveness(1))).toBe(false);
    expect(await resyncDirector(ctx, registration("stray"), liveness(0))).toBe(false);
    expect(await ctx.queue.recent(10)).toEqual([]);
  });

  it("a director behind gets one apply job for itself; the worker calls it alone, not the cluster's other directors", async () => {
    const applies: string[] = [];
    const ctx = await world(applies);
    expect(await resyncDirector(ctx, registration("d3"), liveness(1))).toBe(true);
    const [job, ...others] = await ctx.queue.recent(10);
    expect(others).toEqual([]);
    expect(job).toMatchObject({ kind: "apply", cluster: "web", command: "re-sync d3 (generation 1 -> 2)" });
    const connection = redis.connect();
    const worker = startWorker(
      connection,
      { prefix: ctx.queue.queue.opts.prefix ?? "", concurrency: 1, backoffMs: 10, lockMs: 5_000 },
      {
        clusters: ctx.clusters,
        fleet: ctx.fleet,
        applier: new ClusterApplier(ctx.clusters, ctx.fleet, 2),
        log: ctx.log,
      },
    );
    try {
      const deadline = Date.now() + 10_000;
      let state = "";
      while (Date.now() < deadline) {
        state = (await ctx.queue.get(job?.id ?? ""))?.state ?? "";
        if (state === "completed" || state === "failed") break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const done = await ctx.queue.get(job?.id ?? "");
      expect(done?.state).toBe("completed");
      expect(done?.result?.summary).toBe("generation 2 re-applied to d3, nothing to change");
      expect(applies).toEqual(["d3@2"]);
    } finally {
      await worker.close();
    }
  });
});

describe("re-sync of a busy director: one at a time, and none beside the round already applying it", () => {
  it("a director that comes back again and again while behind (busy with a big Apply) has one re-sync queued, not one per return", async () => {
    const ctx = await world([]);
    for (let i = 0; i < 5; i++) await resyncDirector(ctx, registration("d2"), liveness(1));
    await resyncDirector(ctx, registration("d3"), liveness(1));
    const queued = await ctx.queue.recent(20);
    expect(queued.map((j) => j.command).sort()).toEqual([
      "re-sync d2 (generation 1 -> 2)",
      "re-sync d3 (generation 1 -> 2)",
    ]);
  });

  it("a re-sync while the cluster's round is applying that director waits for that round: one Apply, not two; the job shows the round's progress", async () => {
    const applies: string[] = [];
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ctx = testContext(
      redis,
      (books) =>
        new AgentFleet({
          ...books,
          deadlines: { statusMs: 100, actionMs: 100 },
          dial: (r): AgentCalls =>
            ({
              apply: async (request: { generation: number }) => {
                applies.push(`${r.host}@${request.generation}`);
                await held;
                return { operations: [], observed: { services: [] }, generation: request.generation };
              },
            }) as unknown as AgentCalls,
        }),
    );
    for (const host of DIRECTORS) await ctx.registry.register(registration(host));
    await ctx.clusters.put(spec, 0, ownershipChange(undefined, spec, []));
    const applier = new ClusterApplier(ctx.clusters, ctx.fleet, 8);
    const whole = applier.ensureApplied("web", 1);
    const rounds: string[] = [];
    await new Promise((r) => setTimeout(r, 50));
    const resync = applier.applyToHosts("web", ["d2"], (round) => rounds.push(`generation ${round.generation}`));
    await new Promise((r) => setTimeout(r, 50));
    release();
    const [all, one] = await Promise.all([whole, resync]);
    expect(applies.sort()).toEqual(["d1@1", "d2@1", "d3@1", "d4@1"]);
    expect(all.hosts.map((h) => h.host)).toEqual(DIRECTORS);
    expect(one.hosts.map((h) => h.host)).toEqual(["d2"]);
    expect(rounds).toEqual(["generation 1"]);
  });

  it("a re-sync that started first is shared by the cluster's round: the director gets one Apply, and the round reports its answer", async () => {
    const applies: string[] = [];
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ctx = testContext(
      redis,
      (books) =>
        new AgentFleet({
          ...books,
          deadlines: { statusMs: 100, actionMs: 100 },
          dial: (r): AgentCalls =>
            ({
              apply: async (request: { generation: number }) => {
                applies.push(`${r.host}@${request.generation}`);
                await held;
                return { operations: [], observed: { services: [] }, generation: request.generation };
              },
            }) as unknown as AgentCalls,
        }),
    );
    for (const host of DIRECTORS) await ctx.registry.register(registration(host));
    await ctx.clusters.put(spec, 0, ownershipChange(undefined, spec, []));
    const applier = new ClusterApplier(ctx.clusters, ctx.fleet, 8);
    const resync = applier.applyToHosts("web", ["d2"]);
    await new Promise((r) => setTimeout(r, 50));
    const whole = applier.ensureApplied("web", 1);
    await new Promise((r) => setTimeout(r, 50));
    release();
    const [one, all] = await Promise.all([resync, whole]);
    expect(applies.sort()).toEqual(["d1@1", "d2@1", "d3@1", "d4@1"]);
    expect(one.hosts.map((h) => [h.host, h.generation])).toEqual([["d2", 1]]);
    expect(all.hosts.map((h) => [h.host, h.generation])).toEqual(DIRECTORS.map((h) => [h, 1]));
  });

  it("while an apply job runs, GET /v1/jobs/{id}'s view has its progress: who is applying how many services", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ctx = testContext(
      redis,
      (books) =>
        new AgentFleet({
          ...books,
          deadlines: { statusMs: 100, actionMs: 100 },
          dial: (): AgentCalls =>
            ({
              apply: async (request: { generation: number }) => {
                await held;
                return { operations: [], observed: { services: [] }, generation: request.generation };
              },
            }) as unknown as AgentCalls,
        }),
    );
    for (const host of DIRECTORS) await ctx.registry.register(registration(host));
    await ctx.clusters.put(spec, 0, ownershipChange(undefined, spec, []));
    const job = await ctx.queue.enqueue({
      kind: "apply",
      cluster: "web",
      generation: 1,
      command: "update cluster web",
      actor: { type: "token", name: "t" },
    } as never);
    const worker = startWorker(
      redis.connect(),
      { prefix: ctx.queue.queue.opts.prefix ?? "", concurrency: 1, backoffMs: 10, lockMs: 5_000, progressMs: 50 },
      {
        clusters: ctx.clusters,
        fleet: ctx.fleet,
        applier: new ClusterApplier(ctx.clusters, ctx.fleet, 2),
        log: ctx.log,
      },
    );
    try {
      let progress: string | undefined;
      const deadline = Date.now() + 10_000;
      while (!progress && Date.now() < deadline) {
        progress = (await ctx.queue.get(job.id))?.progress?.message;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(progress).toMatch(
        /^generation 1: d1: applying 0 services, \d+ s so far; d2: applying 0 services, \d+ s so far; d3: waiting for a slot; d4: waiting for a slot$/,
      );
      release();
      let done = await ctx.queue.get(job.id);
      while (done?.state !== "completed" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        done = await ctx.queue.get(job.id);
      }
      expect(done?.state).toBe("completed");
      // a finished job shows its result, not the progress of its last second
      expect(done?.progress).toBeUndefined();
    } finally {
      release();
      await worker.close();
    }
  });
});

describe("the applier's fan-out: every director once, at most `concurrency` calls at once", () => {
  it("a round to 40 directors with a concurrency of 3 never has more than 3 Apply calls in flight", async () => {
    let inFlight = 0;
    let most = 0;
    const called: string[] = [];
    const hosts = Array.from({ length: 40 }, (_, i) => `h${i}`);
    const big = validate(ClusterSpecSchema, {
      name: "big",
      vips: ["198.18.1.100"],
      directors: hosts.map((host, i) => ({ host, address: `198.18.1.${i + 1}`, role: "backup", priority: 90 })),
      services: [],
    });
    const ctx = testContext(
      redis,
      (books) =>
        new AgentFleet({
          ...books,
          deadlines: { statusMs: 100, actionMs: 100 },
          dial: (r): AgentCalls =>
            ({
              apply: async (request: { generation: number }) => {
                inFlight += 1;
                most = Math.max(most, inFlight);
                await new Promise((resolve) => setTimeout(resolve, 2));
                inFlight -= 1;
                called.push(r.host);
                return { operations: [], observed: { services: [] }, generation: request.generation };
              },
            }) as unknown as AgentCalls,
        }),
    );
    for (const host of hosts) await ctx.registry.register(registration(host));
    await ctx.clusters.put(big, 0, ownershipChange(undefined, big, []));
    const outcome = await new ClusterApplier(ctx.clusters, ctx.fleet, 3).ensureApplied("big", 1);
    expect(outcome.hosts.map((h) => h.host)).toEqual(hosts);
    expect(called.sort()).toEqual([...hosts].sort());
    expect(most).toBe(3);
  });
});
