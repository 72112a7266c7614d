import { z } from "zod";
import { addressFamily, maxPrefixLength } from "./address.ts";
import { FORWARDING_METHODS } from "./forwarding.ts";
import { PROTOCOLS } from "./protocol.ts";
import { flagAppliesTo, SCHEDULER_FLAGS, SCHEDULERS } from "./scheduler.ts";
import { IpAddress, netmaskRule, Persistence, Port, RealServer, VirtualService, Weight } from "./spec.ts";
import { destinationKey, type IpvsTable, NO_CONNECTIONS, serviceKey } from "./table.ts";

/**
 * The IPVS table a server sends an agent (Apply, Start), as the agent checks it before it plans,
 * renders `ipvsadm -R` input or an nft script: every value with the spec's own field rules (the
 * same addresses, ports, weights, schedulers, flags and forwarding methods a ClusterSpec accepts),
 * plus what makes a table one the kernel can hold (a fwmark service has a mark and no address, a
 * persistence netmask fits the family, no service or real server twice). Errors name the field:
 * `services[3].destinations[1].address`.
 */

/** The spec's thresholds (ipvsadm -x/-y): whole numbers 0 … 2147483647. */
const Threshold = RealServer.shape.upperThreshold.unwrap();
/** The spec's firewall mark: 1 … 4294967295. */
const Fwmark = VirtualService.shape.fwmark.unwrap();

/** The desired-state generation: a whole number the agent compares with its own. */
export const Generation = z
  .number({ error: "must be a number" })
  .int({ error: "must be an integer" })
  .min(0, { error: "must not be negative" })
  .max(Number.MAX_SAFE_INTEGER, { error: `must be at most ${Number.MAX_SAFE_INTEGER}` });

/** A TUN destination's encapsulation, as ipvsadm takes it: gue needs a port, remcsum is gue's only. */
export const DesiredTunnel = z
  .strictObject({
    type: z.enum(["ipip", "gue", "gre"]),
    port: Port.optional(),
    checksum: z.enum(["nocsum", "csum", "remcsum"]).optional(),
  })
  .superRefine((tunnel, ctx) => {
    if (tunnel.type === "gue" && !tunnel.port)
      ctx.addIssue({ code: "custom", path: ["port"], message: "is required (1-65535) for a gue tunnel" });
    if (tunnel.checksum === "remcsum" && tunnel.type !== "gue")
      ctx.addIssue({ code: "custom", path: ["checksum"], message: "remcsum is only for gue tunnels" });
  });

/** A connection count a table may carry (IpvsDestination has them); a desired table's are not read. */
const Count = z.number({ error: "must be a number" }).optional();

export const DesiredDestination = z.strictObject({
  address: IpAddress,
  port: Port,
  forwarding: z.enum(FORWARDING_METHODS),
  weight: Weight,
  upperThreshold: Threshold,
  lowerThreshold: Threshold,
  tunnel: DesiredTunnel.optional(),
  activeConns: Count,
  inactConns: Count,
  persistConns: Count,
});

export const DesiredService = z
  .strictObject({
    protocol: z.enum(PROTOCOLS),
    address: IpAddress.optional(),
    port: Port.optional(),
    fwmark: Fwmark.optional(),
    family: z.enum(["inet", "inet6"]),
    scheduler: z.enum(SCHEDULERS),
    schedulerFlags: z.array(z.enum(SCHEDULER_FLAGS)),
    persistence: z
      .strictObject({
        timeout: Persistence.shape.timeout,
        netmask: z
          .number({ error: "must be a number" })
          .int({ error: "must be an integer" })
          .min(0, { error: "must be a prefix length (0-128)" })
          .max(128, { error: "must be a prefix length (0-128)" }),
      })
      .optional(),
    onePacket: z.boolean().optional(),
    destinations: z.array(DesiredDestination),
  })
  .superRefine((service, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    if (service.protocol === "fwmark") {
      if (service.fwmark === undefined) issue(["fwmark"], "is required when protocol is fwmark");
      if (service.address !== undefined) issue(["address"], "must be omitted when protocol is fwmark");
      if (service.port !== undefined) issue(["port"], "must be omitted when protocol is fwmark");
    } else {
      if (service.address === undefined) issue(["address"], `is required when protocol is ${service.protocol}`);
      if (service.port === undefined) issue(["port"], `is required when protocol is ${service.protocol}`);
      if (service.fwmark !== undefined) issue(["fwmark"], "is only allowed when protocol is fwmark");
      if (service.address !== undefined && addressFamily(service.address) !== service.family)
        issue(["family"], `must be ${addressFamily(service.address)} for the address ${service.address}`);
      if (service.port === 0 && !service.persistence)
        issue(["port"], "0 (all ports) is only allowed on a persistent service");
    }
    if (service.onePacket && service.protocol !== "udp")
      issue(["onePacket"], "one-packet scheduling (ipvsadm -o) is only for UDP services");
    const netmask = service.persistence?.netmask;
    if (
      netmask !== undefined &&
      (netmask > maxPrefixLength(service.family) || (service.family === "inet6" && netmask === 0))
    )
      issue(["persistence", "netmask"], netmaskRule(service.family));
    service.schedulerFlags.forEach((flag, i) => {
      if (!flagAppliesTo(flag, service.scheduler))
        issue(["schedulerFlags", i], `${flag} only applies to the ${flag.split("-")[0]} scheduler`);
    });
    const seen = new Map<string, number>();
    service.destinations.forEach((d, i) => {
      if (d.forwarding !== "tun" && addressFamily(d.address) !== service.family)
        issue(["destinations", i, "address"], `is ${addressFamily(d.address)} but the service is ${service.family}`);
      if (d.lowerThreshold > 0 && d.upperThreshold > 0 && d.lowerThreshold > d.upperThreshold)
        issue(["destinations", i, "lowerThreshold"], "must not exceed upperThreshold");
      const key = destinationKey(d);
      const first = seen.get(key);
      if (first !== undefined) issue(["destinations", i], `duplicates destinations[${first}] (same address and port)`);
      else seen.set(key, i);
    });
  });

/**
 * A desired table carries settings: connection counts are what a data plane observes, so the agent
 * does not read them (the wire's are not even passed in; a 110,000-rule table validates faster
 * without them) and the output has them at zero.
 */
export const DesiredTable = z
  .strictObject({
    services: z.array(DesiredService),
  })
  .superRefine((table, ctx) => {
    const seen = new Map<string, number>();
    table.services.forEach((service, i) => {
      const key = serviceKey(service);
      const first = seen.get(key);
      if (first !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["services", i],
          message: `duplicates services[${first}] (same protocol, address and port, or fwmark and family)`,
        });
      else seen.set(key, i);
    });
  })
  .transform((table): IpvsTable => {
    // In place: these objects are the parse's own, and copying 100,000 of them costs more than the checks.
    for (const service of table.services) for (const d of service.destinations) Object.assign(d, NO_CONNECTIONS);
    return table as IpvsTable;
  });
