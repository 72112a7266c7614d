import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { DELETE_IF_HELD, defineScript, evalScript } from "../maintenance/scripts.ts";

/** Sets the key to this process's instance if it is free or already this instance's; 0 when another instance holds it. */
const CLAIM = `
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/** Raised when another running process already uses this replica id. */
export class DuplicateReplicaError extends Error {}

/**
 * One running process per replica id. The supervisor lease lets a replica take back a lease its
 * own id holds (a run of it that died holding it), which is only safe while no two live processes
 * share an id: two would take the lease from each other on every round, each stopping and starting
 * the fleet's supervision. So each process claims `<prefix>:replica:<id>` with a random instance of
 * its own and a TTL, renewed every third of it. A restart waits for its dead predecessor's claim
 * to run out (at most one TTL); a claim still renewed after two TTLs belongs to a live process, and
 * this one refuses to start.
 */
export class ReplicaPresence {
  /** This process's instance: what its claim holds. */
  readonly instance = randomBytes(8).toString("hex");
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    readonly options: { key: string; replica: string; ttlMs: number; log: Logger },
  ) {
    defineScript(redis, CLAIM, 1);
    defineScript(redis, DELETE_IF_HELD, 1);
  }

  private async tryClaim(): Promise<boolean> {
    return (await evalScript(this.redis, CLAIM, 1, this.options.key, this.instance, String(this.options.ttlMs))) === 1;
  }

  /** Claims the id (waiting out a dead predecessor's claim), then keeps it renewed until close(). */
  async claim(): Promise<void> {
    const { ttlMs, replica, log } = this.options;
    const deadline = performance.now() + 2 * ttlMs;
    let waited = false;
    while (!(await this.tryClaim())) {
      if (performance.now() > deadline)
        throw new DuplicateReplicaError(
          `another running server already uses LVSFLEET_REPLICA_ID=${replica} (its claim ${this.options.key} in Redis was renewed for ${2 * ttlMs} ms): give every replica its own id, or leave LVSFLEET_REPLICA_ID unset for a unique one`,
        );
      if (!waited) log.info({ replica }, "waiting for the previous run of this replica id to expire");
      waited = true;
      await new Promise((r) => setTimeout(r, Math.max(50, Math.floor(ttlMs / 6))));
    }
    this.timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(ttlMs / 3)));
  }

  private async renew(): Promise<void> {
    try {
      if (!(await this.tryClaim()))
        this.options.log.error(
          { replica: this.options.replica, key: this.options.key },
          "another process now runs with this replica id: give every replica its own LVSFLEET_REPLICA_ID",
        );
    } catch (error) {
      this.options.log.warn({ err: (error as Error).message }, "replica presence: Redis did not answer");
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await evalScript(this.redis, DELETE_IF_HELD, 1, this.options.key, this.instance).catch(() => undefined);
  }
}
