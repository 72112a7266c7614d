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
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until as untilWithin } from "../e2e/maintenance-fleet.ts";
import {
  ask,
  MASTER_NAME,
  type RedisProcess,
  replicationInfo,
  type SentinelDeployment,
  startSentinelDeployment,
} from "../e2e/sentinel-deployment.ts";

/**
 * Issue 13, "nothing acknowledged is lost": the fail-over tier. Real processes on loopback: 3 server
 * replicas (dist), a Redis master, its replica and 3 sentinels, the demo's 4 agents (mutual TLS, one
 * CA shared through LVSFLEET_CA_ENCRYPTION_KEY). REDIS_URL is the Sentinel URL, so every replica
 * waits (LVSFLEET_REDIS_WAIT_REPLICAS, default 1 with Sentinel) until a change is on the replica
 * before it answers 202. A client sends a weight change every 50 ms to a random replica, each with a
 * weight no other change uses, and records what was acknowledged. Killed with SIGKILL, one at a time:
 * (a) the replica holding the supervisor lease, (b) the replica running a maintenance job, (c) the
 * Redis master. After each: every acknowledged change is on both directors and its apply job
 * completed, transitions were recorded once, the job ended once, and the time until the API
 * answered again is printed (measured, not asserted).
 *
 * Short timings (production defaults in brackets): supervisor lease LVSFLEET_SUPERVISOR_LEASE_MS
 * 2000 (3000); job lock and stalled check LVSFLEET_JOB_LOCK_MS 3000 (30000); agent heartbeat
 * LVSFLEET_HEARTBEAT_MS 300 (2000); agent call deadline 1500 (5000); sentinel
 * down-after-milliseconds 500 and failover-timeout 2000; LVSFLEET_REDIS_WAIT_MS left at 1000.
 */

const ROOT = repoRoot();
const TOKEN = randomBytes(18).toString("base64url");
const CA_KEY = randomBytes(32).toString("base64");
const PREFIX = `ha-${randomBytes(3).toString("hex")}`;
const ENV = {
  LVSFLEET_PREFIX: PREFIX,
  LVSFLEET_CA_ENCRYPTION_KEY: CA_KEY,
  LVSFLEET_SUPERVISOR_LEASE_MS: "2000",
  LVSFLEET_JOB_LOCK_MS: "3000",
  LVSFLEET_HEARTBEAT_MS: "300",
  LVSFLEET_AGENT_DEADLINE_MS: "1500",
  LVSFLEET_JOB_BACKOFF_MS: "100",
  LVSFLEET_JOB_ATTEMPTS: "30",
  LOG_LEVEL: "info",
};
/** Real servers only the client changes (labels in the sim directors' tables, no agent of their own). */
const CLIENT_SERVERS = ["192.168.1.221", "192.168.1.222", "192.168.1.223"];
/** The real server the maintenance job takes out (the client never touches it). */
const JOB_SERVER = "192.168.1.231";
const CLUSTER = {
  ...DEMO_CLUSTER,
  services: (DEMO_CLUSTER.services ?? []).map((s) => ({
    ...s,
    realServers: [...(s.realServers ?? []), ...CLIENT_SERVERS.map((address) => ({ address, port: 80, weight: 1 }))],
  })),
};
const DIRECTORS = ["lb-master", "lb-backup"];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Fail-overs take seconds: 30 s before a wait gives up. */
const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000) =>
  untilWithin(what, probe, timeoutMs);

interface Replica {
  name: string;
  api: Api;
  handle: ProgramHandle<{ port: number }>;
}

/** One weight change the client sent, and how it was answered. */
interface Change {
  seq: number;
  server: string;
  weight: number;
  replica: string;
  sentAt: number;
  answeredAt?: number;
  /** The HTTP status; 0: no answer (connection refused or reset, or the client's timeout). */
  status?: number;
  generation?: number;
  job?: string;
  error?: string;
}

/** Sends a weight change every 50 ms to a random replica, each with a weight of its own. */
class WeightClient {
  readonly changes: Change[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly replicas: () => Replica[]) {}

  start(): void {
    this.timer ??= setInterval(() => this.send(), 50);
  }

