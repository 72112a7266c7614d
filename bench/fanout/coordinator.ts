import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, setPriority, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { ensureRedis, type Fleet, startFleet } from "@lvsfleet/devfleet";
import type { ClusterSpecInput } from "@lvsfleet/model";
import type { AgentTicket, FromHost, HostStats, ToHost } from "./messages.ts";
import { cpuMs, percentile, rssMiB } from "./proc-stats.ts";

const AGENTS = Number(process.env.FANOUT_AGENTS ?? 1000);
const CHANGES = Number(process.env.FANOUT_CHANGES ?? 20);
const HOSTS = Math.max(1, Math.min(AGENTS, Number(process.env.FANOUT_HOSTS ?? 2)));
const IDLE_SECONDS = Number(process.env.FANOUT_IDLE_SECONDS ?? 10);
const HEARTBEAT_MS = 2_000;
const AGENT_NICE = 10;
const AGENT_DEADLINE_MS = Number(process.env.FANOUT_AGENT_DEADLINE_MS ?? 60_000);
const APPLY_CONCURRENCY = Number(process.env.FANOUT_APPLY_CONCURRENCY ?? 32);
const CLUSTER = "fan";
const VIP = "198.19.255.1";
const RS = ["198.19.255.11", "198.19.255.12"];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Director i's label address in 198.18.0.0/15 (a sim agent: nothing dials it). */
const address = (i: number) => `198.18.${(i + 1) >> 8}.${(i + 1) & 255}`;
const hostName = (i: number) => `d${String(i).padStart(4, "0")}`;
const fixed = (n: number, digits = 0) => n.toFixed(digits);

/** The one cluster: every director carries the same table (an ECMP-fronted director tier; no VRRP). */
function spec(): ClusterSpecInput {
  return {
    name: CLUSTER,
    vips: [VIP],
    directors: Array.from({ length: AGENTS }, (_, i) => ({
      host: hostName(i),
      address: address(i),
      role: i === 0 ? ("master" as const) : ("backup" as const),
      priority: i === 0 ? 100 : 90,
    })),
    services: [
      {
        name: "http",
        address: VIP,
        port: 80,
        scheduler: "wrr",
        realServers: RS.map((a) => ({ address: a, port: 80, weight: 3 })),
      },
    ],
  };
}

/** The agent-host processes, and what they report. */
class AgentHosts {
  private readonly children: ChildProcess[] = [];
  private readonly applied: Map<number, number>[] = [];
  private readonly waiters = new Map<number, (stats: HostStats) => void>();
  private nextId = 0;
  private failure: string | undefined;

  start(count: number): void {
    for (let i = 0; i < count; i++) {
      const child = fork(process.argv[1] as string, ["agents"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
      // The agents stand for a thousand other machines: here they share the server's cores, at a lower
      // priority, so that they slow themselves down, not the server under test.
      if (child.pid !== undefined) setPriority(child.pid, AGENT_NICE);
      const applied = new Map<number, number>();
      this.applied.push(applied);
      child.on("message", (message: FromHost) => {
        if (message.type === "applied") applied.set(message.generation, message.at);
        else if (message.type === "stats") {
          this.waiters.get(message.id)?.(message);
          this.waiters.delete(message.id);
        } else if (message.type === "error") this.failure = message.message;
      });
      this.children.push(child);
    }
  }

  /** Starts each host's share of the agents; resolves when all are enrolled, served and registered. */
  async serve(server: string, caPin: string, dataDir: string, tickets: AgentTicket[]): Promise<number> {
    const started = Date.now();
    await Promise.all(
      this.children.map(
        (child, i) =>
          new Promise<void>((resolve, reject) => {
            child.on("message", (message: FromHost) => {
              if (message.type === "ready") resolve();
              if (message.type === "error") reject(new Error(message.message));
            });
            child.send({
              type: "start",
              server,
              caPin,
              dataDir: join(dataDir, `host${i}`),
              tickets: tickets.filter((_, k) => k % this.children.length === i),
              enrollConcurrency: 8,
            } satisfies ToHost);
          }),
      ),
    );
    return Date.now() - started;
  }

  /** When every agent had applied `generation` (the last one's time), once all did; undefined if not yet. */
  allApplied(generation: number): number | undefined {
    const times = this.applied.map((m) => [...m].find(([g]) => g >= generation)?.[1]);
    if (times.some((t) => t === undefined)) return undefined;
    return Math.max(...(times as number[]));
  }

  async waitApplied(generation: number, timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.allApplied(generation);
      if (at !== undefined || Date.now() > deadline) return at;
      if (this.failure) throw new Error(this.failure);
      await sleep(5);
    }
  }

  async stats(since: number): Promise<HostStats> {
    const all = await Promise.all(
      this.children.map(
        (child) =>
          new Promise<HostStats>((resolve) => {
            const id = this.nextId++;
            this.waiters.set(id, resolve);
            child.send({ type: "stats", id, since } satisfies ToHost);
          }),
      ),
    );
    return {
      agents: all.reduce((n, s) => n + s.agents, 0),
      applies: all.reduce((n, s) => n + s.applies, 0),
      watched: all.reduce((n, s) => n + s.watched, 0),
      openedAt: all.flatMap((s) => s.openedAt),
    };
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.send({ type: "stop" } satisfies ToHost);
            setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
          }),
      ),
    );
  }
}

