import type { Redis } from "ioredis";
import { defineScript, evalScript } from "./scripts.ts";
import { type JobEvent, type MaintenanceJob, type MaintenanceState, type Schedule, TERMINAL } from "./types.ts";

/** Every Redis key of maintenance jobs, under the installation's prefix. */
export function maintenanceKeys(prefix: string) {
  const base = `${prefix}:maint`;
  return {
    seq: `${base}:seq`,
    job: (id: string) => `${base}:job:${id}`,
    events: (id: string) => `${base}:events:${id}`,
    eventSeq: (id: string) => `${base}:event-seq:${id}`,
    jobs: `${base}:jobs`,
    idempotency: (cluster: string, key: string) => `${base}:idem:${cluster}:${key}`,
    marks: (cluster: string) => `${base}:marks:${cluster}`,
    schedules: `${base}:schedules`,
    lock: (cluster: string) => `${base}:lock:${cluster}`,
    fence: (cluster: string) => `${base}:fence:${cluster}`,
    turn: (cluster: string) => `${base}:turn:${cluster}`,
  };
}
export type MaintenanceKeys = ReturnType<typeof maintenanceKeys>;

/** Writes the job only if it is still the version read (optimistic concurrency between runner and commands). */
const CAS = `
local current = redis.call('GET', KEYS[1])
if not current then return {-1} end
local version = cjson.decode(current).version
if tostring(version) ~= ARGV[1] then return {0} end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] == '' then return {1} end
local n = redis.call('INCR', KEYS[3])
local text = '{"seq":' .. n .. ',' .. string.sub(ARGV[3], 2)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '0-' .. n, 'event', text)
return {1, text}
`;

/** Appends an event with the next sequence number as its stream id (0-N), so SSE clients resume by number. */
const APPEND_EVENT = `
local n = redis.call('INCR', KEYS[2])
local text = '{"seq":' .. n .. ',' .. string.sub(ARGV[1], 2)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '0-' .. n, 'event', text)
return text
`;

type Stored = MaintenanceJob & { version: number };

export class ConcurrentJobUpdateError extends Error {
  override name = "ConcurrentJobUpdateError";
}

/**
 * Maintenance jobs in Redis: the job document (state, steps, undo log) written with
 * compare-and-set on a version, its progress events in a capped stream, an index for listing,
 * idempotency keys, maintenance marks (what a finished drain left drained) and cron schedules.
 * Finished jobs expire after the retention time; the index keeps at most `retentionCount`.
 */
export class MaintenanceStore {
  constructor(
    readonly redis: Redis,
    readonly keys: MaintenanceKeys,
    private readonly retention: { count: number; seconds: number },
    private readonly maxEvents = 2_000,
  ) {
    defineScript(redis, CAS, 3);
    defineScript(redis, APPEND_EVENT, 2);
  }

  async nextSeq(): Promise<number> {
    return this.redis.incr(this.keys.seq);
  }

  /** Stores a new job; with an idempotency key already used for the cluster, returns that job instead. */
  async create(job: MaintenanceJob): Promise<{ job: MaintenanceJob; replay: boolean }> {
    if (job.idempotencyKey) {
      const key = this.keys.idempotency(job.cluster, job.idempotencyKey);
      const won = await this.redis.set(key, job.id, "EX", this.retention.seconds, "NX");
      if (!won) {
        const first = await this.redis.get(key);
        const existing = first ? await this.get(first) : undefined;
        if (existing) return { job: existing, replay: true };
        await this.redis.set(key, job.id, "EX", this.retention.seconds);
      }
    }
    const stored: Stored = { ...job, version: 1 };
    await this.redis
      .multi()
      .set(this.keys.job(job.id), JSON.stringify(stored))
      .zadd(this.keys.jobs, job.seq, job.id)
      .exec();
    return { job, replay: false };
  }

