import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Fleet, findRedisServer, freePort, startFleet } from "@lvsfleet/devfleet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directorWeights, startDemoFleet } from "./fleet.ts";
import { ask } from "./sentinel-deployment.ts";

/**
 * The slot rule of Redis Cluster, enforced by a real redis-server in cluster mode: one node that
 * holds all 16384 slots, so that a plain connection reaches every key, and Redis still refuses a
 * script or a MULTI whose keys are in several slots (CROSSSLOT). With a hash-tag prefix the server's
 * every path exercised here — specs, host owners, BullMQ, maintenance jobs and their lock, tokens,
 * revocations — runs without one CROSSSLOT; without the tag the first spec write is refused.
 * This is not Redis Cluster end to end (no ioredis Cluster client, no MOVED, no resharding).
 */
let node: { port: number; child: ChildProcess; dir: string } | undefined;
let fleet: Awaited<ReturnType<typeof startDemoFleet>> | undefined;
let untagged: (Fleet & { dataDir: string }) | undefined;

async function crossSlotErrors(): Promise<number> {
  const text = String(await ask(node!.port, "INFO", "errorstats"));
  return Number(/errorstat_CROSSSLOT:count=(\d+)/.exec(text)?.[1] ?? 0);
}

beforeAll(async () => {
  const binary = findRedisServer();
  if (!binary) throw new Error("redis-server is not installed");
  const dir = mkdtempSync(join(tmpdir(), "lvsfleet-e2e-cluster-"));
  const port = await freePort();
  const child = spawn(
    binary,
    [
      "--bind",
      "127.0.0.1",
      "--port",
      String(port),
      "--dir",
      dir,
      "--save",
      "",
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      join(dir, "nodes.conf"),
      "--logfile",
      join(dir, "log"),
    ],
    { stdio: "ignore" },
  );
  node = { port, child, dir };
  const deadline = Date.now() + 15_000;
  let assigned = false;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}); see ${join(dir, "log")}`);
    try {
      if (!assigned) assigned = (await ask(port, "CLUSTER", "ADDSLOTSRANGE", 0, 16383)) === "OK";
      if (String(await ask(port, "CLUSTER", "INFO")).includes("cluster_state:ok")) break;
    } catch {}
    if (Date.now() > deadline) throw new Error("the cluster-mode redis-server is not ready within 15 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  fleet = await startDemoFleet({
    REDIS_URL: `redis://127.0.0.1:${port}`,
    LVSFLEET_PREFIX: `{e2e-${randomBytes(4).toString("hex")}}`,
  });
}, 90_000);

afterAll(async () => {
  await fleet?.cleanup();
  await untagged?.stop();
  if (untagged) rmSync(untagged.dataDir, { recursive: true, force: true });
  if (node) {
    const { child, dir } = node;
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("Redis Cluster's slot rule: a hash-tag prefix keeps every script and MULTI in one slot", () => {
  it("the demo cluster, a weight change, a drain and undrain, tokens and a revocation: not one CROSSSLOT", async () => {
    const api = fleet!.api;
    // startDemoFleet already stored and started the demo cluster (spec CAS, host owners, the command queue).
    const weight = await api.patch("/v1/clusters/web/services/http/real-servers/192.168.1.220:80", { weight: 6 });
    expect(weight.status).toBe(202);
    expect((await api.waitForJob(weight.body.job.id)).state).toBe("completed");
    expect((await directorWeights(fleet!, "lb-master"))["192.168.1.220:80"]).toBe(6);

    // A maintenance job: its store's CAS and events, the cluster lock and fence, the maintenance queue.
    for (const kind of ["drain", "undrain"]) {
      const started = await api.post("/v1/clusters/web/jobs", {
        kind,
        targets: ["192.168.1.231:80"],
        ...(kind === "drain" ? { options: { timeout: "30s" } } : {}),
      });
      expect(started.status, started.text).toBe(202);
      const job = await api.waitForJob(started.body.job.id, 30_000);
      expect(job.state, JSON.stringify(job)).toBe("completed");
    }
    expect((await directorWeights(fleet!, "lb-master"))["192.168.1.231:80"]).toBe(1);

    // API tokens (a MULTI over the records and their hashes) and a host's revocation (a MULTI over hosts and serials).
    const token = await api.post("/v1/tokens", { name: "slots", role: "viewer" });
    expect(token.status, token.text).toBe(201);
    expect((await api.request("DELETE", `/v1/tokens/${token.body.id}`)).status).toBe(200);
    const revoked = await api.post("/v1/pki/revocations", { host: "web2", reason: "slot test" });
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.body.serials.length).toBeGreaterThan(0);
    expect((await api.request("DELETE", "/v1/pki/revocations/web2")).status).toBe(200);

    expect(await crossSlotErrors()).toBe(0);
  });

  it("without the hash tag the same Redis refuses the first spec write (CROSSSLOT): the check can fail", async () => {
    const before = await crossSlotErrors();
    const dataDir = mkdtempSync(join(tmpdir(), "lvsfleet-e2e-cluster-untagged-"));
    untagged = {
      ...(await startFleet({
        redisUrl: `redis://127.0.0.1:${node!.port}`,
        token: randomBytes(18).toString("base64url"),
        dataDir,
        agents: [],
        env: { LVSFLEET_PREFIX: `e2e-${randomBytes(4).toString("hex")}`, LOG_LEVEL: "warn" },
      })),
      dataDir,
    };
    const put = await untagged.api.put("/v1/clusters/web", (await fleet!.api.get("/v1/clusters/web")).body.spec);
    expect(put.status).toBe(500);
    expect(await crossSlotErrors()).toBeGreaterThan(before);
  });
});
