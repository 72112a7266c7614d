import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { DELETE_IF_HELD, defineScript, evalScript, RENEW_IF_HELD } from "../maintenance/scripts.ts";

/**
 * The supervisor lease: one replica at a time holds it and does the fleet-wide work (agent
 * supervision, fleet health, re-sync, the chat webhook). The approach of the maintenance lock
 * (maintenance/lock.ts): the lease key holds `<replica> <token>` with a TTL, and every take issues a
 * new fencing token from a counter (INCR), so a holder that stalled and was taken over is refused at
 * its next fenced write even before it notices (`fencedXadd`). A take succeeds when nobody holds the lease, or when
 * the holder has this replica's own id (a previous run of the same replica that died holding it) and
 * this process holds the id's claim (replica-presence.ts): a twin with the same id that lost the
 * claim (paused, then another process took the id) never takes the lease back from the claim's holder.
 */
const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current then
  local holder = string.match(current, '^(%S+)')
  if holder ~= ARGV[1] then return {0, holder} end
  if ARGV[3] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[3] then return {0, holder} end
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return {1, tostring(token)}
`;

/** A write only the holder may make: appended to the stream only while `<replica> <token>` still holds the lease. */
const FENCED_XADD = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', ARGV[3], ARGV[4])
`;

/** A hash field set (ARGV[3] given) or deleted only while `<replica> <token>` still holds the lease. */
const FENCED_HASH = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] then redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) else redis.call('HDEL', KEYS[2], ARGV[2]) end
return 1
`;

const HOLDS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
return 0
`;

/** What the holder does with the lease: start the fleet-wide work on gaining it, stop it at once on losing it. */
export interface LeaseListener {
  gained(token: number): void | Promise<void>;
  lost(reason: string): void;
}

export interface SupervisorLeaseOptions {
  /** The lease key (`<prefix>:supervisor:lease`) and its fencing counter (`<prefix>:supervisor:fence`). */
  key: string;
  fenceKey: string;
  /** This replica's id (LVSFLEET_REPLICA_ID). */
  replica: string;
  /** The lease's time to live; it is renewed every third of it. */
  ttlMs: number;
  /** This process's claim on its replica id (replica-presence.ts): its key and this process's instance. */
  presence?: { key: string; instance: string } | undefined;
  log: Logger;
}

/** What /v1/health and /metrics show of the lease on this replica. */
export interface LeaseView {
  readonly replica: string;
  readonly holding: boolean;
  /** Times this replica gained and lost the lease since it started. */
  readonly gains: number;
  readonly losses: number;
}

/**
 * The lease as one replica sees it. Every third of the TTL it renews the lease it holds, or tries
 * to take it. It counts as lost when a renewal is refused (somebody else holds it) or when no
 * renewal succeeded within the TTL since the last good one was sent (Redis unreachable, a partition, a stalled
 * process): the listener's `lost` is called at once, before Redis has even let the key expire.
 */
export class SupervisorLease implements LeaseView {
  private token: number | undefined;
  private validUntil = 0;
  private ticker: NodeJS.Timeout | undefined;
  private expiry: NodeJS.Timeout | undefined;
  private busy = false;
  private closed = false;
  private listener: LeaseListener | undefined;
  gains = 0;
  losses = 0;

  constructor(
    private readonly redis: Redis,
    private readonly options: SupervisorLeaseOptions,
  ) {
    for (const [lua, keys] of [
      [ACQUIRE, 3],
      [RENEW_IF_HELD, 1],
      [DELETE_IF_HELD, 1],
      [FENCED_XADD, 2],
      [FENCED_HASH, 2],
      [HOLDS, 1],
    ] as const)
      defineScript(redis, lua, keys);
  }

  get replica(): string {
    return this.options.replica;
  }

  get holding(): boolean {
    return this.token !== undefined;
  }

  /** The fencing token while this replica holds the lease. */
  get fencingToken(): number | undefined {
    return this.token;
  }

  private value(token: number): string {
    return `${this.options.replica} ${token}`;
  }