  async get(id: string): Promise<MaintenanceJob | undefined> {
    const raw = await this.redis.get(this.keys.job(id));
    if (!raw) {
      this.known.delete(id);
      return undefined;
    }
    const { version, ...job } = JSON.parse(raw) as Stored;
    this.remember(id, version, job);
    return job;
  }

  /** The last version this process read or wrote of each unfinished job: a write needs no read first when it is still current. */
  private readonly known = new Map<string, { version: number; job: MaintenanceJob }>();

  private remember(id: string, version: number, job: MaintenanceJob): void {
    if (TERMINAL.has(job.state)) this.known.delete(id);
    else this.known.set(id, { version, job });
  }

  /**
   * Changes a job with compare-and-set (retried when another writer got there first). `change`
   * returns the next job, or undefined to leave it as it is. Returns the job after the change.
   * The version this process last saw is tried first, without reading; a stale one costs a read.
   */
  async update(
    id: string,
    change: (job: MaintenanceJob) => MaintenanceJob | undefined,
    /** An event to append in the same round trip when the change is written (its `drained` from the new job). */
    eventOf?: (next: MaintenanceJob) => Omit<JobEvent, "seq">,
  ): Promise<MaintenanceJob | undefined> {
    return (await this.updateWithEvent(id, change, eventOf)).job;
  }

  /** As update; also returns the event appended with the change, if any. */
  async updateWithEvent(
    id: string,
    change: (job: MaintenanceJob) => MaintenanceJob | undefined,
    eventOf?: (next: MaintenanceJob) => Omit<JobEvent, "seq">,
  ): Promise<{ job: MaintenanceJob | undefined; event?: JobEvent | undefined }> {
    let current = this.known.get(id);
    for (let attempt = 0; attempt < 50; attempt++) {
      if (!current) {
        const raw = await this.redis.get(this.keys.job(id));
        if (!raw) return { job: undefined };
        const { version, ...job } = JSON.parse(raw) as Stored;
        current = { version, job };
      }
      const { version, job } = current;
      const next = change(structuredClone(job));
      if (!next) return { job };
      const [written, text] = (await evalScript(
        this.redis,
        CAS,
        3,
        this.keys.job(id),
        this.keys.events(id),
        this.keys.eventSeq(id),
        String(version),
        JSON.stringify({ ...next, version: version + 1 }),
        eventOf ? JSON.stringify(eventOf(next)) : "",
        String(this.maxEvents),
      )) as [number, string | undefined];
      if (written === 1) {
        this.remember(id, version + 1, next);
        if (TERMINAL.has(next.state) && !TERMINAL.has(job.state)) await this.expireFinished(id);
        return { job: next, event: text ? (JSON.parse(text) as JobEvent) : undefined };
      }
      if (written === -1) {
        this.known.delete(id);
        return { job: undefined };
      }
      current = undefined;
    }
    throw new ConcurrentJobUpdateError(`job ${id} kept changing while it was being updated`);
  }

  async appendEvent(id: string, event: Omit<JobEvent, "seq">): Promise<JobEvent> {
    const text = (await evalScript(
      this.redis,
      APPEND_EVENT,
      2,
      this.keys.events(id),
      this.keys.eventSeq(id),
      JSON.stringify(event),
      String(this.maxEvents),
    )) as string;
    return JSON.parse(text) as JobEvent;
  }

  /** Events after sequence number `after` (0: from the first kept). */
  async events(id: string, after = 0, count = 500): Promise<JobEvent[]> {
    const entries = await this.redis.xrange(this.keys.events(id), `(0-${after}`, "+", "COUNT", count);
    return entries.map(([, fields]) => JSON.parse(fields[1] ?? "{}") as JobEvent);
  }

