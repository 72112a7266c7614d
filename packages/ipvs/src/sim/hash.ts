/**
 * The hash functions the kernel's hashing schedulers use, bit for bit:
 * hash_32 (include/linux/hash.h) for sh and dh, hsiphash (lib/siphash.c, 64-bit build:
 * SipHash-1-3 truncated to 32 bits) for mh.
 */

const GOLDEN_RATIO_32 = 0x61c88647;

/** include/linux/hash.h: hash_32(val, bits) = (val * GOLDEN_RATIO_32) >> (32 - bits). */
export function hash32(value: number, bits: number): number {
  return Math.imul(value >>> 0, GOLDEN_RATIO_32) >>> (32 - bits);
}

/** Folded addresses by text: the hashing schedulers fold the same client addresses over and over. */
const folded = new Map<string, number>();

/** An address as the schedulers fold it: IPv4 as its host-order u32, IPv6 as the XOR of its four words. */
export function foldAddress(address: string): number {
  const known = folded.get(address);
  if (known !== undefined) return known;
  let value: number;
  if (!address.includes(":")) value = address.split(".").reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);
  else {
    const words = ipv6Words(address);
    value = (words[0]! ^ words[1]! ^ words[2]! ^ words[3]!) >>> 0;
  }
  if (folded.size >= 65_536) folded.clear();
  folded.set(address, value);
  return value;
}

/** The four 32-bit words of an IPv6 address, most significant first. */
export function ipv6Words(address: string): [number, number, number, number] {
  const [head = "", tail = ""] = address.split("::");
  const h = head ? head.split(":") : [];
  const t = address.includes("::") && tail ? tail.split(":") : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t].map((g) => Number.parseInt(g, 16));
  const word = (i: number) => (((groups[i] ?? 0) << 16) | (groups[i + 1] ?? 0)) >>> 0;
  return [word(0), word(2), word(4), word(6)];
}

// ---- SipHash-1-3 over one little-endian u32 (the kernel's hsiphash on 64-bit) ----
// 64-bit lanes as pairs of unsigned 32-bit halves in local variables (h = high word, l = low word).

/** A 64-bit key as [high, low] 32-bit words. */
export type Key64 = readonly [number, number, number, number];

/** hsiphash(&v, 4, key) on a 64-bit kernel: key = [k0 high, k0 low, k1 high, k1 low]. */
export function hsiphash32(value: number, key: Key64): number {
  // SIPHASH_CONST_0..3 xor the key (v0 ^= k0, v1 ^= k1, v2 ^= k0, v3 ^= k1)
  let v0h = (0x736f6d65 ^ key[0]) >>> 0;
  let v0l = (0x70736575 ^ key[1]) >>> 0;
  let v1h = (0x646f7261 ^ key[2]) >>> 0;
  let v1l = (0x6e646f6d ^ key[3]) >>> 0;
  let v2h = (0x6c796765 ^ key[0]) >>> 0;
  let v2l = (0x6e657261 ^ key[1]) >>> 0;
  let v3h = (0x74656462 ^ key[2]) >>> 0;
  let v3l = (0x79746573 ^ key[3]) >>> 0;
  // b = (4 << 56) | value
  const bHi = 0x04000000;
  const bLo = value >>> 0;
  v3h = (v3h ^ bHi) >>> 0;
  v3l = (v3l ^ bLo) >>> 0;
  for (let round = 0; round < 4; round++) {
    if (round === 1) {
      v0h = (v0h ^ bHi) >>> 0;
      v0l = (v0l ^ bLo) >>> 0;
      v2l = (v2l ^ 0xff) >>> 0;
    }
    // SIPROUND: v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
    let lo = v0l + v1l;
    v0h = (v0h + v1h + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    v0l = lo >>> 0;
    let h = v1h;
    v1h = ((h << 13) | (v1l >>> 19)) >>> 0;
    v1l = ((v1l << 13) | (h >>> 19)) >>> 0;
    v1h = (v1h ^ v0h) >>> 0;
    v1l = (v1l ^ v0l) >>> 0;
    h = v0h;
    v0h = v0l;
    v0l = h;
    // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
    lo = v2l + v3l;
    v2h = (v2h + v3h + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    v2l = lo >>> 0;
    h = v3h;
    v3h = ((h << 16) | (v3l >>> 16)) >>> 0;
    v3l = ((v3l << 16) | (h >>> 16)) >>> 0;
    v3h = (v3h ^ v2h) >>> 0;
    v3l = (v3l ^ v2l) >>> 0;
    // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
    lo = v0l + v3l;
    v0h = (v0h + v3h + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    v0l = lo >>> 0;
    h = v3h;
    v3h = ((h << 21) | (v3l >>> 11)) >>> 0;
    v3l = ((v3l << 21) | (h >>> 11)) >>> 0;
    v3h = (v3h ^ v0h) >>> 0;
    v3l = (v3l ^ v0l) >>> 0;
    // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    lo = v2l + v1l;
    v2h = (v2h + v1h + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    v2l = lo >>> 0;
    h = v1h;
    v1h = ((h << 17) | (v1l >>> 15)) >>> 0;
    v1l = ((v1l << 17) | (h >>> 15)) >>> 0;
    v1h = (v1h ^ v2h) >>> 0;
    v1l = (v1l ^ v2l) >>> 0;
    h = v2h;
    v2h = v2l;
    v2l = h;
  }
  return (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
}

/** A key of two unsigned longs that fit in 32 bits each (as ip_vs_mh's). */
export const key64 = (k0: number, k1: number): Key64 => [0, k0 >>> 0, 0, k1 >>> 0];