  /** Stops sending and waits for every answer. */
  async pause(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inFlight]);
  }

  acknowledged(): Change[] {
    return this.changes.filter((c) => c.status === 202);
  }

  /** The first change sent after `time` that was acknowledged: when the API took changes again. */
  firstAcknowledgedAfter(time: number): Change | undefined {
    return this.changes
      .filter((c) => c.sentAt >= time && c.status === 202)
      .sort((a, b) => a.answeredAt! - b.answeredAt!)[0];
  }

  private send(): void {
    if (this.inFlight.size >= 40) return;
    const all = this.replicas();
    const replica = all[Math.floor(Math.random() * all.length)]!;
    const seq = this.seq++;
    const change: Change = {
      seq,
      server: CLIENT_SERVERS[seq % CLIENT_SERVERS.length]!,
      weight: 2 + seq,
      replica: replica.name,
      sentAt: Date.now(),
    };
    this.changes.push(change);
    const request = fetch(
      new URL(`/v1/clusters/web/services/http/real-servers/${change.server}:80`, replica.api.baseUrl),
      {
        method: "PATCH",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ weight: change.weight }),
        signal: AbortSignal.timeout(30_000),
      },
    )
      .then(async (response) => {
        const body = (await response.json().catch(() => undefined)) as any;
        change.status = response.status;
        change.answeredAt = Date.now();
        if (response.status === 202) {
          change.generation = body.generation;
          change.job = body.job.id;
        } else change.error = body?.error?.message ?? `HTTP ${response.status}`;
      })
      .catch((error: Error) => {
        change.status = 0;
        change.answeredAt = Date.now();
        change.error = error.message;
      })
      .finally(() => this.inFlight.delete(request));
    this.inFlight.add(request);
  }
}

