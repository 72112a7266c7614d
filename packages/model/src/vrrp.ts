import { z } from "zod";
import { canonicalIp, isIpAddress } from "./address.ts";
import { DurationSeconds } from "./health.ts";
import { ScriptName } from "./script-name.ts";

/**
 * VRRP between the directors (what keepalived's vrrp_instance and vrrp_sync_group say). Each director's
 * role, priority and interface live on the Director; the settings here are shared by all directors.
 * A director whose role is master starts as MASTER; with nopreempt every director starts as BACKUP and
 * the master is simply the one with the highest priority.
 */

const VrrpAddress = z
  .string()
  .refine(isIpAddress, { error: (issue) => `${JSON.stringify(issue.input)} is not an IPv4 or IPv6 address` })
  .transform(canonicalIp);

/**
 * keepalived instance and group names: one word. Not starting with @: a sync group lists its
 * instances one per line, and keepalived reads a line that starts with @ as conditional
 * configuration (`@id`), which would drop the instance from the group.
 */
const VrrpName = z.string().regex(/^[A-Za-z0-9_.:-][A-Za-z0-9_.:@-]{0,63}$/, {
  error: "must be 1-64 letters, digits or _.:@-, not starting with @",
});

/**
 * Scripts run on a state change (keepalived notify_master, notify_backup, notify_fault, notify_stop,
 * notify), each a name from the director's allowlist. The director agent runs them itself, on the
 * transitions keepalived reports on its notify FIFO; keepalived's own configuration has none.
 */
export const VrrpNotify = z.strictObject({
  /** On becoming MASTER. keepalived notify_master. */
  master: ScriptName.optional(),
  /** On becoming BACKUP. keepalived notify_backup. */
  backup: ScriptName.optional(),
  /** On entering FAULT. keepalived notify_fault. */
  fault: ScriptName.optional(),
  /** When VRRP stops. keepalived notify_stop. */
  stop: ScriptName.optional(),
  /** On every transition. keepalived notify (which appends type, name, state and priority: {type} {instance} {state} {priority}). */
  any: ScriptName.optional(),
});
export type VrrpNotify = z.output<typeof VrrpNotify>;
export type VrrpNotifyInput = z.input<typeof VrrpNotify>;

/** VRRPv2 authentication (keepalived authentication { auth_type, auth_pass }); obsoleted by RFC 3768. */
export const VrrpAuthentication = z.strictObject({
  type: z.enum(["pass", "ah"]),
  /**
   * keepalived uses only the first 8 characters. Printable ASCII without spaces or double quotes
   * (keepalived cannot read one in a value), not ending in a backslash (quoted, keepalived would read
   * \" as an escaped quote) and not a lone brace (a brace even quoted): what keepalived.conf can carry.
   */
  password: z.string().regex(/^(?![{}]$)[!#-~]{0,7}[!#-[\]-~]$/, {
    error:
      "must be 1-8 printable ASCII characters without spaces or double quotes, not a lone brace and not ending in a backslash (keepalived uses only 8)",
  }),
});
export type VrrpAuthentication = z.output<typeof VrrpAuthentication>;

/**
 * Gratuitous ARP after a take-over (keepalived sends one burst on becoming MASTER, and a second
 * burst `delay` seconds later).
 */
export const VrrpGarp = z.strictObject({
  /** Messages per burst. keepalived garp_master_repeat; default 5. */
  repeat: z.number().int().min(1, { error: "must be between 1 and 255" }).max(255).optional(),
  /** Seconds before the second burst (0: none). keepalived garp_master_delay; default 5. */
  delay: DurationSeconds.max(255, { error: "must be at most 255 seconds" }).optional(),
  /** Keep sending a burst this often while MASTER (0: never). keepalived garp_master_refresh; default 0. */
  refresh: DurationSeconds.max(86400, { error: "must be at most 86400 seconds" }).optional(),
  /** Messages per refresh burst. keepalived garp_master_refresh_repeat; default 1. */
  refreshRepeat: z.number().int().min(1, { error: "must be between 1 and 255" }).max(255).optional(),
});
export type VrrpGarp = z.output<typeof VrrpGarp>;

