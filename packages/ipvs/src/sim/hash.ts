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

/** An address as the schedulers fold it: IPv4 as its host-order u32, IPv6 as the XOR of its four words. */
export function foldAddress(address: string): number {
  if (!address.includes(":")) return address.split(".").reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);
  const words = ipv6Words(address);
  return (words[0]! ^ words[1]! ^ words[2]! ^ words[3]!) >>> 0;
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
// 64-bit lanes as pairs of unsigned 32-bit halves: v[2i] = high word, v[2i+1] = low word.

const V = new Uint32Array(8);

function add(a: number, b: number): void {
  const lo = V[a + 1]! + V[b + 1]!;
  V[a] = V[a]! + V[b]! + (lo > 0xffffffff ? 1 : 0);
  V[a + 1] = lo;
}

function rotl(a: number, n: number): void {
  const hi = V[a]!;
  const lo = V[a + 1]!;
  if (n === 32) {
    V[a] = lo;
    V[a + 1] = hi;
  } else if (n < 32) {
    V[a] = (hi << n) | (lo >>> (32 - n));
    V[a + 1] = (lo << n) | (hi >>> (32 - n));
  } else {
    const m = n - 32;
    V[a] = (lo << m) | (hi >>> (32 - m));
    V[a + 1] = (hi << m) | (lo >>> (32 - m));
  }
}

function xor(a: number, b: number): void {
  V[a] = V[a]! ^ V[b]!;
  V[a + 1] = V[a + 1]! ^ V[b + 1]!;
}

// lanes: v0 = 0, v1 = 2, v2 = 4, v3 = 6
function sipRound(): void {
  add(0, 2);
  rotl(2, 13);
  xor(2, 0);
  rotl(0, 32);
  add(4, 6);
  rotl(6, 16);
  xor(6, 4);
  add(0, 6);
  rotl(6, 21);
  xor(6, 0);
  add(4, 2);
  rotl(2, 17);
  xor(2, 4);
  rotl(4, 32);
}

/** A 64-bit key as [high, low] 32-bit words. */
export type Key64 = readonly [number, number, number, number];

/** hsiphash(&v, 4, key) on a 64-bit kernel: key = [k0 high, k0 low, k1 high, k1 low]. */
export function hsiphash32(value: number, key: Key64): number {
  // SIPHASH_CONST_0..3 xor the key (v0 ^= k0, v1 ^= k1, v2 ^= k0, v3 ^= k1)
  V[0] = 0x736f6d65 ^ key[0];
  V[1] = 0x70736575 ^ key[1];
  V[2] = 0x646f7261 ^ key[2];
  V[3] = 0x6e646f6d ^ key[3];
  V[4] = 0x6c796765 ^ key[0];
  V[5] = 0x6e657261 ^ key[1];
  V[6] = 0x74656462 ^ key[2];
  V[7] = 0x79746573 ^ key[3];
  // b = (4 << 56) | value
  const bHi = 0x04000000;
  const bLo = value >>> 0;
  V[6] = V[6]! ^ bHi;
  V[7] = V[7]! ^ bLo;
  sipRound();
  V[0] = V[0]! ^ bHi;
  V[1] = V[1]! ^ bLo;
  V[5] = V[5]! ^ 0xff;
  sipRound();
  sipRound();
  sipRound();
  return (V[1]! ^ V[3]! ^ V[5]! ^ V[7]!) >>> 0;
}

/** A key of two unsigned longs that fit in 32 bits each (as ip_vs_mh's). */
export const key64 = (k0: number, k1: number): Key64 => [0, k0 >>> 0, 0, k1 >>> 0];
