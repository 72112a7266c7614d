import type { HostIntent } from "@lvsfleet/agent-runtime";
import { addressFamily, type RealServerRoleConfig } from "@lvsfleet/model";

/** The sysctls realdr.sh set so that only the director answers ARP for the VIP. */
export const ARP_SYSCTLS: Record<string, string> = {
  "net.ipv4.conf.lo.arp_ignore": "1",
  "net.ipv4.conf.lo.arp_announce": "2",
  "net.ipv4.conf.all.arp_ignore": "1",
  "net.ipv4.conf.all.arp_announce": "2",
};

/** The IPIP device LVS-TUN packets arrive on once decapsulated (created by the ipip module). */
export const TUN_DEVICE = "tunl0";

/**
 * LVS-TUN: the decapsulated packet arrives on tunl0 with the client's address as source, which
 * the reverse-path filter would drop (the route back to the client is not via tunl0).
 * The kernel uses the larger of `all` and the device's value, so both must be 0.
 */
export const TUN_SYSCTLS: Record<string, string> = {
  [`net.ipv4.conf.${TUN_DEVICE}.rp_filter`]: "0",
  "net.ipv4.conf.all.rp_filter": "0",
};

export const usesLo = (v: RealServerRoleConfig["vips"][number]) => v.forwarding.some((f) => f === "dr" || f === "tun");
export const usesTun = (config: RealServerRoleConfig) => config.vips.some((v) => v.forwarding.includes("tun"));
export const usesNat = (config: RealServerRoleConfig) => config.vips.some((v) => v.forwarding.includes("nat"));

/** What is wrong with a real-server config before anything touches the host; empty when it is usable. */
export function configErrors(config: RealServerRoleConfig): string[] {
  return usesNat(config) && !config.natGateway
    ? [
        "real_server.nat_gateway: a VIP is served through NAT, so replies must go back through the director: give its address",
      ]
    : [];
}

/**
 * What realdr.sh start put on a real server for DR and TUN: each VIP as a /32 (/128) on lo,
 * labelled lo:0, lo:1… (IPv4), a host route to it via lo, and ARP suppression on lo and all;
 * for TUN also the reverse-path filter off on tunl0. For NAT, replies must pass the director:
 * the default route goes via the NAT gateway (the route it replaces is put back on stop).
 */
export function realServerIntent(config: RealServerRoleConfig): HostIntent {
  const onLo = config.vips.filter(usesLo);
  const v4 = onLo.filter((v) => addressFamily(v.address) === "inet");
  return {
    addresses: onLo.map((v, i) => ({
      address: v.address,
      prefixLength: addressFamily(v.address) === "inet" ? 32 : 128,
      interface: "lo",
      label: addressFamily(v.address) === "inet" ? `lo:${i}` : undefined,
    })),
    routes: v4.map((v) => ({ destination: v.address, interface: "lo" })),
    sysctls: {
      ...(v4.length > 0 ? ARP_SYSCTLS : {}),
      ...(usesTun(config) ? TUN_SYSCTLS : {}),
    },
    replaceRoutes:
      usesNat(config) && config.natGateway ? [{ destination: "default", via: config.natGateway }] : undefined,
  };
}
