import { execFile } from "node:child_process";
import { join } from "node:path";
import { PROGRAM_FILES, repoRoot } from "@lvsfleet/devfleet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directorWeights, startDemoFleet } from "./fleet.ts";
import { replicationInfo, type SentinelDeployment, startSentinelDeployment } from "./sentinel-deployment.ts";

/**
 * The server on Redis Sentinel (REDIS_URL=redis+sentinel://…): a master, one replica, three
 * sentinels, the server and the demo agents as real processes. The master is killed with SIGKILL;
 * Sentinel promotes the replica; the server finds it through the sentinels and goes on.
 */
let redis: SentinelDeployment | undefined;
let fleet: Awaited<ReturnType<typeof startDemoFleet>> | undefined;
const RS1 = "/v1/clusters/web/services/http/real-servers/192.168.1.220:80";
const RS2 = "/v1/clusters/web/services/http/real-servers/192.168.1.231:80";

beforeAll(async () => {
  // min-replicas-to-write 1: the master refuses writes while no replica follows it (the recommended
  // production setting, docs/operations.md); short Sentinel timers so that the test is quick.
  redis = await startSentinelDeployment({ downAfterMs: 500, failoverTimeoutMs: 2_000, minReplicasToWrite: 1 });
  // After the fail-over the promoted master has no replica: with the default barrier (a change is
  // answered once a replica holds it, LVSFLEET_REDIS_WAIT_REPLICAS=1 with Sentinel) changes would be
  // refused until one rejoins. This file tests that the server follows the fail-over; test/ha tests
  // the barrier (the killed master back as a replica).
  fleet = await startDemoFleet({ REDIS_URL: redis.url, LVSFLEET_REDIS_WAIT_REPLICAS: "0" });
}, 90_000);
afterAll(async () => {
  await fleet?.cleanup();
  await redis?.stop();
});

async function spec(): Promise<{ generation: number; weights: Record<string, number> }> {
  const { body } = await fleet!.api.get("/v1/clusters/web");
  const service = body.spec.services.find((s: any) => s.name === "http");
  return {
    generation: body.generation,
    weights: Object.fromEntries(service.realServers.map((r: any) => [`${r.address}:${r.port}`, r.weight])),
  };
}

async function bothDirectorsShow(expected: Record<string, number>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = [await directorWeights(fleet!, "lb-master"), await directorWeights(fleet!, "lb-backup")];
    if (seen.every((w) => Object.entries(expected).every(([k, v]) => w[k] === v))) return;
    if (Date.now() > deadline)
      throw new Error(`directors show ${JSON.stringify(seen)}, not ${JSON.stringify(expected)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("Redis Sentinel: the master killed, the replica promoted, the server goes on", () => {
  it("a change before the kill survives it, and a change after it reaches the agents through BullMQ", async () => {
    const api = fleet!.api;
    const deployment = redis!;
    expect(await deployment.currentMasterPort()).toBe(deployment.master.port);
    const before = await spec();

    // A change acknowledged (202) and applied while the first master serves.
    const first = await api.patch(RS1, { weight: 5 });
    expect(first.status).toBe(202);
    const firstJob = await api.waitForJob(first.body.job.id);
    expect(firstJob.state).toBe("completed");
    await bothDirectorsShow({ "192.168.1.220:80": 5 });

    // Replication is asynchronous: what the replica had when the master died is what survives.
    const [masterInfo, replicaInfo] = await Promise.all([
      replicationInfo(deployment.master.port),
      replicationInfo(deployment.replica.port),
    ]);
    deployment.master.child.kill("SIGKILL");
    const killedAt = performance.now();
    await new Promise<void>((resolve) =>
      deployment.master.child.exitCode !== null || deployment.master.child.signalCode !== null
        ? resolve()
        : deployment.master.child.once("exit", () => resolve()),
    );

    // The next change: sent at once and again until one is accepted (a request waits while the server reconnects).
    let second: Awaited<ReturnType<typeof api.patch>> | undefined;
    let refusals = 0;
    while (performance.now() - killedAt < 30_000) {
      try {
        second = await api.patch(RS2, { weight: 4 });
      } catch {
        second = undefined;
      }
      if (second?.status === 202) break;
      refusals++;
      await new Promise((r) => setTimeout(r, 50));
    }
    const acceptedMs = Math.round(performance.now() - killedAt);
    expect(second?.status, second?.text).toBe(202);
    const promoted = await deployment.currentMasterPort();
    console.log(
      `redis sentinel fail-over: master SIGKILLed → first change accepted after ${acceptedMs} ms ` +
        `(${refusals} refused before; target < 5000 ms; master offset ${masterInfo.master_repl_offset}, ` +
        `replica offset ${replicaInfo.slave_repl_offset} at the kill; sentinels now name port ${promoted})`,
    );
    expect(promoted).toBe(deployment.replica.port);
    expect((await replicationInfo(deployment.replica.port)).role).toBe("master");

    // BullMQ on the new master: the second change's job completes and both directors apply it.
    const secondJob = await api.waitForJob(second!.body.job.id);
    expect(secondJob.state, JSON.stringify(secondJob)).toBe("completed");
    await bothDirectorsShow({ "192.168.1.220:80": 5, "192.168.1.231:80": 4 });

    // Nothing acknowledged was lost: both changes are in the spec, one generation each, and the first job is still there.
    const after = await spec();
    expect(after.generation).toBe(before.generation + 2);
    expect(after.weights).toMatchObject({ "192.168.1.220:80": 5, "192.168.1.231:80": 4 });
    const firstAgain = await api.get(`/v1/jobs/${first.body.job.id}`);
    expect(firstAgain.status).toBe(200);
    expect(firstAgain.body.state).toBe("completed");
  });

  it("after the fail-over a maintenance job runs through on the new master (its Lua scripts, lock and queue)", async () => {
    const api = fleet!.api;
    expect(await redis!.currentMasterPort()).toBe(redis!.replica.port);
    for (const kind of ["drain", "undrain"]) {
      const started = await api.post("/v1/clusters/web/jobs", {
        kind,
        targets: ["192.168.1.231:80"],
        ...(kind === "drain" ? { options: { timeout: "30s" } } : {}),
      });
      expect(started.status, started.text).toBe(202);
      const job = await api.waitForJob(started.body.job.id, 30_000);
      expect(job.state, JSON.stringify(job)).toBe("completed");
      await bothDirectorsShow({ "192.168.1.231:80": kind === "drain" ? 0 : 4 });
    }
  });
});

describe("a bad REDIS_URL stops the server at start", () => {
  it("exits 2 naming REDIS_URL and the reason, and never prints the password", async () => {
    const run = (url: string) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          [join(repoRoot(), PROGRAM_FILES.server)],
          { env: { ...process.env, REDIS_URL: url, LVSFLEET_API_TOKEN: "a-token-of-enough-length", PORT: "0" } },
          (_, __, stderr) => resolve({ code: child.exitCode, stderr }),
        );
      });
    const missingName = await run("redis+sentinel://lvs:hunter2-secret@127.0.0.1:26379");
    expect(missingName.code).toBe(2);
    expect(missingName.stderr).toContain(
      "REDIS_URL: the Sentinel form needs the master's name: redis+sentinel://host:26379,…/mymaster",
    );
    const typo = await run("redis+sentinel://lvs:hunter2-secret@127.0.0.1:26379/mymaster?sentinelPasword=s3cr3t");
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("REDIS_URL: unknown option sentinelPasword");
    for (const { stderr } of [missingName, typo]) {
      expect(stderr).not.toContain("hunter2");
      expect(stderr).not.toContain("s3cr3t");
    }
  });
});
