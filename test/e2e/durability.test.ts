import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_AGENTS, ensureRedis, type Fleet, type RedisHandle, startFleet } from "@lvsfleet/devfleet";
import { DEMO_CLUSTER } from "@lvsfleet/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directorWeights } from "./fleet.ts";

/**
 * Nothing acknowledged is lost when a process dies: this file runs its own Redis (AOF, fsync every
 * second) so that it can kill it, and restarts the server on the same port and data directory.
 */
let dataDir: string;
let redis: RedisHandle;
let fleet: Fleet;
const RS2 = "/v1/clusters/web/services/http/real-servers/192.168.1.231:80";

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "lvsfleet-durability-"));
  redis = await ensureRedis({ dataDir: join(dataDir, "redis") });
  fleet = await startFleet({
    redisUrl: redis.url,
    token: randomBytes(18).toString("base64url"),
    dataDir,
    agents: DEMO_AGENTS,
    env: {
      LVSFLEET_PREFIX: "durability",
      LVSFLEET_HEARTBEAT_MS: "300",
      LVSFLEET_JOB_BACKOFF_MS: "100",
      LVSFLEET_JOB_ATTEMPTS: "30",
      LVSFLEET_AGENT_DEADLINE_MS: "1500",
      LVSFLEET_JOB_LOCK_MS: "1500",
    },
  });
  await fleet.api.put("/v1/clusters/web", DEMO_CLUSTER);
  await fleet.api.waitForJob((await fleet.api.post("/v1/clusters/web/start")).body.job.id);
});
afterAll(async () => {
  await fleet?.stop();
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("kill -9 loses no acknowledged change", () => {
  it("the server killed while a job is running: the restarted server finishes it", async () => {
    const backup = fleet.agents.get("lb-backup")!;
    process.kill(backup.pid, "SIGSTOP"); // its Apply hangs until the call's deadline
    try {
      const response = await fleet.api.patch(RS2, { weight: 7 });
      expect(response.status).toBe(202);
      const id = response.body.job.id;
      await until("the job to be running", async () =>
        (await fleet.api.get(`/v1/jobs/${id}`)).body.state === "active" ? true : undefined,
      );
      await fleet.server.kill();
      await fleet.restartServer();
      process.kill(backup.pid, "SIGCONT");
      const job = await fleet.api.waitForJob(id, 60_000);
      expect(job.state).toBe("completed");
      expect((await fleet.api.get("/v1/clusters/web")).body.spec.services[0].realServers[1].weight).toBe(7);
      await until("both directors to hold weight 7", async () => {
        const [a, b] = [await directorWeights(fleet, "lb-master"), await directorWeights(fleet, "lb-backup")];
        return a["192.168.1.231:80"] === 7 && b["192.168.1.231:80"] === 7 ? true : undefined;
      });
    } finally {
      process.kill(backup.pid, "SIGCONT");
    }
  });

  it("Redis killed right after a change was acknowledged: the change and its job survive", async () => {
    const response = await fleet.api.patch(RS2, { weight: 9 });
    expect(response.status).toBe(202);
    const id = response.body.job.id;
    process.kill(redis.pid!, "SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    redis = await ensureRedis({ url: redis.url, dataDir: join(dataDir, "redis") });
    const spec = await until("the server to read Redis again", async () => {
      const r = await fleet.api.get("/v1/clusters/web");
      return r.status === 200 ? r.body.spec : undefined;
    });
    expect(spec.services[0].realServers[1].weight).toBe(9);
    const job = await until("the job to be found and finish", async () => {
      const r = await fleet.api.get(`/v1/jobs/${id}`);
      return r.status === 200 && r.body.state === "completed" ? r.body : undefined;
    });
    expect(job.command).toContain("-> 9");
    await until("both directors to hold weight 9", async () => {
      const [a, b] = [await directorWeights(fleet, "lb-master"), await directorWeights(fleet, "lb-backup")];
      return a["192.168.1.231:80"] === 9 && b["192.168.1.231:80"] === 9 ? true : undefined;
    });
  });
});