/** One VRRP virtual router: a set of VIPs that move together from director to director. */
export const VrrpInstance = z.strictObject({
  /** keepalived's vrrp_instance name, e.g. VI_1. */
  name: VrrpName,
  /** 1-255, unique among the routers on the segment. keepalived virtual_router_id. */
  virtualRouterId: z
    .number()
    .int({ error: "must be an integer" })
    .min(1, { error: "must be between 1 and 255" })
    .max(255, { error: "must be between 1 and 255" }),
  /** The VIPs this router carries, each one of the cluster's vips. keepalived virtual_ipaddress. */
  vips: z.array(VrrpAddress).min(1, { error: "must list at least one VIP" }),
  /** Interface VRRP runs on when not the director's own interface. keepalived interface. */
  interface: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,15}$/, { error: "must be a Linux interface name (1-15 characters)" })
    .optional(),
  /** Seconds between adverts. keepalived advert_int; default 1. Fractions need VRRP version 3. */
  advertInt: DurationSeconds.min(0.01, { error: "must be at least 0.01 seconds" })
    .max(255, { error: "must be at most 255 seconds" })
    .optional(),
  /** VRRP protocol version. keepalived version (default: vrrp_version, 2). */
  version: z.union([z.literal(2), z.literal(3)]).optional(),
  authentication: VrrpAuthentication.optional(),
  /**
   * Advertise by unicast to these addresses instead of multicast to 224.0.0.18: every director's address.
   * Each director sends to the others and uses its own address as source (keepalived unicast_peer and
   * unicast_src_ip).
   */
  unicastPeers: z.array(VrrpAddress).min(1).optional(),
  /** A returning higher-priority director does not take the VIPs back. keepalived nopreempt. */
  nopreempt: z.boolean().optional(),
  /** Seconds to wait before preempting. keepalived preempt_delay (0-1000). */
  preemptDelay: DurationSeconds.max(1000, { error: "must be at most 1000 seconds" }).optional(),
  notify: VrrpNotify.optional(),
  /** Gratuitous ARP (IPv6: unsolicited NA) after taking over, so that neighbours learn the new MAC at once. */
  garp: VrrpGarp.optional(),
});
export type VrrpInstance = z.output<typeof VrrpInstance>;
export type VrrpInstanceInput = z.input<typeof VrrpInstance>;

/** Instances that must change state together (keepalived vrrp_sync_group), e.g. the VIP and the NAT gateway. */
export const VrrpSyncGroup = z.strictObject({
  name: VrrpName,
  notify: VrrpNotify.optional(),
});
export type VrrpSyncGroup = z.output<typeof VrrpSyncGroup>;

export const Vrrp = z
  .strictObject({
    instances: z.array(VrrpInstance).min(1, { error: "must list at least one VRRP instance" }),
    /** When set, every instance belongs to this one sync group. */
    syncGroup: VrrpSyncGroup.optional(),
  })
  .superRefine((vrrp, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    const names = new Map<string, number>();
    const ids = new Map<number, number>();
    vrrp.instances.forEach((instance, i) => {
      const sameName = names.get(instance.name);
      if (sameName !== undefined) issue(["instances", i, "name"], `duplicates instances[${sameName}]`);
      else names.set(instance.name, i);
      const sameId = ids.get(instance.virtualRouterId);
      if (sameId !== undefined) issue(["instances", i, "virtualRouterId"], `duplicates instances[${sameId}]`);
      else ids.set(instance.virtualRouterId, i);
      if (instance.nopreempt && instance.preemptDelay !== undefined)
        issue(["instances", i, "preemptDelay"], "has no effect with nopreempt (keepalived resets it)");
      const families = new Set(instance.vips.map((vip) => (vip.includes(":") ? "inet6" : "inet")));
      if (families.size > 1)
        issue(["instances", i, "vips"], "must all be IPv4 or all IPv6 (a VRRP instance carries one address family)");
      if (instance.advertInt !== undefined && !Number.isInteger(instance.advertInt) && instance.version !== 3)
        issue(["instances", i, "advertInt"], "fractions of a second need version 3");
    });
    if (vrrp.syncGroup && vrrp.instances.length < 2)
      issue(["syncGroup"], "needs at least two instances (keepalived ignores a group of one)");
  });
export type Vrrp = z.output<typeof Vrrp>;
export type VrrpInput = z.input<typeof Vrrp>;
