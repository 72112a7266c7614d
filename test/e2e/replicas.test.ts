import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Api,
  DEMO_AGENTS,
  type Fleet,
  type ProgramHandle,
  repoRoot,
  startFleet,
  startServerProcess,
} from "@lvsfleet/devfleet";
import { DEMO_CLUSTER } from "@lvsfleet/model";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

/**
 * Three server replicas on one Redis, as an operator runs them: the same Redis, key prefix, API
 * token and CA (the replicas share the CA files in one data directory, as an operator points every
 * replica at the same LVSFLEET_CA_CERT/LVSFLEET_CA_KEY). One replica at a time holds the supervisor
 * lease: each agent transition is recorded once, not once per replica, and another replica takes
 * over when the holder is killed.
 */

interface Replica {
  name: string;
  api: Api;
  handle: () => ProgramHandle<{ port: number }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe("three server replicas on one Redis: one supervisor at a time", () => {
  const prefix = `e2e-${randomBytes(4).toString("hex")}`;
  const token = randomBytes(18).toString("base64url");
  const dataDir = mkdtempSync(join(tmpdir(), "lvsfleet-e2e-replicas-"));
  const env = {
    LVSFLEET_PREFIX: prefix,
    LVSFLEET_HEARTBEAT_MS: "300",
    LVSFLEET_JOB_BACKOFF_MS: "100",
    LVSFLEET_AGENT_DEADLINE_MS: "1500",
    LOG_LEVEL: "info",
  };
  let fleet: Fleet;
  let redis: Redis;
  const extra: ProgramHandle<{ port: number }>[] = [];
  const replicas: Replica[] = [];

  /** Another server process on the same Redis, prefix, token and CA, with its replica id. */
  const startReplica = (name: string, logFile: string) =>
    startServerProcess({
      root: repoRoot(),
      env: {
        ...process.env,
        PORT: "0",
        REDIS_URL: inject("redisUrl"),
        LVSFLEET_API_TOKEN: token,
        // the CA the first replica made, shared as an operator shares LVSFLEET_CA_CERT/KEY
        LVSFLEET_DATA_DIR: join(dataDir, "server"),
        ...env,
        LVSFLEET_REPLICA_ID: name,
      },
      logFile,
    });

  beforeAll(async () => {
    redis = new Redis(inject("redisUrl"));
    fleet = await startFleet({
      redisUrl: inject("redisUrl"),
      token,
      dataDir,
      agents: DEMO_AGENTS,
      env: { ...env, LVSFLEET_REPLICA_ID: "replica-1" },
    });
    const put = await fleet.api.put("/v1/clusters/web", DEMO_CLUSTER);
    expect(put.status).toBe(202);
    const start = await fleet.api.post("/v1/clusters/web/start");
    expect((await fleet.api.waitForJob(start.body.job.id)).state).toBe("completed");
    replicas.push({ name: "replica-1", api: fleet.api, handle: () => fleet.server });
    for (const name of ["replica-2", "replica-3"]) {
      const handle = await startReplica(name, join(dataDir, "logs", `${name}.log`));
      extra.push(handle);
      replicas.push({ name, api: new Api(`http://127.0.0.1:${handle.ready.port}`, token), handle: () => handle });
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(extra.map((h) => h.stop()));
    await fleet?.stop();
    await redis?.quit();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function healthOf(replica: Replica): Promise<{ replica: string; supervisor: boolean } | undefined> {
    try {
      const { status, body } = await replica.api.get("/v1/health");
      return status === 200 ? body : undefined;
    } catch {
      return undefined; // killed
    }
  }

  /** The supervisors among the replicas still running, by their own word. */
  async function supervisors(among: Replica[]): Promise<string[]> {
    const answers = await Promise.all(among.map(healthOf));
    return answers.filter((a) => a?.supervisor).map((a) => a!.replica);
  }

  /** Agent transitions stored for a host since a time, straight from the event stream. */
  async function agentTransitions(host: string, to: string, since: number): Promise<unknown[]> {
    const entries = await redis.xrange(`${prefix}:events`, "-", "+");
    return entries
      .map(([, fields]) => JSON.parse(fields[1] ?? "{}"))
      .filter((e) => e.type === "agent" && e.host === host && e.to === to && e.time >= since);
  }

  async function reachable(api: Api, host: string): Promise<boolean | undefined> {
    const { body } = await api.get("/v1/agents");
    return body.agents.find((a: any) => a.host === host)?.reachable;
  }

  it("every replica answers GET /v1/health with its id; exactly one is the supervisor, and /metrics says so", async () => {
    const answers = await Promise.all(replicas.map(healthOf));
    expect(answers.map((a) => a?.replica)).toEqual(["replica-1", "replica-2", "replica-3"]);
    for (const a of answers) expect(a).toMatchObject({ status: "ok", redis: "PONG" });
    expect(answers.filter((a) => a?.supervisor === true)).toHaveLength(1);
    // the first replica started alone and took the lease at once, as a single server does
    expect(answers[0]?.supervisor).toBe(true);

    const m1 = await replicas[0]!.api.get("/metrics");
    expect(m1.text).toMatch(/^lvsfleet_supervisor_lease_holder\{replica="replica-1"\} 1$/m);
    expect(m1.text).toMatch(/^lvsfleet_supervisor_lease_changes_total\{replica="replica-1",change="gained"\} 1$/m);
    const m2 = await replicas[1]!.api.get("/metrics");
    expect(m2.text).toMatch(/^lvsfleet_supervisor_lease_holder\{replica="replica-2"\} 0$/m);
  });

  it("a second running server with a replica id already in use refuses to start, naming the id (and changes nothing)", async () => {
    const logFile = join(dataDir, "logs", "replica-2-twin.log");
    const started = startReplica("replica-2", logFile);
    await expect(started).rejects.toThrow(/exited \(1\) before it was ready/);
    expect(readFileSync(logFile, "utf8")).toContain(
      "another running server already uses LVSFLEET_REPLICA_ID=replica-2",
    );
    // the running replica-2 kept its claim and still answers
    expect((await healthOf(replicas[1]!))?.replica).toBe("replica-2");
    expect(await supervisors(replicas)).toEqual(["replica-1"]);
  });

  it("an agent that goes down is recorded unreachable once (not once per replica), and back once", async () => {
    const since = Date.now();
    await fleet.agents.get("web2")!.kill();
    for (const replica of replicas)
      await waitFor(`${replica.name} to show web2 unreachable`, async () =>
        (await reachable(replica.api, "web2")) === false ? true : undefined,
      );
    await sleep(1_500); // room for a duplicate to arrive, were there one
    expect(await agentTransitions("web2", "unreachable", since)).toHaveLength(1);
    expect(await agentTransitions("web2", "reachable", since)).toHaveLength(0);

    const back = Date.now();
    await fleet.restartAgent("web2");
    await waitFor("web2 reachable", async () => ((await reachable(replicas[2]!.api, "web2")) ? true : undefined));
    await sleep(1_500);
    expect(await agentTransitions("web2", "reachable", back)).toHaveLength(1);
  });

  it("the supervisor killed with SIGKILL: another replica takes over within seconds, and transitions are still recorded once", async () => {
    const holder = replicas.find((r) => r.name === "replica-1")!;
    expect(await supervisors([holder])).toEqual(["replica-1"]);
    const others = replicas.filter((r) => r !== holder);
    const killedAt = Date.now();
    await holder.handle().kill();
    const [next] = await waitFor(
      "another replica to hold the supervisor lease",
      async () => {
        const now = await supervisors(others);
        return now.length > 0 ? now : undefined;
      },
      15_000,
    );
    const takeoverMs = Date.now() - killedAt;
    console.log(`supervisor take-over after SIGKILL: ${takeoverMs} ms (lease TTL 3000 ms)`);
    expect(takeoverMs).toBeLessThan(6_000);
    expect(await supervisors(others)).toEqual([next]);
    const supervisor = others.find((r) => r.name === next)!;
    const metrics = await supervisor.api.get("/metrics");
    expect(metrics.text).toMatch(new RegExp(`^lvsfleet_supervisor_lease_holder\\{replica="${next}"\\} 1$`, "m"));

    // The new supervisor watches the agents (a heartbeat every 300 ms): let it hear from them all.
    await sleep(2_000);
    // It starts from what the last one recorded: no agent that was up is announced back by the take-over.
    for (const host of fleet.agents.keys()) expect(await agentTransitions(host, "reachable", killedAt)).toEqual([]);
    const since = Date.now();
    await fleet.agents.get("web1")!.kill();
    for (const replica of others)
      await waitFor(`${replica.name} to show web1 unreachable`, async () =>
        (await reachable(replica.api, "web1")) === false ? true : undefined,
      );
    await sleep(1_500);
    expect(await agentTransitions("web1", "unreachable", since)).toHaveLength(1);
    expect(await supervisors(others)).toEqual([next]);
  });
});