  /** Newest first; a cluster and states narrow it. Reads at most `scan` of the newest jobs. */
  async list(
    filter: { cluster?: string | undefined; states?: MaintenanceState[] | undefined; limit: number },
    scan = 2_000,
  ): Promise<MaintenanceJob[]> {
    const ids = await this.redis.zrevrange(this.keys.jobs, 0, scan - 1);
    const jobs: MaintenanceJob[] = [];
    const gone: string[] = [];
    for (let i = 0; i < ids.length && jobs.length < filter.limit; i += 100) {
      const slice = ids.slice(i, i + 100);
      const raws = slice.length ? await this.redis.mget(slice.map((id) => this.keys.job(id))) : [];
      raws.forEach((raw, j) => {
        if (!raw) {
          gone.push(slice[j] as string);
          return;
        }
        const { version: _, ...job } = JSON.parse(raw) as Stored;
        if (filter.cluster && job.cluster !== filter.cluster) return;
        if (filter.states && !filter.states.includes(job.state)) return;
        if (jobs.length < filter.limit) jobs.push(job);
      });
    }
    if (gone.length) await this.redis.zrem(this.keys.jobs, ...gone);
    return jobs;
  }

  /** Unfinished jobs (to resume or re-queue after a restart). */
  async unfinished(): Promise<MaintenanceJob[]> {
    const all = await this.list({ limit: 100_000 }, 100_000);
    return all.filter((j) => !TERMINAL.has(j.state));
  }

  /** A finished job and its events are kept for the retention time; the index keeps the newest `count`. */
  private async expireFinished(id: string): Promise<void> {
    const ttl = this.retention.seconds;
    await this.redis
      .multi()
      .expire(this.keys.job(id), ttl)
      .expire(this.keys.events(id), ttl)
      .expire(this.keys.eventSeq(id), ttl)
      .exec();
    const total = await this.redis.zcard(this.keys.jobs);
    if (total <= this.retention.count) return;
    const oldest = await this.redis.zrange(this.keys.jobs, "0", String(total - this.retention.count - 1));
    const raws = oldest.length ? await this.redis.mget(oldest.map((o) => this.keys.job(o))) : [];
    const finished = oldest.filter((_, i) => {
      const raw = raws[i];
      return !raw || TERMINAL.has((JSON.parse(raw) as Stored).state);
    });
    if (finished.length === 0) return;
    const pipeline = this.redis.multi().zrem(this.keys.jobs, ...finished);
    for (const old of finished) pipeline.del(this.keys.job(old), this.keys.events(old), this.keys.eventSeq(old));
    await pipeline.exec();
  }

  // Maintenance marks: what a finished drain left out, so that undrain can restore it.

  async setMark(cluster: string, key: string, mark: MaintenanceMark): Promise<void> {
    await this.redis.hset(this.keys.marks(cluster), key, JSON.stringify(mark));
  }

  async marks(cluster: string): Promise<Map<string, MaintenanceMark>> {
    const all = await this.redis.hgetall(this.keys.marks(cluster));
    return new Map(Object.entries(all).map(([k, v]) => [k, JSON.parse(v) as MaintenanceMark]));
  }

  async clearMark(cluster: string, key: string): Promise<void> {
    await this.redis.hdel(this.keys.marks(cluster), key);
  }

  // Cron schedules.

  async putSchedule(schedule: Schedule): Promise<void> {
    await this.redis.hset(this.keys.schedules, schedule.id, JSON.stringify(schedule));
  }

  async schedules(): Promise<Schedule[]> {
    const all = await this.redis.hgetall(this.keys.schedules);
    return Object.values(all)
      .map((v) => JSON.parse(v) as Schedule)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async schedule(id: string): Promise<Schedule | undefined> {
    const raw = await this.redis.hget(this.keys.schedules, id);
    return raw ? (JSON.parse(raw) as Schedule) : undefined;
  }

  async deleteSchedule(id: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.schedules, id)) > 0;
  }
}

/** A real server a job left out of service on purpose (a finished drain, a server that stayed unhealthy). */
export interface MaintenanceMark {
  job: string;
  since: number;
  /** The weight to restore. */
  weight: number;
  /** The spec entry, when the drain removed it from the spec. */
  removed?: { entry: import("@lvsfleet/model").RealServer; index: number } | undefined;
  reason: string;
}