async function waitFor<T>(
  what: string,
  read: () => Promise<T | undefined>,
  timeoutMs: number,
  pollMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

async function waitJob(fleet: Fleet, id: string, what: string): Promise<void> {
  const job = await fleet.api.waitForJob(id, 300_000, 100);
  if (job.state !== "completed") throw new Error(`${what}: ${job.state} ${job.error ?? ""}`);
}

export async function runCoordinator(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "lvsfleet-bench-fanout-"));
  // REDIS_URL: a Redis that runs already (the CI test's); else a private redis-server
  const redis = await ensureRedis({ url: process.env.REDIS_URL, dataDir: join(dataDir, "redis") });
  const hosts = new AgentHosts();
  let fleet: Fleet | undefined;
  let failed = false;
  const stopAll = async () => {
    await hosts.stop();
    await fleet?.stop();
    await redis.stop();
  };
  // stopped from outside (a CI timeout, ^C): the server, the agent hosts and Redis go too
  for (const signal of ["SIGTERM", "SIGINT"] as const)
    process.once(
      signal,
      () =>
        void stopAll().finally(() => {
          rmSync(dataDir, { recursive: true, force: true });
          process.exit(1);
        }),
    );
  try {
    const token = randomBytes(18).toString("base64url");
    fleet = await startFleet({
      redisUrl: redis.url,
      token,
      dataDir,
      agents: [],
      env: {
        LOG_LEVEL: "warn",
        LVSFLEET_PREFIX: `bench-fanout-${randomBytes(3).toString("hex")}`,
        LVSFLEET_RATE_LIMIT_PER_MINUTE: "10000000",
        LVSFLEET_HEARTBEAT_MS: String(HEARTBEAT_MS),
        // A thousand simulated agents share two cores: a call waits for its agent's turn on them far
        // longer than on a machine of its own, so the bench gives each call more time (and says so).
        LVSFLEET_AGENT_DEADLINE_MS: String(AGENT_DEADLINE_MS),
        LVSFLEET_APPLY_CONCURRENCY: String(APPLY_CONCURRENCY),
        // PROFILE_DIR=… writes the server's CPU profile there (node --cpu-prof) when it stops.
        ...(process.env.PROFILE_DIR ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.PROFILE_DIR}` } : {}),
      },
    });
    const f = fleet;
    // The server with no agent: its memory, and its own idle CPU (queue, lease, fleet health timers).
    await sleep(2_000);
    const baseFrom = cpuMs(f.server.pid);
    await sleep(IDLE_SECONDS * 1_000);
    const before = { rss: rssMiB(f.server.pid), cpuMsPerS: (cpuMs(f.server.pid) - baseFrom) / IDLE_SECONDS };

    // One one-time join token per director (admin), as an operator hands them out.
    const tickets: AgentTicket[] = [];
    let caPin = "";
    for (let i = 0; i < AGENTS; i += 50)
      await Promise.all(
        Array.from({ length: Math.min(50, AGENTS - i) }, async (_, k) => {
          const host = hostName(i + k);
          const ticket = await f.api.post("/v1/pki/join-tokens", { host, role: "director" });
          if (ticket.status !== 201) throw new Error(`join token ${host}: ${ticket.status} ${ticket.text}`);
          caPin = ticket.body.caPin;
          tickets.push({ host, address: address(i + k), token: ticket.body.token });
        }),
      );
    hosts.start(HOSTS);
    const enrollMs = await hosts.serve(f.url, caPin, dataDir, tickets);
    const attachStarted = Date.now();
    await waitFor(
      "every agent watched",
      async () => ((await hosts.stats(0)).watched === AGENTS ? true : undefined),
      120_000,
      100,
    );
    const firstAttachMs = Date.now() - attachStarted;

    const put = await f.api.put(`/v1/clusters/${CLUSTER}`, spec());
    if (put.status !== 202) throw new Error(`PUT ${CLUSTER}: ${put.status} ${put.text}`);
    await waitJob(f, put.body.job.id, "first apply");
    const start = await f.api.post(`/v1/clusters/${CLUSTER}/start`);
    if (start.status !== 202) throw new Error(`start: ${start.status} ${start.text}`);
    await waitJob(f, start.body.job.id, "start");
    const cluster = await f.api.get(`/v1/clusters/${CLUSTER}`);
    let generation = Number(cluster.body.generation);
    await waitFor("first apply on every agent", async () => hosts.allApplied(generation), 120_000);

    // The supervisor with every stream attached, idle but for the heartbeats.
    await sleep(3_000);
    const idleFrom = cpuMs(f.server.pid);
    await sleep(IDLE_SECONDS * 1_000);
    const idle = { rss: rssMiB(f.server.pid), cpuMsPerS: (cpuMs(f.server.pid) - idleFrom) / IDLE_SECONDS };

    // One change at a time: from the request (and from its 202) until every agent applied it.
    const endToEnd: number[] = [];
    const after202: number[] = [];
    const accepted: number[] = [];
    let missed = 0;
    const changeCpuFrom = cpuMs(f.server.pid);
    for (let k = 1; k <= CHANGES; k++) {
      const sent = Date.now();
      const response = await f.api.patch(`/v1/clusters/${CLUSTER}/services/http/real-servers/${RS[0]}:80`, {
        weight: 4 + (k % 2),
      });
      const got202 = Date.now();
      if (response.status !== 202) throw new Error(`weight change ${k}: ${response.status} ${response.text}`);
      generation += 1;
      const at = await hosts.waitApplied(generation, 60_000);
      if (at === undefined) {
        missed += 1;
        continue;
      }
      endToEnd.push(at - sent);
      after202.push(at - got202);
      accepted.push(got202 - sent);
      await waitJob(f, response.body.job.id, `change ${k}`);
      await sleep(200);
    }
    const changeCpuMs = (cpuMs(f.server.pid) - changeCpuFrom) / CHANGES;

    // what is measured so far, in case the restart below fails on an overloaded machine
    console.log(
      JSON.stringify({
        fanoutBeforeRestart: {
          agents: AGENTS,
          enrollMs,
          firstAttachMs,
          changesApplied: endToEnd.length,
          endToEndMs: endToEnd,
          after202Ms: after202,
          serverCpuMsPerChange: Math.round(changeCpuMs),
          rssMiB: { before: before.rss, attached: idle.rss },
          idleCpuMsPerSecond: { noAgent: before.cpuMsPerS, attached: idle.cpuMsPerS },
        },
      }),
    );

    // The supervisor restarts: SIGKILL by PID, started again; until every agent is watched again.
    const killed = Date.now();
    // (profiling: SIGTERM, so that the first server writes its profile)
    await (process.env.PROFILE_DIR ? f.server.stop() : f.server.kill());
    await f.restartServer();
    const ready = Date.now();
    const pid = f.server.pid;
    // /v1/health answers once the server listens, which is after it took the lease (or found another holder)
    const leased = await waitFor(
      "the new server holds the supervisor lease",
      async () => ((await f.api.get("/v1/health")).body?.supervisor === true ? Date.now() : undefined),
      30_000,
      20,
    );
    const reattached = await waitFor(
      "every stream re-attached",
      async () => {
        const s = await hosts.stats(killed);
        return s.openedAt.length === AGENTS ? s : undefined;
      },
      120_000,
      100,
    );
    const allAttached = Math.max(...reattached.openedAt);
    const restartCpuMs = cpuMs(pid);
    // Long enough for every re-sync the restart would start (three heartbeats, and a job's run).
    await sleep(3 * HEARTBEAT_MS + 2_000);
    const afterRestart = await hosts.stats(killed);
    const restartRss = rssMiB(pid);
    const firstAttached = Math.min(...reattached.openedAt);
    const rel = reattached.openedAt.map((t) => t - firstAttached);
    const perWindow = new Map<number, number>();
    for (const t of reattached.openedAt)
      perWindow.set(Math.floor(t / 100), (perWindow.get(Math.floor(t / 100)) ?? 0) + 1);
    const per100 = AGENTS / 100;

    const figures = {
      agents: AGENTS,
      hosts: HOSTS,
      changes: CHANGES,
      changesApplied: endToEnd.length,
      changesMissed: missed,
      endToEndMs: { p50: percentile(endToEnd, 50), p99: percentile(endToEnd, 99), max: Math.max(...endToEnd) },
      after202Ms: { p50: percentile(after202, 50), p99: percentile(after202, 99) },
      acceptMs: { p50: percentile(accepted, 50), p99: percentile(accepted, 99) },
      serverCpuMsPerChange: Math.round(changeCpuMs),
      rssMiB: { before: before.rss, attached: idle.rss, perHundred: (idle.rss - before.rss) / per100 },
      idleCpuMsPerSecond: { noAgent: before.cpuMsPerS, attached: idle.cpuMsPerS },
      idleCpuMsPerSecondPerHundred: (idle.cpuMsPerS - before.cpuMsPerS) / per100,
      enrollMs,
      firstAttachMs,
      restart: {
        readyMs: ready - killed,
        supervisorSeenMs: leased - killed,
        reattachFromKillMs: allAttached - killed,
        reattachFromReadyMs: allAttached - ready,
        firstAttachFromKillMs: firstAttached - killed,
        attachSpreadMs: allAttached - firstAttached,
        p50AttachInSpreadMs: percentile(rel, 50),
        peakAttachesPer100Ms: Math.max(...perWindow.values()),
        reattached: reattached.openedAt.length,
        watchedAfter: afterRestart.watched,
        applyCallsAfterRestart: afterRestart.applies,
        serverCpuMsUntilAttached: restartCpuMs,
        rssMiB: restartRss,
      },
    };
    console.log(
      `fanout: ${AGENTS} sim director agents (mutual TLS, each its own certificate) in ${HOSTS} agent-host processes at nice ${AGENT_NICE}, one cluster; the server a separate process (agent deadline ${AGENT_DEADLINE_MS} ms, apply concurrency ${APPLY_CONCURRENCY})`,
    );
    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}; heartbeat ${HEARTBEAT_MS} ms`,
    );
    console.log(
      `enrolled, served and registered ${AGENTS} agents in ${fixed(enrollMs / 1000, 1)} s; all watched ${fixed(firstAttachMs)} ms later`,
    );
    console.log(
      `one change to ${AGENTS} agents (${endToEnd.length}/${CHANGES} changes applied everywhere${missed ? `, ${missed} MISSED` : ""}): request → every agent applied p50 ${figures.endToEndMs.p50} ms, p99 ${figures.endToEndMs.p99} ms (max ${figures.endToEndMs.max}); 202 → every agent p50 ${figures.after202Ms.p50}, p99 ${figures.after202Ms.p99} ms; the 202 itself p50 ${figures.acceptMs.p50} ms`,
    );
    console.log(`server CPU per change: ${figures.serverCpuMsPerChange} ms`);
    console.log(
      `supervisor (server process) RSS: ${fixed(before.rss, 1)} MiB with no agent, ${fixed(idle.rss, 1)} MiB with ${AGENTS} attached: ${fixed(figures.rssMiB.perHundred, 1)} MiB per 100 agents`,
    );
    console.log(
      `supervisor CPU, idle (heartbeat every ${HEARTBEAT_MS} ms): ${fixed(before.cpuMsPerS, 1)} ms/s with no agent, ${fixed(idle.cpuMsPerS, 1)} ms/s with ${AGENTS} streams (${fixed(idle.cpuMsPerS / 10, 1)} % of a core): ${fixed(figures.idleCpuMsPerSecondPerHundred, 2)} ms/s per 100 agents`,
    );
    const r = figures.restart;
    console.log(
      `restart (SIGKILL by PID, started again): ready ${r.readyMs} ms after the kill, supervising (GET /v1/health) at ${r.supervisorSeenMs} ms; first stream re-attached at ${r.firstAttachFromKillMs} ms, all ${reattached.openedAt.length} at ${r.reattachFromKillMs} ms (${r.reattachFromReadyMs} ms after ready): spread over ${r.attachSpreadMs} ms (median at ${r.p50AttachInSpreadMs} ms), at most ${r.peakAttachesPer100Ms} attaches in any 100 ms`,
    );
    console.log(
      `after the restart: ${afterRestart.applies} Apply calls (re-syncs) to agents already at the desired generation; ${afterRestart.watched}/${AGENTS} watched; new server CPU ${restartCpuMs} ms until all attached, RSS ${fixed(restartRss, 1)} MiB`,
    );
    console.log(JSON.stringify({ fanout: figures }));
  } catch (error) {
    failed = true;
    console.error(`fanout failed; logs kept in ${join(dataDir, "logs")}`);
    throw error;
  } finally {
    await stopAll();
    if (!failed) rmSync(dataDir, { recursive: true, force: true });
  }
}
