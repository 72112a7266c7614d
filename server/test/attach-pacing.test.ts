import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AttachPacer, DEFAULT_ATTACH_PACING } from "../src/agents/attach-pacing.ts";

/** A seeded random source in [0, 1) (mulberry32): the same plan for the same seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Runs a herd of `n` attaches through a pacer on a simulated clock: each attach takes `attachMs(i)`
 * from its start to its settle. Returns each key's start time and the most in flight at once.
 */
function simulate(
  n: number,
  pacing: { concurrency: number; jitterMs: number },
  attachMs: (key: number) => number,
  random: () => number,
): { starts: Map<number, number>; maxInFlight: number } {
  const pacer = new AttachPacer<number>(pacing, random);
  const starts = new Map<number, number>();
  for (let i = 0; i < n; i++) pacer.add(i, 0);
  const settles: { key: number; at: number }[] = [];
  let now = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  for (let guard = 0; guard < 100 * n + 100; guard++) {
    for (const key of pacer.take(now)) {
      starts.set(key, now);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      settles.push({ key, at: now + attachMs(key) });
    }
    if (starts.size === n && settles.length === 0) break;
    settles.sort((a, b) => a.at - b.at);
    const wake = pacer.nextAt();
    const settle = settles[0];
    if (settle && (wake === undefined || settle.at <= wake)) {
      settles.shift();
      now = Math.max(now, settle.at);
      pacer.settled(settle.key);
      inFlight -= 1;
    } else if (wake !== undefined) now = Math.max(now, wake);
    else break;
  }
  return { starts, maxInFlight };
}

describe("attach pacing: a herd of agent streams opened in slots, spread by jitter", () => {
  it("1,000 attaches with the defaults: never more than 32 in flight, each started once, spread over the jitter", () => {
    const { starts, maxInFlight } = simulate(1_000, DEFAULT_ATTACH_PACING, () => 5, seeded(1));
    expect(starts.size).toBe(1_000);
    expect(maxInFlight).toBe(32);
    const times = [...starts.values()];
    // the first 32 go at once; the rest spread over the jitter window (not one burst)
    expect(times.filter((t) => t === 0).length).toBeGreaterThanOrEqual(32);
    expect(Math.max(...times)).toBeGreaterThan(800);
    expect(Math.max(...times)).toBeLessThan(1_100);
    const perTenth = new Map<number, number>();
    for (const t of times) perTenth.set(Math.floor(t / 100), (perTenth.get(Math.floor(t / 100)) ?? 0) + 1);
    expect(Math.max(...perTenth.values())).toBeLessThan(200);
  });

  it("a few attaches (no more than the slots) start at once, without jitter", () => {
    const pacer = new AttachPacer<string>({ concurrency: 4, jitterMs: 10_000 }, () => 0.99);
    for (const k of ["a", "b", "c"]) pacer.add(k, 100);
    expect(pacer.take(100)).toEqual(["a", "b", "c"]);
    expect(pacer.nextAt()).toBeUndefined();
  });

  it("a slot frees only when its attach settles; a key already queued or in flight is not queued twice", () => {
    const pacer = new AttachPacer<string>({ concurrency: 1, jitterMs: 0 }, () => 0.5);
    pacer.add("a", 0);
    pacer.add("b", 0);
    pacer.add("a", 0);
    expect(pacer.take(0)).toEqual(["a"]);
    pacer.add("a", 0);
    expect(pacer.take(1_000)).toEqual([]);
    expect(pacer.nextAt()).toBeUndefined();
    pacer.settled("a");
    expect(pacer.take(0)).toEqual(["b"]);
    expect(pacer.pending).toEqual({ waiting: 0, inFlight: 1 });
  });

  it("a removed attach never starts and frees its slot; clear() forgets everything", () => {
    const pacer = new AttachPacer<string>({ concurrency: 1, jitterMs: 0 });
    pacer.add("a", 0);
    pacer.add("b", 0);
    pacer.add("c", 0);
    expect(pacer.take(0)).toEqual(["a"]);
    pacer.remove("b");
    pacer.remove("a");
    expect(pacer.take(0)).toEqual(["c"]);
    pacer.clear();
    expect(pacer.pending).toEqual({ waiting: 0, inFlight: 0 });
    expect(pacer.take(0)).toEqual([]);
  });

  it("refuses a pacing without a slot or with a negative jitter", () => {
    expect(() => new AttachPacer({ concurrency: 0, jitterMs: 0 })).toThrow("concurrency must be at least 1");
    expect(() => new AttachPacer({ concurrency: 1, jitterMs: -1 })).toThrow("jitterMs must be at least 0");
  });

  it("property: at most K in flight, every attach started exactly once, none before it was queued, none later than its jitter plus the queue ahead", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 2_000 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 50 }),
        fc.integer(),
        (n, concurrency, jitterMs, durations, seed) => {
          const attachMs = (key: number) => durations[key % durations.length] as number;
          const { starts, maxInFlight } = simulate(n, { concurrency, jitterMs }, attachMs, seeded(seed));
          expect(starts.size).toBe(n);
          expect(maxInFlight).toBeLessThanOrEqual(concurrency);
          const longest = Math.max(...durations);
          for (const t of starts.values()) {
            expect(t).toBeGreaterThanOrEqual(0);
            // a start waits at most its jitter, then for the attaches queued ahead of it in their slots
            expect(t).toBeLessThanOrEqual(jitterMs + Math.ceil(n / concurrency) * longest);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("property: the jitter of a crowded attach lies in [0, jitterMs)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 2, max: 200 }),
        fc.integer(),
        (jitterMs, n, seed) => {
          const pacer = new AttachPacer<number>({ concurrency: 1, jitterMs }, seeded(seed));
          for (let i = 0; i < n; i++) pacer.add(i, 1_000);
          // the first is ready at once; every other one at a time in [1000, 1000 + jitterMs)
          expect(pacer.take(1_000)).toEqual([0]);
          pacer.settled(0);
          for (let i = 1; i < n; i++) {
            const at = pacer.nextAt() as number;
            expect(at).toBeGreaterThanOrEqual(1_000);
            expect(at).toBeLessThan(1_000 + jitterMs);
            const [key] = pacer.take(at);
            pacer.settled(key as number);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
