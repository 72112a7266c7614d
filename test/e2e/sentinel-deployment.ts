import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  askRedisNode,
  DEMO_MASTER_NAME,
  type RedisNodeProcess,
  replicationInfo,
  type SentinelRedis,
  startSentinelRedis,
} from "@lvsfleet/devfleet";

/** The master group's name the sentinels monitor. */
export const MASTER_NAME = DEMO_MASTER_NAME;
export type RedisProcess = RedisNodeProcess;
export { replicationInfo };
/** One command to a node on loopback, on a connection of its own that does not retry. */
export const ask = askRedisNode;

/**
 * The demo's Redis master, replica and three sentinels (devfleet's sentinel.ts), as the tests run
 * them: in a temporary directory, named `master` and `replica`, quick to notice a dead master.
 */
export interface SentinelDeployment extends Omit<SentinelRedis, "stop" | "kill"> {
  dir: string;
  /** Every process started so far (a restarted node's new process too). */
  nodes(): RedisProcess[];
  /** Stops everything it started (SIGKILL, by PID) and removes the directories. */
  stop(): Promise<void>;
}

export async function startSentinelDeployment(
  options: { downAfterMs?: number; failoverTimeoutMs?: number; minReplicasToWrite?: number } = {},
): Promise<SentinelDeployment> {
  const dir = mkdtempSync(join(tmpdir(), "lvsfleet-e2e-sentinel-"));
  try {
    const redis = await startSentinelRedis({
      dataDir: dir,
      names: { master: "master", replica: "replica" },
      downAfterMs: options.downAfterMs ?? 500,
      failoverTimeoutMs: options.failoverTimeoutMs ?? 2_000,
      ...(options.minReplicasToWrite ? { minReplicasToWrite: options.minReplicasToWrite } : {}),
    });
    return {
      ...redis,
      dir,
      nodes: () => [...redis.processes],
      async stop() {
        await redis.kill();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
