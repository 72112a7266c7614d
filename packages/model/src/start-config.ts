import { z } from "zod";
import { DesiredTable, Generation } from "./desired-table.ts";
import { FORWARDING_METHODS } from "./forwarding.ts";
import { InterfaceName, IpAddress } from "./spec.ts";

/**
 * What a Start carries, as the agent checks it before it touches the host: the VIPs, the interface
 * and the table a director takes up (lvsdr), the VIPs and NAT gateway of a real server (realdr).
 * The spec's own field rules; the cluster spec a director's Start also carries is a ClusterSpec.
 */

/** Each VIP once: an agent gives each its own alias label (eth0:1, lo:0…) and host route. */
function uniqueVips<T>(vip: (item: T) => string) {
  return (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const first = seen.get(vip(item));
      if (first !== undefined) ctx.addIssue({ code: "custom", path: [i], message: `duplicates [${first}]` });
      else seen.set(vip(item), i);
    });
  };
}

/**
 * A director's Start without its spec (which is a ClusterSpec): VIPs, interface, generation, and the
 * table when it is the bare-table form (a Start with a spec carries none: the table is the spec's).
 */
export const DirectorStartConfig = z.strictObject({
  vips: z
    .array(IpAddress)
    .min(1, { error: "must list at least one VIP" })
    .superRefine(uniqueVips((vip: string) => vip)),
  /** The interface the VIPs go on. */
  interface: InterfaceName,
  generation: Generation,
  desired: DesiredTable.optional(),
});
export type DirectorStartConfig = z.output<typeof DirectorStartConfig>;

/** A real server's Start (RealServerRoleConfig). */
export const RealServerStartConfig = z.strictObject({
  vips: z
    .array(
      z.strictObject({
        address: IpAddress,
        forwarding: z.array(z.enum(FORWARDING_METHODS)),
      }),
    )
    .superRefine(uniqueVips((vip: { address: string }) => vip.address)),
  /** NAT: the director address replies are routed through. */
  natGateway: IpAddress.optional(),
});
export type RealServerStartConfig = z.output<typeof RealServerStartConfig>;
