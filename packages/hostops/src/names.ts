import { addressFamily, canonicalIp, isIpAddress, maxPrefixLength, validate } from "@lvsfleet/model";
import { z } from "zod";

/**
 * Every value hostops passes to a host command is checked here first, so that nothing a
 * caller sends can become an option, a second command or a path outside /proc/sys.
 */

export const NetnsName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: "must be a network namespace name: letters, digits, _ . -" });

/** Linux interface names: 1–15 bytes, no `/`, `:` or white space (dev_valid_name). */
export const InterfaceName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/, {
  error: "must be an interface name: 1-15 letters, digits, _ . - (e.g. eth0)",
});

export const IpAddress = z
  .string()
  .refine(isIpAddress, { error: "must be an IPv4 or IPv6 address" })
  .transform((a) => canonicalIp(a));

/** An IPv4 address label: the interface name, optionally `:` and a suffix, 15 bytes at most (`eth0:1`). */
export const AddressLabel = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}(:[A-Za-z0-9_.-]{1,14})?$/, {
    error: "must be the interface name with an optional :suffix, e.g. eth0:1",
  })
  .refine((l) => l.length <= 15, { error: "must be 15 bytes at most" });

export const HostAddressInput = z
  .object({
    address: IpAddress,
    prefixLength: z.number().int().min(0).max(128),
    interface: InterfaceName,
    label: AddressLabel.optional(),
  })
  .superRefine((a, ctx) => {
    if (a.prefixLength > maxPrefixLength(addressFamily(a.address)))
      ctx.addIssue({ code: "custom", path: ["prefixLength"], message: `is too long for ${a.address}` });
    if (a.label !== undefined && addressFamily(a.address) === "inet6")
      ctx.addIssue({ code: "custom", path: ["label"], message: "IPv6 addresses have no labels" });
    if (a.label !== undefined && a.label !== a.interface && !a.label.startsWith(`${a.interface}:`))
      ctx.addIssue({ code: "custom", path: ["label"], message: `must start with "${a.interface}:"` });
  });

/** `default`, an address (a host route) or ADDRESS/PREFIX. */
export const RouteDestination = z.string().refine(
  (d) => {
    if (d === "default") return true;
    const [address, prefix, ...rest] = d.split("/");
    if (rest.length > 0 || !address || !isIpAddress(address)) return false;
    if (prefix === undefined) return true;
    return /^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefixLength(addressFamily(address));
  },
  { error: "must be default, an address or ADDRESS/PREFIX" },
);

export const RouteTable = z
  .string()
  .regex(/^(main|default|local|[1-9]\d{0,9})$/, { error: "must be main, local, default or a table number" });

export const HostRouteInput = z.object({
  destination: RouteDestination,
  interface: InterfaceName.optional(),
  via: IpAddress.optional(),
  table: RouteTable.optional(),
});

/**
 * A sysctl name as sysctl(8) writes it: dot-separated, with `/` standing for a dot inside one
 * part (an interface called eth0.100 is `net.ipv4.conf.eth0/100.arp_ignore`).
 */
export const SysctlKey = z
  .string()
  .regex(/^(net|kernel)(\.[A-Za-z0-9_-][A-Za-z0-9_/-]*)+$/, {
    error: "must be a sysctl name under net. or kernel., e.g. net.ipv4.ip_forward",
  })
  .refine((k) => k.length <= 200, { error: "is too long" });

export const SysctlValue = z
  .string()
  .regex(/^[A-Za-z0-9_.:\t -]{1,64}$/, { error: "must be a short value such as 0, 1 or 2" });

export { validate };
