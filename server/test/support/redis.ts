import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureRedis } from "@lvsfleet/devfleet";
import { Redis } from "ioredis";

export interface PrivateRedis {
  url: string;
  /** A new connection (BullMQ-ready: no retry limit per request). */
  connect(): Redis;
  stop(): Promise<void>;
}

/**
 * A private redis-server for one test file, on a free loopback port, its data in a temporary
 * directory; stop() closes every connection it made, stops that redis-server (by its own child
 * process) and removes the directory.
 */
export async function startRedis(): Promise<PrivateRedis> {
  const dataDir = mkdtempSync(join(tmpdir(), "lvsfleet-unit-redis-"));
  const handle = await ensureRedis({ dataDir });
  const connections: Redis[] = [];
  return {
    url: handle.url,
    connect() {
      const redis = new Redis(handle.url, { maxRetriesPerRequest: null });
      connections.push(redis);
      return redis;
    },
    async stop() {
      for (const redis of connections) redis.disconnect();
      await handle.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
