/**
 * How the supervisor opens agent streams when many are due at once (a start, a restart, a replica
 * taking the supervisor lease over): at most `concurrency` attaches in flight, and, beyond the first
 * `concurrency`, each waiting a random delay so that a thousand agents are not dialled in one burst
 * (and several replicas or restarts do not fall into step).
 */
export interface AttachPacing {
  /** At most this many attaches in flight: a stream opened and neither its first event nor its end seen yet. */
  concurrency: number;
  /** An attach queued while `concurrency` others wait or are in flight starts after a random delay in [0, jitterMs). */
  jitterMs: number;
}

/** The server's defaults (LVSFLEET_SUPERVISOR_ATTACH_CONCURRENCY, LVSFLEET_SUPERVISOR_ATTACH_JITTER_MS). */
export const DEFAULT_ATTACH_PACING: AttachPacing = { concurrency: 32, jitterMs: 1_000 };

/** No pacing: every stream opened at once (in-process tests). */
export const UNPACED: AttachPacing = { concurrency: Number.POSITIVE_INFINITY, jitterMs: 0 };

/**
 * The pacing plan, without timers or I/O: which queued attaches may start now and when to look
 * again. Times are whatever clock the caller passes (monotonic milliseconds); `random` returns
 * numbers in [0, 1). The caller opens what `take` returns and calls `settled` once per attach.
 */
export class AttachPacer<K> {
  /** Waiting attaches, earliest first. */
  private readonly waiting: { key: K; readyAt: number }[] = [];
  private readonly queued = new Set<K>();
  private readonly inFlight = new Set<K>();

  constructor(
    private readonly pacing: AttachPacing,
    private readonly random: () => number = Math.random,
  ) {
    if (!(pacing.concurrency >= 1)) throw new RangeError("concurrency must be at least 1");
    if (!(pacing.jitterMs >= 0)) throw new RangeError("jitterMs must be at least 0");
  }

  /**
   * Queues an attach (once: a key already waiting or in flight is left as it is). While fewer than
   * `concurrency` attaches wait or are in flight it is ready at once; otherwise after a random delay.
   */
  add(key: K, now: number): void {
    if (this.inFlight.has(key) || this.queued.has(key)) return;
    this.queued.add(key);
    const crowded = this.waiting.length + this.inFlight.size >= this.pacing.concurrency;
    const readyAt = now + (crowded ? this.random() * this.pacing.jitterMs : 0);
    // insertion in order (stable: equal times keep their arrival order)
    let low = 0;
    let high = this.waiting.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((this.waiting[mid] as { readyAt: number }).readyAt <= readyAt) low = mid + 1;
      else high = mid;
    }
    this.waiting.splice(low, 0, { key, readyAt });
  }

  /** The attaches to start now (ready, within the free slots), now counted in flight. */
  take(now: number): K[] {
    const started: K[] = [];
    while (this.inFlight.size < this.pacing.concurrency) {
      const first = this.waiting[0];
      if (!first || first.readyAt > now) break;
      this.waiting.shift();
      this.queued.delete(first.key);
      this.inFlight.add(first.key);
      started.push(first.key);
    }
    return started;
  }

  /** An attach is over (its first event, its end, or given up): its slot is free. */
  settled(key: K): void {
    this.inFlight.delete(key);
  }

  /** Forgets an attach, waiting or in flight (the agent is no longer watched). */
  remove(key: K): void {
    this.inFlight.delete(key);
    if (!this.queued.delete(key)) return;
    const i = this.waiting.findIndex((w) => w.key === key);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /** Forgets everything (the supervisor stops). */
  clear(): void {
    this.inFlight.clear();
    this.queued.clear();
    this.waiting.length = 0;
  }

  /**
   * When `take` may next return something without a `settled` first: the earliest waiting time if a
   * slot is free; undefined when nothing waits or every slot is taken (a settle frees one).
   */
  nextAt(): number | undefined {
    if (this.inFlight.size >= this.pacing.concurrency) return undefined;
    return this.waiting[0]?.readyAt;
  }

  get pending(): { waiting: number; inFlight: number } {
    return { waiting: this.waiting.length, inFlight: this.inFlight.size };
  }
}
