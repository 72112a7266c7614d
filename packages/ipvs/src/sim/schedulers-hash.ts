import { foldAddress, hash32, hsiphash32, type Key64, key64 } from "./hash.ts";
import type { FirstPacket, SchedulerState, SimDestination, SimService } from "./types.ts";

/**
 * The hashing schedulers: sh and dh (ip_vs_sh.c, ip_vs_dh.c: 256-bucket tables filled in list
 * order, sh by weight) and mh (ip_vs_mh.c: Maglev lookup table of 4093 entries, hsiphash).
 */

const SH_BITS = 8;
const SH_SIZE = 1 << SH_BITS;
const DH_SIZE = 256;

const unavailable = (d: SimDestination) => d.weight <= 0 || d.overloaded;

/** ip_vs_sh_reassign: each destination takes `weight` consecutive buckets (at least one). */
function shBuckets(service: SimService): (SimDestination | undefined)[] {
  const list = service.destinations;
  const buckets: (SimDestination | undefined)[] = new Array(SH_SIZE).fill(undefined);
  if (list.length === 0) return buckets;
  let p = 0;
  let count = 0;
  for (let i = 0; i < SH_SIZE; i++) {
    if (p === list.length) p = 0;
    const d = list[p]!;
    buckets[i] = d;
    if (++count >= d.weight) {
      p++;
      count = 0;
    }
  }
  return buckets;
}

const shKey = (address: string, port: number, offset: number) =>
  (offset + hash32((port + foldAddress(address)) >>> 0, SH_BITS)) % SH_SIZE;

/** ip_vs_sh.c with the sh-port and sh-fallback flags. */
export function sourceHashing(service: SimService): SchedulerState & { buckets: (SimDestination | undefined)[] } {
  return {
    buckets: shBuckets(service),
    schedule(svc, packet: FirstPacket) {
      const port = svc.config.schedulerFlags.includes("sh-port") ? packet.clientPort : 0;
      const home = shKey(packet.client, port, 0);
      const dest = this.buckets[home];
      if (!svc.config.schedulerFlags.includes("sh-fallback")) return !dest || unavailable(dest) ? undefined : dest;
      if (!dest) return undefined;
      if (!unavailable(dest)) return dest;
      for (let offset = 0; offset < SH_SIZE; offset++) {
        const d = this.buckets[shKey(packet.client, port, (offset + home) % SH_SIZE)];
        if (!d) return undefined;
        if (!unavailable(d)) return d;
      }
      return undefined;
    },
    destinationsChanged(svc) {
      this.buckets = shBuckets(svc);
    },
  };
}

/** ip_vs_dh_reassign: buckets cycle through the list, one each, weights ignored. */
function dhBuckets(service: SimService): (SimDestination | undefined)[] {
  const list = service.destinations;
  return Array.from({ length: DH_SIZE }, (_, i) => (list.length ? list[i % list.length] : undefined));
}

/**
 * ip_vs_dh.c: hashes the destination (virtual) address with hash_32(addr, 8). (Kernels before
 * the hash_32 conversion used (addr * 2654435761) & 255; Debian's 6.1 kernel, in the guest,
 * schedules as hash_32 does.)
 */
export function destinationHashing(service: SimService): SchedulerState & { buckets: (SimDestination | undefined)[] } {
  return {
    buckets: dhBuckets(service),
    schedule(_svc, packet) {
      const dest = this.buckets[hash32(foldAddress(packet.virtualAddress), 8)];
      if (!dest?.available || dest.weight <= 0 || dest.overloaded) return undefined;
      return dest;
    },
    destinationsChanged(svc) {
      this.buckets = dhBuckets(svc);
    },
  };
}

/** CONFIG_IP_VS_MH_TAB_INDEX=12: primes[12 - 8] = 4093 entries, 6 bits of weight resolution. */
const MH_SIZE = 4093;
const MH_BITS = 6;
const MH_KEY1 = key64(2654435761, 2654435761);
const MH_KEY2 = key64(2654446892, 2654446892);

const mhKey = (address: string, port: number, key: Key64, offset: number) =>
  hsiphash32((offset + port + foldAddress(address)) >>> 0, key);

const fls = (x: number) => (x === 0 ? 0 : 32 - Math.clz32(x));

/** ip_vs_mh_permutate + ip_vs_mh_populate: the Maglev lookup table, from last_weight. */
function mhLookup(service: SimService): (SimDestination | undefined)[] {
  const list = service.destinations;
  const lookup: (SimDestination | undefined)[] = new Array(MH_SIZE).fill(undefined);
  let g = 0;
  let max = 0;
  for (const d of list) {
    if (d.lastWeight > 0) g = g > 0 ? gcd(d.lastWeight, g) : d.lastWeight;
    max = Math.max(max, d.lastWeight);
  }
  if (g < 1) return lookup;
  const rshift = Math.max(0, fls(Math.trunc(max / g)) - MH_BITS);
  const setup = list.map((d) => {
    const offset = mhKey(d.address, d.port, MH_KEY1, 0) % MH_SIZE;
    const skip = (mhKey(d.address, d.port, MH_KEY2, 0) % (MH_SIZE - 1)) + 1;
    const lw = d.lastWeight;
    const turns = Math.trunc(lw / g) >> rshift || (lw !== 0 ? 1 : 0);
    return { perm: offset, skip, turns };
  });
  const taken = new Uint8Array(MH_SIZE);
  let n = 0;
  let dtCount = 0;
  for (;;) {
    let i = 0;
    while (i < list.length) {
      const ds = setup[i]!;
      if (ds.turns < 1) {
        i++;
        continue;
      }
      let c = ds.perm;
      while (taken[c]) {
        ds.perm += ds.skip;
        if (ds.perm >= MH_SIZE) ds.perm -= MH_SIZE;
        c = ds.perm;
      }
      taken[c] = 1;
      lookup[c] = list[i];
      if (++n === MH_SIZE) return lookup;
      if (++dtCount >= ds.turns) {
        dtCount = 0;
        i++;
      }
    }
  }
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** ip_vs_mh.c with the mh-port and mh-fallback flags. */
export function maglevHashing(service: SimService): SchedulerState & { lookup: (SimDestination | undefined)[] } {
  return {
    lookup: mhLookup(service),
    schedule(svc, packet) {
      const port = svc.config.schedulerFlags.includes("mh-port") ? packet.clientPort : 0;
      const home = mhKey(packet.client, port, MH_KEY1, 0) % MH_SIZE;
      const dest = this.lookup[home];
      if (!svc.config.schedulerFlags.includes("mh-fallback")) return !dest || unavailable(dest) ? undefined : dest;
      if (!dest) return undefined;
      if (!unavailable(dest)) return dest;
      for (let offset = 0; offset < MH_SIZE; offset++) {
        const roffset = (offset + home) % MH_SIZE;
        const d = this.lookup[mhKey(packet.client, port, MH_KEY1, roffset) % MH_SIZE];
        if (!d) return undefined;
        if (!unavailable(d)) return d;
      }
      return undefined;
    },
    destinationsChanged(svc) {
      this.lookup = mhLookup(svc);
    },
  };
}