  /** Tries to take the lease now, then keeps renewing it (or trying to take it) every third of the TTL. */
  async start(listener: LeaseListener): Promise<void> {
    this.listener = listener;
    await this.tick();
    if (this.closed) return;
    this.ticker = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.options.ttlMs / 3)));
  }

  /** One round: renew the lease held, or try to take it. A round still waiting for Redis is not doubled. */
  async tick(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    try {
      if (this.token !== undefined) await this.renew(this.token);
      else await this.acquire();
    } catch (error) {
      // Redis unreachable: the lease held runs out at validUntil (the expiry timer); taking it waits for the next round.
      this.options.log.warn({ err: (error as Error).message }, "supervisor lease: Redis did not answer");
    } finally {
      this.busy = false;
    }
  }

  private async acquire(): Promise<void> {
    const sentAt = performance.now();
    const presence = this.options.presence;
    const [ok, value] = (await evalScript(
      this.redis,
      ACQUIRE,
      3,
      this.options.key,
      this.options.fenceKey,
      presence?.key ?? `${this.options.key}:no-presence`,
      this.options.replica,
      String(this.options.ttlMs),
      presence?.instance ?? "",
    )) as [number, string | null];
    if (ok !== 1) return;
    const token = Number(value);
    if (this.closed) {
      await evalScript(this.redis, DELETE_IF_HELD, 1, this.options.key, this.value(token));
      return;
    }
    this.token = token;
    this.gains += 1;
    this.extend(sentAt);
    this.options.log.info(
      { replica: this.options.replica, token },
      "supervisor lease gained: this replica supervises the fleet",
    );
    await this.listener?.gained(token);
  }

  private async renew(token: number): Promise<void> {
    const sentAt = performance.now();
    const ok =
      (await evalScript(
        this.redis,
        RENEW_IF_HELD,
        1,
        this.options.key,
        this.value(token),
        String(this.options.ttlMs),
      )) === 1;
    if (this.token !== token) return;
    if (ok) this.extend(sentAt);
    else this.lose(token, "another replica holds the lease");
  }

  /**
   * The lease is good until the TTL after the last successful renewal was sent (Redis's clock starts
   * later). Monotonic time: a wall clock stepped back (NTP, a resumed VM) must not stretch it.
   */
  private extend(sentAt: number): void {
    this.validUntil = sentAt + this.options.ttlMs;
    this.armExpiry();
  }

  private armExpiry(): void {
    clearTimeout(this.expiry);
    const token = this.token;
    if (token === undefined) return;
    this.expiry = setTimeout(
      () => {
        if (this.token !== token) return;
        if (performance.now() >= this.validUntil) this.lose(token, `no renewal within ${this.options.ttlMs} ms`);
        else this.armExpiry(); // woken early: wait for the rest
      },
      Math.max(0, this.validUntil - performance.now()),
    );
  }

  private lose(token: number, reason: string): void {
    if (this.token !== token) return;
    this.token = undefined;
    clearTimeout(this.expiry);
    this.losses += 1;
    this.options.log.warn(
      { replica: this.options.replica, token, reason },
      "supervisor lease lost: fleet-wide work stops",
    );
    this.listener?.lost(reason);
  }

  /**
   * A stream append only the holder may make: done in one script with the check, so a replica
   * that lost the lease (even without knowing yet) writes nothing. The entry's id, or undefined when refused.
   */
  async fencedXadd(stream: string, maxLength: number, field: string, value: string): Promise<string | undefined> {
    const token = this.token;
    if (token === undefined) return undefined;
    const id = await evalScript(
      this.redis,
      FENCED_XADD,
      2,
      this.options.key,
      stream,
      this.value(token),
      String(maxLength),
      field,
      value,
    );
    return typeof id === "string" ? id : undefined;
  }

  /** A hash field written only by the holder (liveness, last states, alerts): false when refused. */
  fencedHset(hash: string, field: string, value: string): Promise<boolean> {
    return this.fencedHash(hash, field, value);
  }

  /** A hash field deleted only by the holder: false when refused. */
  fencedHdel(hash: string, field: string): Promise<boolean> {
    return this.fencedHash(hash, field);
  }

  private async fencedHash(hash: string, field: string, value?: string): Promise<boolean> {
    const token = this.token;
    if (token === undefined) return false;
    const args = [this.options.key, hash, this.value(token), field, ...(value === undefined ? [] : [value])];
    return (await evalScript(this.redis, FENCED_HASH, 2, ...args)) === 1;
  }

  /** Whether this replica still holds the lease, as Redis sees it now (before a side effect outside Redis). */
  async confirm(): Promise<boolean> {
    const token = this.token;
    if (token === undefined) return false;
    return (await evalScript(this.redis, HOLDS, 1, this.options.key, this.value(token))) === 1;
  }

  /** Stops renewing; a lease held is given up (the listener hears it lost first), so another replica takes over at once. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.ticker);
    const token = this.token;
    if (token === undefined) return;
    this.lose(token, "shutting down");
    await evalScript(this.redis, DELETE_IF_HELD, 1, this.options.key, this.value(token)).catch(() => undefined);
  }
}
