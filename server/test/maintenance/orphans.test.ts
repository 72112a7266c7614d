import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/log.ts";
import type { MaintenanceEffects } from "../../src/maintenance/effects.ts";
import { MaintenanceService } from "../../src/maintenance/service.ts";
import { keys } from "../../src/store/keys.ts";
import { type PrivateRedis, startRedis } from "../support/redis.ts";
import { server, World } from "./world.ts";

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** One replica's maintenance service (no worker: only its queue and store), on its own connections. */
function replica(world: World): MaintenanceService {
  const connection = redis.connect();
  return new MaintenanceService(
    connection,
    redis.connect(),
    { prefix: world.prefix, concurrency: 1, lockMs: 2_000, retentionCount: 100, retentionSeconds: 3_600, pollMs: 20 },
    // queueing a job again needs no effect on any host
    {} as MaintenanceEffects,
    new AuditLog(connection, keys(world.prefix).audit),
    pino({ level: "silent" }),
  );
}

describe("maintenance jobs that lost their queue entry (a private redis-server)", () => {
  it("are queued again once, even when two replicas sweep at the same moment", async () => {
    const world = await World.create(redis);
    const job = await world.submit(
      { kind: "drain", remove: false, timeoutSeconds: 30, includeInactive: false, onTimeout: "fail" },
      [server(1)],
    );
    const [a, b] = [replica(world), replica(world)];
    try {
      expect(await a.queue.getJob(job.id)).toBeUndefined(); // stored, never queued (or its entry lost)
      // a job just made is left to the request that is queueing it
      await a.requeueOrphans();
      expect(await a.queue.getJobs(["waiting", "delayed", "active", "prioritized"])).toEqual([]);
      await a.store.update(job.id, (j) => ({ ...j, createdAt: j.createdAt - 60_000 }));
      await Promise.all([a.requeueOrphans(), b.requeueOrphans(), b.ensureQueued(job)]);
      const queued = await a.queue.getJobs(["waiting", "delayed", "active", "prioritized"]);
      expect(queued.map((q) => q.data.id)).toEqual([job.id]);
      const stored = await a.store.get(job.id);
      expect(stored?.queueJobId).toBe(queued[0]?.id);
      // a later sweep finds the entry and queues nothing more
      await b.requeueOrphans();
      expect(await a.queue.getJobs(["waiting", "delayed", "active", "prioritized"])).toHaveLength(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
