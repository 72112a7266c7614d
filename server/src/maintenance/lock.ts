import type { Redis } from "ioredis";
import { defineScript, evalScript, RENEW_IF_HELD as RENEW } from "./scripts.ts";
import type { MaintenanceKeys } from "./store.ts";

/**
 * Takes the cluster for a job when it is the job's turn: the job with the lowest sequence number
 * among the cluster's due jobs (a sorted set), and nobody else holds the lock. Every take issues
 * a new fencing token (INCR), so a run that lost the lock (a server that stalled and was taken
 * over) is refused at its next fenced write.
 */
const ACQUIRE = `
redis.call('ZADD', KEYS[3], 'NX', ARGV[2], ARGV[1])
local head = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
if head ~= ARGV[1] then return {0, head} end
local current = redis.call('GET', KEYS[1])
if current then
  local holder = string.match(current, '^(%S+)')
  if holder ~= ARGV[1] then return {0, holder} end
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[3])
return {1, tostring(token)}
`;

/** Fencing: true only while this token is the newest issued for the cluster and still holds the lock. */
const FENCE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
return 1
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[2] then redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[3], ARGV[1])
return redis.call('ZRANGE', KEYS[3], 0, 0)[1] or false
`;

export class LostLockError extends Error {
  override name = "LostLockError";
}

export type Acquired = { ok: true; token: number } | { ok: false; holder: string | undefined };

export class ClusterLock {
  constructor(
    private readonly redis: Redis,
    private readonly keys: MaintenanceKeys,
    readonly ttlMs: number,
  ) {
    defineScript(redis, ACQUIRE, 3);
    defineScript(redis, RENEW, 1);
    defineScript(redis, FENCE, 2);
    defineScript(redis, RELEASE, 3);
  }

  private k(cluster: string): [string, string, string] {
    return [this.keys.lock(cluster), this.keys.fence(cluster), this.keys.turn(cluster)];
  }

  async acquire(cluster: string, jobId: string, seq: number): Promise<Acquired> {
    const [ok, value] = (await evalScript(
      this.redis,
      ACQUIRE,
      3,
      ...this.k(cluster),
      jobId,
      String(seq),
      String(this.ttlMs),
    )) as [number, string | null];
    return ok === 1 ? { ok: true, token: Number(value) } : { ok: false, holder: value ?? undefined };
  }

  async renew(cluster: string, jobId: string, token: number): Promise<boolean> {
    return (
      ((await evalScript(
        this.redis,
        RENEW,
        1,
        this.keys.lock(cluster),
        `${jobId} ${token}`,
        String(this.ttlMs),
      )) as number) === 1
    );
  }

  /** Throws LostLockError unless the token still fences the cluster. */
  async check(cluster: string, jobId: string, token: number): Promise<void> {
    const ok = (await evalScript(
      this.redis,
      FENCE,
      2,
      this.keys.lock(cluster),
      this.keys.fence(cluster),
      `${jobId} ${token}`,
      String(token),
    )) as number;
    if (ok !== 1) throw new LostLockError(`job ${jobId} no longer holds cluster ${cluster} (fencing token ${token})`);
  }

  /** Gives the cluster up (and the job's place in line); returns the job whose turn it is now. */
  async release(cluster: string, jobId: string, token: number | undefined): Promise<string | undefined> {
    const next = (await evalScript(
      this.redis,
      RELEASE,
      3,
      ...this.k(cluster),
      jobId,
      token === undefined ? "" : `${jobId} ${token}`,
    )) as string | null;
    return next ?? undefined;
  }

  /** Removes a job from the line without holding the lock (cancelled while waiting, or gone). */
  async leaveLine(cluster: string, jobId: string): Promise<void> {
    await this.redis.zrem(this.keys.turn(cluster), jobId);
  }

  /** The job holding the cluster, if any. */
  async holder(cluster: string): Promise<string | undefined> {
    const value = await this.redis.get(this.keys.lock(cluster));
    return value?.split(" ")[0];
  }
}
