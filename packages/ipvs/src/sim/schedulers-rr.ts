import type { SchedulerState, SimDestination, SimService } from "./types.ts";

/**
 * Round robin and weighted round robin, as net/netfilter/ipvs/ip_vs_rr.c and ip_vs_wrr.c.
 * The kernel keeps destinations in a list where a newly added one goes first (list_add_rcu at
 * the head), and both schedulers walk that list from a cursor; "null" is the list head.
 */

const usable = (d: SimDestination) => !d.overloaded && d.weight > 0;

/** ip_vs_rr.c: the next usable destination after the cursor, wrapping once. */
export function roundRobin(): SchedulerState & { cursor: SimDestination | null } {
  return {
    cursor: null,
    schedule(service) {
      const list = service.destinations;
      const last = this.cursor;
      const start = last ? list.indexOf(last) : -1;
      const hit = (d: SimDestination) => {
        this.cursor = d;
        return d;
      };
      for (let i = start + 1; i < list.length; i++) if (usable(list[i]!)) return hit(list[i]!);
      if (last === null) return undefined;
      for (const d of list) {
        if (usable(d)) return hit(d);
        if (d === last) return undefined;
      }
      return undefined;
    },
    destinationsChanged(_service, change, destination, formerIndex) {
      // ip_vs_rr_del_dest: a cursor on the removed entry moves to the entry before it
      if (change === "delete" && this.cursor === destination)
        this.cursor = formerIndex && formerIndex > 0 ? (_service.destinations[formerIndex - 1] ?? null) : null;
    },
  };
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

interface WrrMark {
  cl: SimDestination | null;
  cw: number;
  mw: number;
  di: number;
}

function gcdWeight(service: SimService): number {
  let g = 0;
  for (const d of service.destinations) if (d.weight > 0) g = g > 0 ? gcd(d.weight, g) : d.weight;
  return g || 1;
}

const maxWeight = (service: SimService) => service.destinations.reduce((m, d) => Math.max(m, d.weight), 0);

/** ip_vs_wrr.c, including its cursor reset on every table change and the "last pass" rules. */
export function weightedRoundRobin(service: SimService): SchedulerState & { mark: WrrMark } {
  const di = gcdWeight(service);
  const mw = maxWeight(service) - (di - 1);
  return {
    mark: { cl: null, di, mw, cw: mw },
    schedule(svc) {
      const mark = this.mark;
      const list = svc.destinations;
      let dest: SimDestination | null = mark.cl;
      if (mark.mw === 0) return undefined;
      const last = dest;
      let stop: SimDestination | null = null;
      let lastPass = false;
      let restarted = false;
      for (;;) {
        const from = dest ? list.indexOf(dest) + 1 : 0;
        for (let i = from; i < list.length; i++) {
          dest = list[i]!;
          if (!dest.overloaded && dest.weight >= mark.cw) {
            mark.cl = dest;
            return dest;
          }
          if (dest === stop) {
            mark.cl = dest;
            return undefined;
          }
        }
        dest = null;
        mark.cw -= mark.di;
        if (mark.cw <= 0) {
          mark.cw = mark.mw;
          if (lastPass || last === null) {
            mark.cl = null;
            return undefined;
          }
          restarted = true;
        }
        lastPass = mark.cw <= mark.di;
        if (lastPass && restarted && last !== null) stop = last;
      }
    },
    destinationsChanged(svc) {
      const mark = this.mark;
      mark.cl = null;
      mark.di = gcdWeight(svc);
      mark.mw = maxWeight(svc) - (mark.di - 1);
      if (mark.cw > mark.mw || !mark.cw) mark.cw = mark.mw;
      else if (mark.di > 1) mark.cw = Math.trunc(mark.cw / mark.di) * mark.di + 1;
    },
  };
}
