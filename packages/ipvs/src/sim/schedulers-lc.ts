import type { SeededRandom } from "./random.ts";
import type { SchedulerState, SimDestination } from "./types.ts";

/**
 * The connection-counting schedulers: lc, wlc, sed, nq (ip_vs_lc.c, ip_vs_wlc.c, ip_vs_sed.c,
 * ip_vs_nq.c), the weight-ordered fo and ovf (ip_vs_fo.c, ip_vs_ovf.c) and twos (ip_vs_twos.c).
 * Ties go to the first destination in list order (the most recently added), because the
 * kernel compares with strict inequalities.
 */

/** include/net/ip_vs.h ip_vs_dest_conn_overhead: active connections cost 256 inactive ones. */
export const connOverhead = (d: SimDestination) => d.activeConns * 256 + d.inactConns;

/** ip_vs_lc.c: the least overhead; weight 0 and overloaded destinations are skipped. */
export const leastConnection = (): SchedulerState => ({
  schedule(service) {
    let least: SimDestination | undefined;
    let loh = 0;
    for (const d of service.destinations) {
      if (d.overloaded || d.weight === 0) continue;
      const doh = connOverhead(d);
      if (!least || doh < loh) {
        least = d;
        loh = doh;
      }
    }
    return least;
  },
});

/**
 * ip_vs_wlc.c / ip_vs_sed.c: the least overhead/weight, compared as loh*w > doh*lw. The first
 * stage takes the first usable destination; the second skips only overloaded ones (a weight 0
 * destination can never win the comparison).
 */
function weightedLeast(overhead: (d: SimDestination) => number): SchedulerState {
  return {
    schedule(service) {
      const list = service.destinations;
      let i = list.findIndex((d) => !d.overloaded && d.weight > 0);
      if (i < 0) return undefined;
      let least = list[i]!;
      let loh = overhead(least);
      for (i++; i < list.length; i++) {
        const d = list[i]!;
        if (d.overloaded) continue;
        const doh = overhead(d);
        if (loh * d.weight > doh * least.weight) {
          least = d;
          loh = doh;
        }
      }
      return least;
    },
  };
}

export const weightedLeastConnection = () => weightedLeast(connOverhead);
/** ip_vs_sed.c: shortest expected delay, overhead = active connections + 1. */
export const shortestExpectedDelay = () => weightedLeast((d) => d.activeConns + 1);

/** ip_vs_nq.c: an idle destination at once, otherwise as sed. */
export const neverQueue = (): SchedulerState => ({
  schedule(service) {
    let least: SimDestination | undefined;
    let loh = 0;
    for (const d of service.destinations) {
      if (d.overloaded || !d.weight) continue;
      const doh = d.activeConns + 1;
      if (d.activeConns === 0) return d;
      if (!least || loh * d.weight > doh * least.weight) {
        least = d;
        loh = doh;
      }
    }
    return least;
  },
});

/** ip_vs_fo.c: the usable destination with the highest weight (first one on ties). */
export const weightedFailover = (): SchedulerState => ({
  schedule(service) {
    let best: SimDestination | undefined;
    for (const d of service.destinations)
      if (!d.overloaded && d.weight > 0 && (!best || d.weight > best.weight)) best = d;
    return best;
  },
});

/** ip_vs_ovf.c: the highest weight whose active connections do not exceed its weight. */
export const weightedOverflow = (): SchedulerState => ({
  schedule(service) {
    let best: SimDestination | undefined;
    for (const d of service.destinations) {
      if (d.overloaded || d.activeConns > d.weight || d.weight === 0) continue;
      if (!best || d.weight > best.weight) best = d;
    }
    return best;
  },
});

/** ip_vs_twos.c: two weighted random picks, the lower overhead/weight wins (seeded randomness). */
export const powerOfTwo = (random: SeededRandom): SchedulerState => ({
  schedule(service) {
    let total = 0;
    let any: SimDestination | undefined;
    for (const d of service.destinations)
      if (!d.overloaded && d.weight > 0) {
        total += d.weight;
        any = d;
      }
    if (!any) return undefined;
    total += 1;
    let r1 = random.below(total);
    let r2 = random.below(total);
    let choice1: SimDestination = any;
    let choice2: SimDestination | undefined;
    let w1 = -1;
    let w2 = -1;
    let oh1 = 0;
    let oh2 = 0;
    for (const d of service.destinations) {
      if (d.overloaded || d.weight <= 0) continue;
      r1 -= d.weight;
      r2 -= d.weight;
      if (r1 <= 0 && w1 === -1) {
        choice1 = d;
        w1 = d.weight;
        oh1 = connOverhead(d);
      }
      if (r2 <= 0 && w2 === -1) {
        choice2 = d;
        w2 = d.weight;
        oh2 = connOverhead(d);
      }
      if (w1 !== -1 && w2 !== -1) break;
    }
    if (choice2 && w2 * oh1 > w1 * oh2) return choice2;
    return choice1;
  },
});
