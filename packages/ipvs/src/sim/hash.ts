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

// ---- SipHash-1-3 over one little-endian u32, on BigInt lanes (the kernel's hsiphash on 64-bit) ----
const MASK64 = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & MASK64;

function sipRound(v: [bigint, bigint, bigint, bigint]): void {
  v[0] = (v[0] + v[1]) & MASK64;
  v[1] = rotl(v[1], 13n) ^ v[0];
  v[0] = rotl(v[0], 32n);
  v[2] = (v[2] + v[3]) & MASK64;
  v[3] = rotl(v[3], 16n) ^ v[2];
  v[0] = (v[0] + v[3]) & MASK64;
  v[3] = rotl(v[3], 21n) ^ v[0];
  v[2] = (v[2] + v[1]) & MASK64;
  v[1] = rotl(v[1], 17n) ^ v[2];
  v[2] = rotl(v[2], 32n);
}

/** hsiphash(&v, 4, key) on a 64-bit kernel, where key is two unsigned longs. */
export function hsiphash32(value: number, key: readonly [bigint, bigint]): number {
  const v: [bigint, bigint, bigint, bigint] = [
    0x736f6d6570736575n ^ key[0],
    0x646f72616e646f6dn ^ key[1],
    0x6c7967656e657261n ^ key[0],
    0x7465646279746573n ^ key[1],
  ];
  const b = (4n << 56n) | BigInt(value >>> 0);
  v[3] ^= b;
  sipRound(v);
  v[0] ^= b;
  v[2] ^= 0xffn;
  sipRound(v);
  sipRound(v);
  sipRound(v);
  return Number((v[0] ^ v[1] ^ v[2] ^ v[3]) & 0xffffffffn);
}
