import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureRedis } from "@lvsfleet/devfleet";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * Before the e2e tier: bundle the programs (the tests start the real server and agent
 * processes) and start a private redis-server on a free loopback port, unless REDIS_URL is set.
 */
export default async function setup(project: TestProject) {
  // @ts-expect-error plain ESM script without types
  const { buildAll } = await import("../../../scripts/build.mjs");
  await buildAll({ quiet: true });
  const dataDir = mkdtempSync(join(tmpdir(), "lvsfleet-e2e-redis-"));
  const redis = await ensureRedis({ url: process.env.REDIS_URL, dataDir });
  project.provide("redisUrl", redis.url);
  return async () => {
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
