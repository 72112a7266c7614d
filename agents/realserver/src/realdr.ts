import type { HostIntent } from "@lvsfleet/agent-runtime";
import { addressFamily, type RealServerRoleConfig } from "@lvsfleet/model";

/** The sysctls realdr.sh set so that only the director answers ARP for the VIP. */
export const ARP_SYSCTLS: Record<string, string> = {
  "net.ipv4.conf.lo.arp_ignore": "1",
  "net.ipv4.conf.lo.arp_announce": "2",
  "net.ipv4.conf.all.arp_ignore": "1",
  "net.ipv4.conf.all.arp_announce": "2",
};

/**
 * What realdr.sh start put on a real server for DR and TUN: each VIP as a /32 (/128) on lo,
 * labelled lo:0, lo:1… (IPv4), a host route to it via lo, and ARP suppression on lo and all.
 * VIPs served only through NAT need none of this.
 */
export function realServerIntent(config: RealServerRoleConfig): HostIntent {
  const onLo = config.vips.filter((v) => v.forwarding.some((f) => f === "dr" || f === "tun"));
  const v4 = onLo.filter((v) => addressFamily(v.address) === "inet");
  return {
    addresses: onLo.map((v, i) => ({
      address: v.address,
      prefixLength: addressFamily(v.address) === "inet" ? 32 : 128,
      interface: "lo",
      label: addressFamily(v.address) === "inet" ? `lo:${i}` : undefined,
    })),
    routes: v4.map((v) => ({ destination: v.address, interface: "lo" })),
    sysctls: v4.length > 0 ? ARP_SYSCTLS : {},
  };
}
