import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./ports.ts";
import { findRedisServer } from "./redis.ts";

/** The master group's name the demo's sentinels monitor. */
export const DEMO_MASTER_NAME = "mymaster";

export interface RedisNodeProcess {
  name: string;
  kind: "redis" | "sentinel";
  port: number;
  pid: number;
  child: ChildProcess;
}

/**
 * A Redis master, one replica and three sentinels, each a private process on a free loopback port
 * with its own directory under `dataDir` (the installed redis-server runs as a sentinel with
 * `--sentinel`; the same approach as test/e2e/sentinel-deployment.ts). Sentinel sees a dead master
 * after `downAfterMs` and promotes the replica.
 */
export interface SentinelRedis {
  /** REDIS_URL for the servers: redis+sentinel://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3/mymaster */
  url: string;
  /** master, replica, sentinel-1..3: the processes started, in that order. */
  processes: RedisNodeProcess[];
  /** Stops everything it started (SIGTERM, then SIGKILL after a grace period, by PID). */
  stop(): Promise<void>;
}

/** One command to a node on loopback, on a connection of its own that does not retry. */
async function ask(port: number, command: string, ...args: (string | number)[]): Promise<unknown> {
  const redis = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    return await redis.call(command, ...args);
  } finally {
    redis.disconnect();
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, processes: RedisNodeProcess[]) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = processes.find((p) => exited(p.child));
    if (dead) throw new Error(`${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) while ${what}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (exited(child)) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export async function startSentinelRedis(options: {
  /** Each node's directory goes under it; emptied first (a sentinel's configuration names old ports). */
  dataDir: string;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
}): Promise<SentinelRedis> {
  const binary = findRedisServer();
  if (!binary)
    throw new Error("redis-server is not installed: apt-get install -y redis-server (it also runs the sentinels)");
  rmSync(options.dataDir, { recursive: true, force: true });
  const processes: RedisNodeProcess[] = [];
  const stop = async () => {
    // sentinels first, so they do not promote the replica while the master goes down
    const sentinels = processes.filter((p) => p.kind === "sentinel");
    await Promise.all(sentinels.map((p) => stopProcess(p.child, 3_000)));
    await Promise.all(processes.filter((p) => p.kind === "redis").map((p) => stopProcess(p.child, 5_000)));
  };
  const launch = async (name: string, kind: RedisNodeProcess["kind"], args: string[]): Promise<RedisNodeProcess> => {
    const home = join(options.dataDir, name);
    mkdirSync(home, { recursive: true });
    const port = await freePort();
    const common = ["--bind", "127.0.0.1", "--port", String(port), "--dir", home, "--logfile", join(home, "log")];
    let argv: string[];
    if (kind === "sentinel") {
      // A sentinel rewrites its configuration file: it must have one of its own (`args` are its lines).
      const conf = join(home, "sentinel.conf");
      writeFileSync(conf, `${args.join("\n")}\n`);
      argv = [conf, "--sentinel", ...common];
    } else argv = [...common, ...args];
    const child = spawn(binary, argv, { stdio: "ignore" });
    const node = { name, kind, port, pid: child.pid ?? -1, child };
    processes.push(node);
    return node;
  };
  try {
    const downAfter = String(options.downAfterMs ?? 1_000);
    const failoverTimeout = String(options.failoverTimeoutMs ?? 3_000);
    const persistence = ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec"];
    const master = await launch("redis-master", "redis", persistence);
    const replica = await launch("redis-replica", "redis", [
      ...persistence,
      "--replicaof",
      "127.0.0.1",
      String(master.port),
    ]);
    await until(
      "waiting for the replica to be in sync with the master",
      async () => /master_link_status:up/.test(String(await ask(replica.port, "INFO", "replication"))),
      15_000,
      processes,
    );
    const sentinels: RedisNodeProcess[] = [];
    for (let i = 1; i <= 3; i++)
      sentinels.push(
        await launch(`sentinel-${i}`, "sentinel", [
          `sentinel monitor ${DEMO_MASTER_NAME} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${DEMO_MASTER_NAME} ${downAfter}`,
          `sentinel failover-timeout ${DEMO_MASTER_NAME} ${failoverTimeout}`,
        ]),
      );
    // Each sentinel must know the replica and the two others before a fail-over can be authorized.
    for (const sentinel of sentinels)
      await until(
        `waiting for ${sentinel.name} to see the replica and a quorum of sentinels`,
        async () =>
          String(await ask(sentinel.port, "SENTINEL", "CKQUORUM", DEMO_MASTER_NAME)).startsWith("OK 3 usable") &&
          ((await ask(sentinel.port, "SENTINEL", "REPLICAS", DEMO_MASTER_NAME)) as unknown[]).length === 1,
        20_000,
        processes,
      );
    return {
      url: `redis+sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")}/${DEMO_MASTER_NAME}`,
      processes,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
