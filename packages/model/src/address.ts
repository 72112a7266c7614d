import ipaddr from "ipaddr.js";

/** Address family as IPVS names it (`-6` selects inet6). */
export type AddressFamily = "inet" | "inet6";

/**
 * A dotted quad already in canonical form (no leading zeros, each part 0-255): exactly the IPv4
 * addresses ipaddr.js calls four-part decimal, recognised without it. ipaddr.js costs a few
 * microseconds an address (several regular expressions and, for IPv6 candidates, thrown
 * exceptions), which dominated validating a desired table of 110,000 addresses.
 */
const CANONICAL_IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parses a bare IPv4 or IPv6 address (no prefix, no port, no zone); returns undefined when invalid. */
function parse(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (ipaddr.IPv6.isValid(text) && !text.includes("%")) return ipaddr.IPv6.parse(text);
  return undefined;
}

export function isIpAddress(text: string): boolean {
  return CANONICAL_IPV4.test(text) || parse(text) !== undefined;
}

/** The canonical text of an address: dotted quad for IPv4, RFC 5952 for IPv6. Throws on invalid input. */
export function canonicalIp(text: string): string {
  if (CANONICAL_IPV4.test(text)) return text;
  const ip = parse(text);
  if (!ip) throw new Error(`not an IP address: ${text}`);
  return ip.kind() === "ipv4" ? ip.toString() : (ip as ipaddr.IPv6).toRFC5952String();
}

/**
 * True for a host that never leaves this machine: 127.0.0.0/8, ::1 (bare, or in brackets as URLs
 * write it), localhost. For URLs' hostnames and listen addresses.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host === "[::1]" || host === "::1") return true;
  return CANONICAL_IPV4.test(host) && host.startsWith("127.");
}

export function addressFamily(address: string): AddressFamily {
  return address.includes(":") ? "inet6" : "inet";
}

export function maxPrefixLength(family: AddressFamily): number {
  return family === "inet" ? 32 : 128;
}

/** `1.2.3.4:80` or `[2001:db8::1]:80`, the way ipvsadm prints endpoints. */
export function formatEndpoint(address: string, port: number): string {
  return addressFamily(address) === "inet6" ? `[${address}]:${port}` : `${address}:${port}`;
}

export interface Endpoint {
  address: string;
  port: number | undefined;
}

/**
 * Parses `addr`, `addr:port`, `[v6]` or `[v6]:port` and canonicalises the address.
 * A bare IPv6 address without brackets is accepted without a port.
 */
export function parseEndpoint(text: string): Endpoint | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed) return endpointOf(bracketed[1] ?? "", bracketed[2]);
  // IPv4:port first: asking ipaddr.js whether "1.2.3.4:80" is an address costs it two thrown
  // exceptions (it tries IPv6), which dominated reading a large `ipvsadm -Sn` table.
  const v4 = /^([0-9.]+):(\d{1,5})$/.exec(text);
  if (v4) return endpointOf(v4[1] ?? "", v4[2]);
  if (isIpAddress(text)) return { address: canonicalIp(text), port: undefined };
  return undefined;
}

function endpointOf(address: string, port: string | undefined): Endpoint | undefined {
  if (!isIpAddress(address)) return undefined;
  const n = port === undefined ? undefined : Number(port);
  if (n !== undefined && (n < 0 || n > 65535)) return undefined;
  return { address: canonicalIp(address), port: n };
}

/** Prefix length of a contiguous IPv4 netmask such as 255.255.255.0, or undefined. */
export function prefixLengthOfNetmask(mask: string): number | undefined {
  if (!ipaddr.IPv4.isValidFourPartDecimal(mask)) return undefined;
  return ipaddr.IPv4.parse(mask).prefixLengthFromSubnetMask() ?? undefined;
}

export function netmaskOfPrefixLength(prefix: number): string {
  return ipaddr.IPv4.subnetMaskFromPrefixLength(prefix).toString();
}