describe("fail-over: 3 replicas, Redis Sentinel, SIGKILL one process at a time", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "lvsfleet-ha-"));
  let redisNodes: SentinelDeployment;
  let fleet: Fleet;
  let redis: Redis;
  const replicas: Replica[] = [];
  const started: ProgramHandle<{ port: number }>[] = [];
  let client: WeightClient;
  /** The id of the last event and audit entry seen before the run. */
  let eventsFrom = "-";
  let auditFrom = "-";
  let named = 1;

  const serverEnv = (name: string): NodeJS.ProcessEnv => ({
    ...process.env,
    PORT: "0",
    REDIS_URL: redisNodes.url,
    LVSFLEET_API_TOKEN: TOKEN,
    LVSFLEET_DATA_DIR: join(dataDir, name),
    ...ENV,
    LVSFLEET_REPLICA_ID: name,
  });

  async function startReplica(): Promise<Replica> {
    const name = `replica-${++named}`;
    const handle = await startServerProcess({
      root: ROOT,
      env: serverEnv(name),
      logFile: join(dataDir, "logs", `${name}.log`),
    });
    started.push(handle);
    const replica = { name, api: new Api(`http://127.0.0.1:${handle.ready.port}`, TOKEN), handle };
    replicas.push(replica);
    return replica;
  }

  /** Killed replicas not yet replaced. */
  const dead: Replica[] = [];

  async function kill(replica: Replica): Promise<number> {
    const at = Date.now();
    await replica.handle.kill(); // SIGKILL to its PID; returns once it exited
    dead.push(replica);
    return at;
  }

  /** A process supervisor starts a replacement for each killed replica (after a stage, or after a failed one). */
  async function replaceDead(): Promise<void> {
    await client.pause();
    for (let replica = dead.pop(); replica; replica = dead.pop()) {
      replicas.splice(replicas.indexOf(replica), 1);
      await startReplica();
    }
  }

  async function health(replica: Replica): Promise<{ replica: string; supervisor: boolean } | undefined> {
    try {
      const { status, body } = await replica.api.get("/v1/health");
      return status === 200 ? body : undefined;
    } catch {
      return undefined;
    }
  }

  /** Any live replica's API (the first that answers). */
  async function anyApi(): Promise<Api> {
    for (const replica of replicas) if (await health(replica)) return replica.api;
    throw new Error("no replica answers");
  }

  async function streamSince(key: string, from: string): Promise<any[]> {
    const entries = await redis.xrange(key, from === "-" ? "-" : `(${from}`, "+");
    return entries.map(([id, fields]) => ({ id, ...JSON.parse(fields[1] ?? "{}") }));
  }

  /**
   * Every acknowledged change is on the agents: both directors have applied a generation at least
   * as new as every acknowledged one, each client server's weight there is its acknowledged change
   * with the newest generation (or a change sent later whose answer was lost: it may have landed
   * too), each acknowledged change's apply job completed, and each has exactly one audit entry.
   */
  async function expectEveryAcknowledgedChangeApplied(stage: string): Promise<void> {
    const acknowledged = client.acknowledged();
    expect(acknowledged.length, `${stage}: changes acknowledged`).toBeGreaterThan(10);
    const newest = Math.max(...acknowledged.map((c) => c.generation!));
    const api = await anyApi();
    const status = await until(`${stage}: both directors at generation ${newest} or newer`, async () => {
      const { body } = await api.get("/v1/clusters/web/status");
      const directors = body.hosts.filter((h: any) => DIRECTORS.includes(h.host));
      return directors.length === 2 && directors.every((d: any) => d.generation >= newest) ? body : undefined;
    });
    const byWeight = new Map(client.changes.map((c) => [c.weight, c]));
    for (const host of DIRECTORS) {
      const table = status.hosts.find((h: any) => h.host === host).table.services[0];
      const weights = Object.fromEntries(table.destinations.map((d: any) => [d.address, d.weight]));
      for (const server of CLIENT_SERVERS) {
        const last = acknowledged.filter((c) => c.server === server).sort((a, b) => b.generation! - a.generation!)[0]!;
        const onDirector = byWeight.get(weights[server]);
        expect(onDirector?.server, `${stage}: ${host} ${server} has weight ${weights[server]}`).toBe(server);
        if (onDirector !== last)
          expect(
            onDirector!.status,
            `${stage}: ${host} ${server} has weight ${weights[server]}, not the last acknowledged ${last.weight} (generation ${last.generation})`,
          ).not.toBe(202);
      }
    }
    // every acknowledged change's apply job completed (none was lost with its queue entry)
    const jobs = [...new Set(acknowledged.map((c) => c.job!))];
    for (let i = 0; i < jobs.length; i += 25)
      await Promise.all(
        jobs.slice(i, i + 25).map(async (id) => {
          const job = await api.waitForJob(id, 30_000, 100);
          expect(job.state, `${stage}: apply job ${id}`).toBe("completed");
        }),
      );
    // one audit entry per acknowledged change
    const audit = await streamSince(`${PREFIX}:audit`, auditFrom);
    const weightEntries = new Map<string, number>();
    for (const entry of audit)
      if (typeof entry.command === "string" && entry.command.startsWith("weight "))
        weightEntries.set(entry.command, (weightEntries.get(entry.command) ?? 0) + 1);
    for (const change of acknowledged)
      expect(weightEntries.get(`weight ${change.weight}`), `${stage}: audit entries of weight ${change.weight}`).toBe(
        1,
      );
  }

  /** No agent went down and no VIP moved: the stream holds no agent transition and no alert. */
  async function expectNoTransitionRecorded(stage: string): Promise<void> {
    const events = await streamSince(`${PREFIX}:events`, eventsFrom);
    const transitions = events.filter((e) => e.type === "agent" || (e.type === "state" && e.host === "server"));
    expect(transitions, `${stage}: transitions recorded with none caused`).toEqual([]);
    const keys = events.map(({ id: _id, ...e }) => JSON.stringify(e));
    expect(new Set(keys).size, `${stage}: an event recorded twice`).toBe(keys.length);
  }

  /** What the client's changes got so far: how many of each answer (refusals by their reason). */
  function summary(stage: string): void {
    const counts = new Map<string, number>();
    for (const c of client.changes) {
      const key = c.status === 202 ? "202" : `${c.status} ${(c.error ?? "").replace(/\d+/g, "N").slice(0, 90)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const took = client
      .acknowledged()
      .map((c) => c.answeredAt! - c.sentAt)
      .sort((a, b) => a - b);
    const at = (q: number) => took[Math.min(took.length - 1, Math.floor(q * took.length))];
    console.log(
      `ha: ${stage}: changes sent ${client.changes.length}; answers ${JSON.stringify(Object.fromEntries(counts))}; 202 answered in p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`,
    );
  }

  beforeAll(async () => {
    redisNodes = await startSentinelDeployment({ downAfterMs: 500, failoverTimeoutMs: 2_000 });
    redis = new Redis({
      sentinels: redisNodes.sentinels.map((s) => ({ host: "127.0.0.1", port: s.port })),
      name: MASTER_NAME,
      maxRetriesPerRequest: null,
    });
    redis.on("error", () => {}); // reconnects across the fail-over
    fleet = await startFleet({
      redisUrl: redisNodes.url,
      token: TOKEN,
      dataDir,
      agents: DEMO_AGENTS,
      env: { ...ENV, LVSFLEET_REPLICA_ID: "replica-1" },
    });
    replicas.push({ name: "replica-1", api: fleet.api, handle: fleet.server });
    expect((await fleet.api.put("/v1/clusters/web", CLUSTER)).status).toBe(202);
    const start = await fleet.api.post("/v1/clusters/web/start");
    expect((await fleet.api.waitForJob(start.body.job.id)).state).toBe("completed");
    await startReplica();
    await startReplica();
    const last = async (key: string) => (await redis.xrevrange(key, "+", "-", "COUNT", 1))[0]?.[0] ?? "-";
    eventsFrom = await last(`${PREFIX}:events`);
    auditFrom = await last(`${PREFIX}:audit`);
    client = new WeightClient(() => replicas);
  }, 120_000);

  afterAll(async () => {
    await client?.pause();
    await Promise.all(started.map((h) => h.stop()));
    await fleet?.stop();
    redis?.disconnect();
    await redisNodes?.stop();
    // LVSFLEET_HA_KEEP=1 keeps the servers' and agents' logs (printed: where)
    if (process.env.LVSFLEET_HA_KEEP) console.log(`ha: logs kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  });

  it("(a) the supervisor lease holder killed: another replica takes over; nothing acknowledged is lost", async () => {
    const answers = await Promise.all(replicas.map(health));
    expect(answers.filter((a) => a?.supervisor).map((a) => a!.replica)).toEqual(["replica-1"]);
    client.start();
    await sleep(1_500);
    const holder = replicas.find((r) => r.name === "replica-1")!;
    const killedAt = await kill(holder);
    const survivors = replicas.filter((r) => r !== holder);
    const next = await until("another replica to hold the lease", async () => {
      const now = (await Promise.all(survivors.map(health))).filter((a) => a?.supervisor);
      return now.length > 0 ? now : undefined;
    });
    const takeoverMs = Date.now() - killedAt;
    await sleep(1_500);
    await client.pause();
    const answered = client.firstAcknowledgedAfter(killedAt);
    expect(answered, "a change acknowledged after the kill").toBeDefined();
    console.log(
      `ha: replica loss (lease holder): API answered again after ${answered!.answeredAt! - killedAt} ms; lease taken over by ${next[0]!.replica} after ${takeoverMs} ms`,
    );
    summary("after (a)");
    // one supervisor, and the lease changed hands once
    expect((await Promise.all(survivors.map(health))).filter((a) => a?.supervisor)).toHaveLength(1);
    let gained = 0;
    for (const replica of survivors) {
      const m = (await replica.api.get("/metrics")).text.match(
        /^lvsfleet_supervisor_lease_changes_total\{replica="[^"]+",change="gained"\} (\d+)$/m,
      );
      gained += Number(m?.[1] ?? 0);
    }
    expect(gained).toBe(1);
    await expectEveryAcknowledgedChangeApplied("(a)");
    await expectNoTransitionRecorded("(a)");
    await replaceDead();
  });

  it("(b) the replica running a maintenance job killed: another resumes it from its step; it ends once", async () => {
    await replaceDead();
    client.start();
    const api = replicas[0]!.api;
    const submitted = await api.post("/v1/clusters/web/jobs", {
      kind: "maintenance",
      targets: [JOB_SERVER],
      options: { for: "4s" },
    });
    expect(submitted.status, submitted.text).toBe(202);
    const id: string = submitted.body.job.id;
    await until("the maintenance window to be held", async () => {
      const { body } = await api.get(`/v1/jobs/${id}`);
      return body.state === "active" && body.steps.some((s: any) => s.state === "running" && s.kind === "hold")
        ? true
        : undefined;
    });
    // which replica's worker runs it: BullMQ's record names the worker (the replica's id)
    const runner = String(await redis.hget(`${PREFIX}:maintenance:${id}`, "pb"));
    const victim = replicas.find((r) => r.name === runner);
    expect(victim, `the job runs on ${runner}`).toBeDefined();
    const killedAt = await kill(victim!);
    const job = await until(
      `maintenance job ${id} to finish`,
      async () => {
        const { body } = await (await anyApi()).get(`/v1/jobs/${id}`);
        return ["completed", "failed", "cancelled"].includes(body.state) ? body : undefined;
      },
      45_000,
    );
    await client.pause();
    const answered = client.firstAcknowledgedAfter(killedAt);
    console.log(
      `ha: replica loss (job runner): API answered again after ${answered!.answeredAt! - killedAt} ms; job ${id} ended ${Date.parse(job.finishedAt) - killedAt} ms after the kill`,
    );
    summary("after (b)");
    expect(job.state, job.error).toBe("completed");
    expect(job.attempts.made).toBe(2);
    expect(job.steps.every((s: any) => s.state === "done" || s.state === "skipped")).toBe(true);
    const events = await until("the job's events", async () => {
      const response = await fetch(new URL(`/v1/jobs/${id}/events`, (await anyApi()).baseUrl), {
        headers: { authorization: `Bearer ${TOKEN}`, accept: "text/event-stream" },
      });
      const text = await response.text();
      return text
        .split("\n\n")
        .map((block) => block.split("\n").find((l) => l.startsWith("data:")))
        .filter((l): l is string => Boolean(l))
        .map((l) => JSON.parse(l.slice(5)));
    });
    expect(events.filter((e: any) => /^resumed by a restarted server/.test(e.message))).toHaveLength(1);
    // ended once: one audit entry of the run's end
    const audit = await streamSince(`${PREFIX}:audit`, auditFrom);
    expect(audit.filter((e) => e.actor?.name === `job ${id}`)).toHaveLength(1);
    // the window is over: the server is back at weight 1 on both directors
    const status = await until("the job's server restored on both directors", async () => {
      const { body } = await (await anyApi()).get("/v1/clusters/web/status");
      const restored = body.hosts
        .filter((h: any) => DIRECTORS.includes(h.host))
        .every((h: any) => h.table.services[0].destinations.find((d: any) => d.address === JOB_SERVER)?.weight === 1);
      return restored ? body : undefined;
    });
    expect(status.cluster).toBe("web");
    await expectEveryAcknowledgedChangeApplied("(b)");
    await expectNoTransitionRecorded("(b)");
    await replaceDead();
  });

  it("(c) the Redis master killed: Sentinel promotes the replica; nothing acknowledged is lost", async () => {
    await replaceDead();
    client.start();
    await sleep(1_500);
    const oldMaster: RedisProcess = redisNodes.master;
    expect(await redisNodes.currentMasterPort()).toBe(oldMaster.port);
    // reads go on during the fail-over: the first one answered after the kill
    let readAgainAt: number | undefined;
    const killedAt = Date.now();
    const reads = (async () => {
      while (readAgainAt === undefined && Date.now() - killedAt < 30_000) {
        const replica = replicas[Math.floor(Math.random() * replicas.length)]!;
        const sent = Date.now();
        const answer = await replica.api.get("/v1/clusters/web").catch(() => undefined);
        if (answer?.status === 200 && sent > killedAt + 50) readAgainAt = Date.now();
        else await sleep(50);
      }
    })();
    oldMaster.child.kill("SIGKILL");
    await until(
      "Sentinel to promote the replica",
      async () => ((await redisNodes.currentMasterPort()) === redisNodes.replica.port ? true : undefined),
      20_000,
    );
    const promotedMs = Date.now() - killedAt;
    // The killed master is started again (a process supervisor, or the operator) as a replica of the
    // promoted one: until then the new master has no replica, and changes are answered 503 (nothing
    // could survive its loss).
    const restarted = await redisNodes.restart(oldMaster, { replicaOf: redisNodes.replica.port });
    await until("the old master to be a replica in sync", async () => {
      const info = await replicationInfo(restarted.port);
      return info.role === "slave" && info.master_link_status === "up" ? true : undefined;
    }).catch(async (error: Error) => {
      // what each node says, and the end of the restarted one's log
      const seen = await Promise.all(
        [restarted.port, redisNodes.replica.port].map((port) => replicationInfo(port).catch((e) => String(e))),
      );
      const log = readFileSync(join(redisNodes.dir, restarted.name, "log"), "utf8")
        .split("\n")
        .slice(-25)
        .join("\n");
      throw new Error(`${error.message}: ${JSON.stringify(seen)}\n${log}`);
    });
    const rejoinedMs = Date.now() - killedAt;
    const answered = await until("a change acknowledged after the fail-over", async () =>
      client.firstAcknowledgedAfter(killedAt),
    );
    await reads;
    await sleep(1_500);
    await client.pause();
    console.log(
      `ha: Redis fail-over: API answered again after ${readAgainAt === undefined ? "(no read answered)" : `${readAgainAt - killedAt} ms`} (a read); Sentinel promoted the replica after ${promotedMs} ms; the killed master, restarted as a replica, was in sync after ${rejoinedMs} ms; changes acknowledged again after ${answered.answeredAt! - killedAt} ms`,
    );
    summary("after (c)");
    await expectEveryAcknowledgedChangeApplied("(c)");
    await expectNoTransitionRecorded("(c)");
  });
  it("(d) a replica that does not acknowledge in time: the change is answered 503, safe to retry, and the retry is applied", async () => {
    await replaceDead();
    const redisReplica = await until("the deployment's replica", async () => {
      const master = await redisNodes.currentMasterPort();
      return redisNodes
        .nodes()
        .find(
          (n) => n.kind === "redis" && n.port !== master && n.child.exitCode === null && n.child.signalCode === null,
        );
    });
    const api = replicas[0]!.api;
    const path = `/v1/clusters/web/services/http/real-servers/${CLIENT_SERVERS[0]}:80`;
    process.kill(redisReplica.child.pid!, "SIGSTOP");
    let refused: Awaited<ReturnType<Api["patch"]>>;
    const sent = Date.now();
    try {
      refused = await api.patch(path, { weight: 60_001 });
    } finally {
      process.kill(redisReplica.child.pid!, "SIGCONT");
    }
    console.log(
      `ha: a replica stopped (SIGSTOP): a change answered 503 after ${Date.now() - sent} ms (LVSFLEET_REDIS_WAIT_MS 1000)`,
    );
    expect(refused.status, refused.text).toBe(503);
    expect(refused.body.error.message).toBe(
      "the change reached 0 of the 1 Redis replica(s) it must reach within 1000 ms (LVSFLEET_REDIS_WAIT_REPLICAS, LVSFLEET_REDIS_WAIT_MS): it may not survive a Redis fail-over; a weight or a spec set again changes nothing more, and a maintenance job sent again with its idempotencyKey is not queued twice; anything else (start, stop, a job without an idempotencyKey, a token) was made: check before sending it again",
    );
    // the same request again, once the replica answers: acknowledged and applied
    const retried = await until("the retry to be acknowledged", async () => {
      const answer = await api.patch(path, { weight: 60_001 });
      return answer.status === 202 ? answer : undefined;
    });
    expect((await api.waitForJob(retried.body.job.id)).state).toBe("completed");
    await until("both directors at the retried weight", async () => {
      const { body } = await api.get("/v1/clusters/web/status");
      return body.hosts
        .filter((h: any) => DIRECTORS.includes(h.host))
        .every(
          (h: any) =>
            h.table.services[0].destinations.find((d: any) => d.address === CLIENT_SERVERS[0])?.weight === 60_001,
        )
        ? true
        : undefined;
    });
  });
  it("(e) a burst of changes shares the replication barrier's WAIT rounds, and every one is acknowledged", async () => {
    await replaceDead();
    const master = await redisNodes.currentMasterPort();
    const waits = async () => {
      const stats = String(await ask(master, "INFO", "commandstats"));
      return Number(/^cmdstat_wait:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
    };
    const before = await waits();
    const api = replicas[0]!.api;
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        api.patch(`/v1/clusters/web/services/http/real-servers/${CLIENT_SERVERS[i % 3]}:80`, { weight: 61_000 + i }),
      ),
    );
    const rounds = (await waits()) - before;
    console.log(`ha: 30 changes at once on one server: ${rounds} WAIT round(s)`);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
    expect(rounds).toBeGreaterThanOrEqual(1);
    expect(rounds).toBeLessThan(30);
  });
});
