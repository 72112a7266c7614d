import type { ClusterSpec, DirectorRoleConfig } from "@lvsfleet/model";
import { vrrpVips } from "./config.ts";

/** The sim driver's VRRP: the highest-priority director is MASTER (the master by role on a tie). */
export function simulatedMaster(spec: ClusterSpec): string | undefined {
  return [...spec.directors].sort(
    (a, b) => b.priority - a.priority || (a.role === "master" ? -1 : b.role === "master" ? 1 : 0),
  )[0]?.host;
}

/**
 * The director config with only the VIPs lvsdr itself puts on the interface: a VIP a VRRP instance
 * carries is keepalived's to add and remove (only the MASTER holds it), so the host intent and the
 * doctor leave it out. With the sim driver nothing runs keepalived: the simulated MASTER keeps them.
 */
export function withStaticVips(config: DirectorRoleConfig, hostName: string, simulated: boolean): DirectorRoleConfig {
  const spec = config.spec;
  if (!spec?.vrrp) return config;
  if (simulated && simulatedMaster(spec) === hostName) return config;
  const moving = new Set(vrrpVips(spec));
  return { ...config, vips: config.vips.filter((vip) => !moving.has(vip)) };
}
