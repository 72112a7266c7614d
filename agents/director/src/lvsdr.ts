import type { HostIntent } from "@lvsfleet/agent-runtime";
import { addressFamily, type DirectorRoleConfig } from "@lvsfleet/model";

/**
 * What lvsdr.sh start put on a director: each VIP as a /32 (or /128) alias on the VIP
 * interface, labelled eth0:1, eth0:2… (IPv4 only: Linux labels are IPv4), and a host route
 * to it; plus the sysctls the data plane needs.
 */
export function directorIntent(config: DirectorRoleConfig, sysctls: Record<string, string>): HostIntent {
  return {
    addresses: config.vips.map((vip, i) => {
      const v4 = addressFamily(vip) === "inet";
      return {
        address: vip,
        prefixLength: v4 ? 32 : 128,
        interface: config.interface,
        label: v4 ? `${config.interface}:${i + 1}` : undefined,
      };
    }),
    routes: config.vips
      .filter((vip) => addressFamily(vip) === "inet")
      .map((vip) => ({ destination: vip, interface: config.interface })),
    sysctls,
  };
}
