import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventQueue } from "../src/sim/event-queue.ts";

/**
 * The timing wheel must hand events out exactly as one heap ordered by (time, insertion) would:
 * the simulator's determinism (and every recorded vector) rests on that order.
 */
describe("EventQueue (two-level timing wheel)", () => {
  /** Runs a script of pushes and clock advances, pushing more events from inside handlers; returns the firing order. */
  function run(
    start: number,
    steps: { pushes: { delay: number; spawn: number }[]; advance: number }[],
  ): { fired: number[]; expected: number[] } {
    const queue = new EventQueue(start);
    let now = start;
    let id = 0;
    const pending: { at: number; seq: number; id: number; spawn: number }[] = [];
    const push = (at: number, spawn: number) => {
      const event = { at, seq: id, id: id++, spawn };
      pending.push(event);
      queue.push(at, 0, event, spawn);
    };
    const fired: number[] = [];
    const expected: number[] = [];
    for (const step of steps) {
      for (const p of step.pushes) push(now + p.delay, p.spawn);
      const limit = now + step.advance;
      for (;;) {
        // the reference: the smallest (at, seq) among the pending ones, if due
        pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const due = pending[0] && pending[0].at <= limit ? pending.shift()! : undefined;
        const event = queue.next(limit);
        expect(event === undefined).toBe(due === undefined);
        if (!event || !due) break;
        const target = event.target as { id: number; spawn: number };
        fired.push(target.id);
        expected.push(due.id);
        now = event.at;
        // a handler that schedules more: at the same instant, soon, or far away
        if (target.spawn > 0)
          push(now + [0, 0.5, 3, 1500, 70_000, 400_000, 2_000_000][target.spawn % 7]!, target.spawn - 1);
        queue.recycle(event);
      }
      now = limit;
    }
    return { fired, expected };
  }

  it("fires in (time, insertion) order, whatever the delays (same instant, fine, coarse, beyond the wheels)", () => {
    const delay = fc.oneof(
      fc.constantFrom(0, 1, 2, 2047, 2048, 4096, 523_999, 524_288, 1_000_000),
      fc.double({ min: 0, max: 10, noNaN: true }),
      fc.double({ min: 0, max: 5_000, noNaN: true }),
      fc.double({ min: 0, max: 2_000_000, noNaN: true }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1_700_000_000_123.25, 5),
        fc.array(
          fc.record({
            pushes: fc.array(fc.record({ delay, spawn: fc.nat(3) }), { maxLength: 20 }),
            advance: fc.oneof(fc.constantFrom(0, 1, 1000, 3_600_000), fc.double({ min: 0, max: 100_000, noNaN: true })),
          }),
          { maxLength: 12 },
        ),
        (start, steps) => {
          const { fired, expected } = run(start, steps);
          expect(fired).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps nothing due later than asked, and finds events after a long idle jump", () => {
    const queue = new EventQueue(0);
    queue.push(86_400_000, 1, "a day later");
    queue.push(5, 1, "soon");
    expect(queue.next(4)).toBeUndefined();
    expect(queue.next(5)?.target).toBe("soon");
    expect(queue.next(86_399_999)).toBeUndefined();
    expect(queue.size).toBe(1);
    expect(queue.next(86_400_000)?.target).toBe("a day later");
    expect(queue.size).toBe(0);
  });
});
