import type { Redis } from "ioredis";

/**
 * An acknowledged change must survive the loss of the Redis master. Redis replicates asynchronously:
 * a write the master answered can be missing on the replica Sentinel promotes. Before a command is
 * answered, the barrier makes sure every write made so far has reached `replicas` replicas, with
 * Redis' own `WAIT numreplicas timeout`.
 *
 * WAIT waits for the writes of the connection it is sent on. The writes of a command are spread over
 * several connections (the stores', BullMQ's queue), and WAIT blocks the connection it runs on, so it
 * runs on a connection of its own: a round writes one key there (INCR) and then WAITs for it. Redis
 * replicates one ordered stream, so once a replica has that write it has every write the master had
 * answered before it, whichever connection made them. Commands that ask while a round is under way
 * share the next round (one WAIT for a burst of commands, as the cluster writer's group commit).
 *
 * A fail-over between a command's writes and its round would send the round to the new master, whose
 * replicas say nothing of writes the old master took: the barrier counts the reconnections of the
 * connections it watches, and a command during which any of them reconnected is not confirmed.
 */
export interface ReplicationSettings {
  /** How many replicas must have the writes; 0: no barrier (a single Redis). */
  replicas: number;
  /** How long WAIT waits for them (ms). */
  timeoutMs: number;
  /** The key each round increments (under the server's prefix). */
  key: string;
}

/** What a client should do: the change was made (on the master), so sending it again is safe. */
const RETRY =
  "a weight or a spec set again changes nothing more, and a maintenance job sent again with its idempotencyKey is not queued twice; anything else (start, stop, a job without an idempotencyKey, a token) was made: check before sending it again";

/** The writes of a change may not be on enough replicas: it may be lost in a fail-over. Safe to retry. */
export class NotReplicatedError extends Error {
  override name = "NotReplicatedError";
  readonly retryAfterSeconds = 1;
}

/** Where a command began: the count of reconnections then. */
export interface ReplicationMark {
  readonly reconnections: number;
}

export class ReplicationBarrier {
  private reconnections = 0;
  private running: Promise<number> | undefined;
  private queued: Promise<number> | undefined;

  /**
   * `connection`: the barrier's own (connected) connection; `watched`: the (connected) connections
   * commands write on. A `ready` event from any of them after this is a reconnection.
   */
  constructor(
    private readonly connection: Redis,
    watched: readonly Redis[],
    private readonly settings: ReplicationSettings,
  ) {
    for (const redis of [connection, ...watched])
      redis.on("ready", () => {
        this.reconnections++;
      });
  }

  get replicas(): number {
    return this.settings.replicas;
  }

  /** Taken before a command's first write. */
  mark(): ReplicationMark {
    return { reconnections: this.reconnections };
  }

  /**
   * Resolves once every write made before the call is on `replicas` replicas; throws
   * NotReplicatedError when fewer acknowledged them within the timeout, or when Redis was
   * reconnected to (a fail-over) since `mark`.
   */
  async confirm(mark: ReplicationMark): Promise<void> {
    const { replicas, timeoutMs } = this.settings;
    if (replicas === 0) return;
    let acknowledged: number;
    try {
      acknowledged = await this.nextRound();
    } catch (error) {
      // the round itself failed (a connection closed in a fail-over, a demoted master): not confirmed
      throw new NotReplicatedError(
        `Redis could not confirm the change reached its replica(s) (${(error as Error).message}): it may not survive a Redis fail-over; ${RETRY}`,
      );
    }
    if (this.reconnections !== mark.reconnections)
      throw new NotReplicatedError(
        `the connection to Redis was re-made (a fail-over?) while the change was written: it may not survive the fail-over; ${RETRY}`,
      );
    if (acknowledged < replicas)
      throw new NotReplicatedError(
        `the change reached ${acknowledged} of the ${replicas} Redis replica(s) it must reach within ${timeoutMs} ms (LVSFLEET_REDIS_WAIT_REPLICAS, LVSFLEET_REDIS_WAIT_MS): it may not survive a Redis fail-over; ${RETRY}`,
      );
  }

  /** The round that starts after this call: the one under way may have been sent before the caller's writes. */
  private nextRound(): Promise<number> {
    if (!this.running) {
      this.running = this.round().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    if (!this.queued) {
      this.queued = this.running
        .catch(() => undefined)
        .then(() => {
          this.queued = undefined;
          return this.nextRound();
        });
    }
    return this.queued;
  }

  private async round(): Promise<number> {
    await this.connection.incr(this.settings.key);
    return Number(await this.connection.call("WAIT", this.settings.replicas, this.settings.timeoutMs));
  }
}
