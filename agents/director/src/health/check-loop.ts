import { setTimeout as sleep } from "node:timers/promises";
import type { CheckPolicy } from "./policy.ts";
import type { ProbeResult, Prober, ProbeSubject } from "./probe.ts";

/** One round: its last attempt's result, and how many attempts it took. */
export interface RoundResult extends ProbeResult {
  attempts: number;
  /** When the round ended (ms since the epoch). */
  at: number;
}

/**
 * Runs one check of one real server, keepalived style: a round every interval (the first after a
 * random warmup), each round one attempt plus up to `retries` more `retryDelayMs` apart while the
 * server is up. Rounds never overlap (a long round delays the next one) and every attempt is cut at
 * the check's timeout, which is never more than its interval. Each check has its own timers, so
 * checks run concurrently and a slow one never holds up another.
 */
export class CheckLoop {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly policy: CheckPolicy,
    private readonly subject: ProbeSubject,
    private readonly prober: Prober,
    private readonly isUp: () => boolean,
    private readonly onRound: (result: RoundResult) => void,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    this.schedule(Math.floor(this.random() * this.policy.timing.warmupMs));
  }

  stop(): void {
    this.controller.abort();
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.controller.signal.aborted) return;
    this.timer = setTimeout(() => void this.round(), Math.max(0, delayMs));
    this.timer.unref();
  }

  private async round(): Promise<void> {
    const { timing } = this.policy;
    const signal = this.controller.signal;
    const started = Date.now();
    let attempts = 0;
    let result: ProbeResult;
    for (;;) {
      attempts++;
      result = await this.attempt();
      if (signal.aborted) return;
      if (result.ok || attempts > timing.retries || !this.isUp()) break;
      try {
        await sleep(timing.retryDelayMs, undefined, { signal, ref: false });
      } catch {
        return;
      }
    }
    this.onRound({ ...result, attempts, at: Date.now() });
    this.schedule(started + timing.intervalMs - Date.now());
  }

  /** One attempt, held to the timeout even if a prober forgets it. */
  private attempt(): Promise<ProbeResult> {
    const { timeoutMs } = this.policy.timing;
    const signal = this.controller.signal;
    let guard: NodeJS.Timeout | undefined;
    const late = new Promise<ProbeResult>((resolve) => {
      guard = setTimeout(
        () => resolve({ ok: false, detail: `no result within ${timeoutMs} ms`, ms: timeoutMs }),
        timeoutMs + 50,
      );
    });
    const probe = this.prober(this.policy, this.subject, { timeoutMs, signal }).catch(
      (error: unknown): ProbeResult => ({ ok: false, detail: `checker failed: ${(error as Error).message}`, ms: 0 }),
    );
    return Promise.race([probe, late]).finally(() => clearTimeout(guard));
  }
}
