import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./ports.ts";
import { type DevRedisTarget, parseDevRedisUrl } from "./redis-url.ts";

export interface RedisHandle {
  url: string;
  /** Whether this process started it (and stop() stops it). */
  started: boolean;
  pid?: number | undefined;
  /** The redis-server process, when this process started it. */
  child?: ChildProcess | undefined;
  stop(): Promise<void>;
}

/**
 * Whether the Redis at REDIS_URL answers PING within the timeout: a redis:// URL on loopback
 * directly; the Sentinel form (redis+sentinel://h:p,h:p/mymaster) through its sentinels, as the
 * server reaches it — they name the master, and the master must answer.
 */
export function redisAnswers(url: string, timeoutMs = 500): Promise<boolean> {
  const target = parseDevRedisUrl(url);
  return target.kind === "sentinel" ? sentinelMasterAnswers(target, timeoutMs) : pingAnswers(target, timeoutMs);
}

function pingAnswers(target: { host: string; port: number }, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

async function sentinelMasterAnswers(
  target: Extract<DevRedisTarget, { kind: "sentinel" }>,
  timeoutMs: number,
): Promise<boolean> {
  const redis = new Redis({
    sentinels: target.sentinels,
    name: target.name,
    role: "master",
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    sentinelRetryStrategy: () => null,
  });
  redis.on("error", () => {});
  const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs * 4).unref());
  try {
    return await Promise.race([redis.connect().then(async () => (await redis.ping()) === "PONG"), timer]);
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export const REDIS_SERVER_PATHS = ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"];

export function findRedisServer(): string | undefined {
  return REDIS_SERVER_PATHS.find((p) => existsSync(p));
}

/**
 * Uses the Redis at `url` if one answers; otherwise starts a local redis-server (loopback only,
 * data under `dataDir`) on the URL's port, or on a free port when `url` is not given. A Sentinel
 * URL must answer: devfleet does not start sentinels for it (the demo's own: sentinel.ts).
 */
export async function ensureRedis(options: { url?: string | undefined; dataDir: string }): Promise<RedisHandle> {
  const target = options.url === undefined ? undefined : parseDevRedisUrl(options.url);
  if (options.url && (await redisAnswers(options.url, target?.kind === "sentinel" ? 2_000 : 500)))
    return { url: options.url, started: false, stop: async () => {} };
  if (target?.kind === "sentinel")
    throw new Error(
      `no master answers through the sentinels of REDIS_URL (${target.sentinels.map((s) => `${s.host}:${s.port}`).join(", ")}, master ${target.name}); start them, or unset REDIS_URL (the demo starts its own with LVSFLEET_DEMO_SENTINEL=1)`,
    );
  const binary = findRedisServer();
  if (!binary)
    throw new Error(
      "redis-server is not installed: apt-get install -y redis-server (or set REDIS_URL to a running Redis)",
    );
  const port = target ? target.port : await freePort();
  mkdirSync(options.dataDir, { recursive: true });
  const child = spawn(
    binary,
    [
      "--bind",
      "127.0.0.1",
      "--port",
      String(port),
      "--dir",
      options.dataDir,
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--logfile",
      join(options.dataDir, "redis.log"),
    ],
    { stdio: "ignore" },
  );
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url))) {
    if (child.exitCode !== null)
      throw new Error(`redis-server exited (${child.exitCode}); see ${join(options.dataDir, "redis.log")}`);
    if (Date.now() > deadline) throw new Error("redis-server did not answer within 10 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    started: true,
    pid: child.pid,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
