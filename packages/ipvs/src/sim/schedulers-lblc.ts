import { connOverhead } from "./schedulers-lc.ts";
import type { SchedulerState, SimDestination, SimService } from "./types.ts";

/**
 * Locality-based least connection, ip_vs_lblc.c and ip_vs_lblcr.c: a cache from destination
 * (virtual) address to a real server (lblc) or a set of them (lblcr), filled by a wlc-like pick.
 * Entries unused for `expiration` (sysctl lblc_expiration / lblcr_expiration, 24 h by default)
 * go at the full check, every 30th run of the 60-second timer.
 */

const CHECK_EXPIRE_INTERVAL = 60_000;
const COUNT_FOR_FULL_EXPIRATION = 30;

/** __ip_vs_lblc_schedule / __ip_vs_lblcr_schedule: wlc without the weight-0 skip in stage two. */
function leastLoaded(service: SimService): SimDestination | undefined {
  const list = service.destinations;
  let i = list.findIndex((d) => !d.overloaded && d.weight > 0);
  if (i < 0) return undefined;
  let least = list[i]!;
  let loh = connOverhead(least);
  for (i++; i < list.length; i++) {
    const d = list[i]!;
    if (d.overloaded) continue;
    const doh = connOverhead(d);
    if (loh * d.weight > doh * least.weight) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

/** is_overloaded of lblc/lblcr: more active connections than weight while some server is under half. */
function localityOverloaded(dest: SimDestination, service: SimService): boolean {
  if (dest.activeConns <= dest.weight) return false;
  return service.destinations.some((d) => d.activeConns * 2 < d.weight);
}

interface Entry<T> {
  value: T;
  lastuse: number;
}

/** The periodic timer of both: counter, full check every 30 runs (size-based early eviction not modelled). */
function expiryTimer<T>(table: Map<string, Entry<T>>, expiration: () => number) {
  let counter = 1;
  return (now: number) => {
    if (counter % COUNT_FOR_FULL_EXPIRATION === 0) {
      for (const [key, entry] of table) if (now >= entry.lastuse + expiration()) table.delete(key);
      counter = 1;
    } else counter++;
    return now + CHECK_EXPIRE_INTERVAL;
  };
}

export function localityLeastConnection(
  now: number,
  expiration: () => number,
): SchedulerState & { table: Map<string, Entry<SimDestination>> } {
  const table = new Map<string, Entry<SimDestination>>();
  const tick = expiryTimer(table, expiration);
  return {
    table,
    timerDue: now + CHECK_EXPIRE_INTERVAL,
    timer: (_service, at) => tick(at),
    schedule(service, packet, at) {
      const entry = table.get(packet.virtualAddress);
      if (entry) {
        entry.lastuse = at;
        const d = entry.value;
        if (d.available && d.weight > 0 && !localityOverloaded(d, service)) return d;
      }
      const dest = leastLoaded(service);
      if (!dest) return undefined;
      if (entry) entry.value = dest;
      else table.set(packet.virtualAddress, { value: dest, lastuse: at });
      return dest;
    },
  };
}

/** An lblcr server set: newest first, with the time of its last change. */
interface DestSet {
  members: SimDestination[];
  lastmod: number;
}

/** ip_vs_dest_set_min: weighted least loaded available member. */
function setMin(set: DestSet): SimDestination | undefined {
  const list = set.members;
  let i = list.findIndex((d) => !d.overloaded && d.weight > 0 && d.available);
  if (i < 0) return undefined;
  let least = list[i]!;
  let loh = connOverhead(least);
  for (i++; i < list.length; i++) {
    const d = list[i]!;
    if (d.overloaded) continue;
    const doh = connOverhead(d);
    if (loh * d.weight > doh * least.weight && d.available) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

/** ip_vs_dest_set_max: weighted most loaded member (removed when the set is old enough). */
function setMax(set: DestSet): SimDestination | undefined {
  const list = set.members;
  let i = list.findIndex((d) => d.weight > 0);
  if (i < 0) return undefined;
  let most = list[i]!;
  let moh = connOverhead(most);
  for (i++; i < list.length; i++) {
    const d = list[i]!;
    const doh = connOverhead(d);
    if (moh * d.weight < doh * most.weight && d.weight > 0) {
      most = d;
      moh = doh;
    }
  }
  return most;
}

export function localityLeastConnectionReplicated(
  now: number,
  expiration: () => number,
): SchedulerState & { table: Map<string, Entry<DestSet>> } {
  const table = new Map<string, Entry<DestSet>>();
  const tick = expiryTimer(table, expiration);
  return {
    table,
    timerDue: now + CHECK_EXPIRE_INTERVAL,
    timer: (_service, at) => tick(at),
    schedule(service, packet, at) {
      const entry = table.get(packet.virtualAddress);
      if (entry) {
        entry.lastuse = at;
        const set = entry.value;
        let dest = setMin(set);
        if (set.members.length > 1 && at > set.lastmod + expiration()) {
          const m = setMax(set);
          if (m) {
            set.members.splice(set.members.indexOf(m), 1);
            set.lastmod = at;
          }
        }
        if (dest && !localityOverloaded(dest, service)) return dest;
        dest = leastLoaded(service);
        if (!dest) return undefined;
        if (!set.members.includes(dest)) {
          set.members.unshift(dest);
          set.lastmod = at;
        }
        return dest;
      }
      const dest = leastLoaded(service);
      if (!dest) return undefined;
      table.set(packet.virtualAddress, { value: { members: [dest], lastmod: at }, lastuse: at });
      return dest;
    },
  };
}
