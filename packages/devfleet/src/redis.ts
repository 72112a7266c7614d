import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort } from "./ports.ts";

export interface RedisHandle {
  url: string;
  /** Whether this process started it (and stop() stops it). */
  started: boolean;
  pid?: number | undefined;
  stop(): Promise<void>;
}

/** Sends PING to a redis:// URL on loopback; true when it answers +PONG within the timeout. */
export function redisAnswers(url: string, timeoutMs = 500): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
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

export const REDIS_SERVER_PATHS = ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"];

export function findRedisServer(): string | undefined {
  return REDIS_SERVER_PATHS.find((p) => existsSync(p));
}

/**
 * Uses the Redis at `url` if one answers; otherwise starts a local redis-server (loopback only,
 * data under `dataDir`) on the URL's port, or on a free port when `url` is not given.
 */
export async function ensureRedis(options: { url?: string | undefined; dataDir: string }): Promise<RedisHandle> {
  if (options.url && (await redisAnswers(options.url)))
    return { url: options.url, started: false, stop: async () => {} };
  const binary = findRedisServer();
  if (!binary)
    throw new Error(
      "redis-server is not installed: apt-get install -y redis-server (or set REDIS_URL to a running Redis)",
    );
  const port = options.url ? Number(new URL(options.url).port || 6379) : await freePort();
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
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
