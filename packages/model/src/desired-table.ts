import { z } from "zod";
import { addressFamily, maxPrefixLength } from "./address.ts";
import { FORWARDING_METHODS } from "./forwarding.ts";
import { PROTOCOLS } from "./protocol.ts";
import { flagAppliesTo, SCHEDULER_FLAGS, SCHEDULERS } from "./scheduler.ts";
import { IpAddress, netmaskRule, Persistence, Port, RealServer, VirtualService, Weight } from "./spec.ts";
import { destinationKey, type IpvsTable, serviceKey } from "./table.ts";

/**
 * The IPVS table a server sends an agent (Apply, Start), as the agent checks it before it plans,
 * renders `ipvsadm -R` input or an nft script: every value with the spec's own field schemas (the
 * same addresses, ports, weights, thresholds, fwmarks, persistence timeouts, schedulers, flags and
 * forwarding methods a ClusterSpec accepts), plus what makes a table one ipvsadm and the kernel take
 * (a fwmark service has a mark and no address, one address family per service, a persistence netmask
 * that fits it, each service and real server once). Errors name the field:
 * `services[3].destinations[1].address`. Addresses come out canonical, connection counts at zero.
 *
 * The shape (objects, keys, types, enums) is one zod parse; then each distinct value of a field is
 * checked once with that field's schema — a 110,000-rule table holds a few thousand distinct
 * addresses and a handful of ports and weights, and checking every value on its own cost three times
 * as much (see bench/reconcile).
 */

/** The spec's thresholds (ipvsadm -x/-y): whole numbers 0 … 2147483647. */
const Threshold = RealServer.shape.upperThreshold.unwrap();
/** The spec's firewall mark: 1 … 4294967295. */
const Fwmark = VirtualService.shape.fwmark.unwrap();
/** A persistence netmask as a table holds it: a prefix length (the family decides the upper bound). */
const PrefixLength = z
  .number()
  .int({ error: "must be an integer" })
  .min(0, { error: "must be a prefix length (0-128)" })
  .max(128, { error: "must be a prefix length (0-128)" });

/** The desired-state generation: a whole number the agent compares with its own. */
export const Generation = z
  .number({ error: "must be a number" })
  .int({ error: "must be an integer" })
  .min(0, { error: "must not be negative" })
  .max(Number.MAX_SAFE_INTEGER, { error: `must be at most ${Number.MAX_SAFE_INTEGER}` });

const Tunnel = z.strictObject({
  type: z.enum(["ipip", "gue", "gre"]),
  port: z.number().optional(),
  checksum: z.enum(["nocsum", "csum", "remcsum"]).optional(),
});

/** A connection count a table may carry (IpvsDestination has them); a desired table's are not read. */
const Count = z.number().optional();

const Destination = z.strictObject({
  address: z.string(),
  port: z.number(),
  forwarding: z.enum(FORWARDING_METHODS),
  weight: z.number(),
  upperThreshold: z.number(),
  lowerThreshold: z.number(),
  tunnel: Tunnel.optional(),
  activeConns: Count,
  inactConns: Count,
  persistConns: Count,
});

const Service = z.strictObject({
  protocol: z.enum(PROTOCOLS),
  address: z.string().optional(),
  port: z.number().optional(),
  fwmark: z.number().optional(),
  family: z.enum(["inet", "inet6"]),
  scheduler: z.enum(SCHEDULERS),
  schedulerFlags: z.array(z.enum(SCHEDULER_FLAGS)),
  persistence: z.strictObject({ timeout: z.number(), netmask: z.number() }).optional(),
  onePacket: z.boolean().optional(),
  destinations: z.array(Destination),
});

type Part = string | number;
type Path = Part[];
type Verdict = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * Checks values with `schema`, each distinct value once. Returns the parsed value, or undefined
 * after adding an issue at `path` (services[i], then `more` below it; built only on a refusal).
 */
function distinct<T>(schema: z.ZodType<T>, ctx: z.RefinementCtx) {
  const verdicts = new Map<unknown, Verdict>();
  return (value: unknown, i: number, a: Part, b?: Part, c?: Part, d?: Part): T | undefined => {
    let verdict = verdicts.get(value);
    if (!verdict) {
      const result = schema.safeParse(value);
      verdict = result.success
        ? { ok: true, value: result.data }
        : { ok: false, message: result.error.issues[0]?.message ?? "is invalid" };
      verdicts.set(value, verdict);
    }
    if (verdict.ok) return verdict.value as T;
    const below = [a, b, c, d].filter((part) => part !== undefined) as Part[];
    ctx.addIssue({ code: "custom", path: ["services", i, ...below], message: verdict.message });
    return undefined;
  };
}

export const DesiredTable = z.strictObject({ services: z.array(Service) }).transform((table, ctx): IpvsTable => {
  const issue = (path: Path, message: string) => ctx.addIssue({ code: "custom", path: ["services", ...path], message });
  const address = distinct(IpAddress, ctx);
  const port = distinct(Port, ctx);
  const weight = distinct(Weight, ctx);
  const threshold = distinct(Threshold, ctx);
  const fwmark = distinct(Fwmark, ctx);
  const timeout = distinct(Persistence.shape.timeout, ctx);
  const prefix = distinct(PrefixLength, ctx);
  const services = new Map<string, number>();
  for (let i = 0; i < table.services.length; i++) {
    const s = table.services[i] as (typeof table.services)[number];
    const family = s.family;
    if (s.address !== undefined) s.address = address(s.address, i, "address") ?? s.address;
    if (s.port !== undefined) port(s.port, i, "port");
    if (s.fwmark !== undefined) fwmark(s.fwmark, i, "fwmark");
    if (s.persistence) {
      timeout(s.persistence.timeout, i, "persistence", "timeout");
      const netmask = prefix(s.persistence.netmask, i, "persistence", "netmask");
      if (netmask !== undefined && (netmask > maxPrefixLength(family) || (family === "inet6" && netmask === 0)))
        issue([i, "persistence", "netmask"], netmaskRule(family));
    }
    if (s.protocol === "fwmark") {
      if (s.fwmark === undefined) issue([i, "fwmark"], "is required when protocol is fwmark");
      if (s.address !== undefined) issue([i, "address"], "must be omitted when protocol is fwmark");
      if (s.port !== undefined) issue([i, "port"], "must be omitted when protocol is fwmark");
    } else {
      if (s.address === undefined) issue([i, "address"], `is required when protocol is ${s.protocol}`);
      if (s.port === undefined) issue([i, "port"], `is required when protocol is ${s.protocol}`);
      if (s.fwmark !== undefined) issue([i, "fwmark"], "is only allowed when protocol is fwmark");
      if (s.address !== undefined && addressFamily(s.address) !== family)
        issue([i, "family"], `must be ${addressFamily(s.address)} for the address ${s.address}`);
      if (s.port === 0 && !s.persistence) issue([i, "port"], "0 (all ports) is only allowed on a persistent service");
    }
    if (s.onePacket && s.protocol !== "udp")
      issue([i, "onePacket"], "one-packet scheduling (ipvsadm -o) is only for UDP services");
    s.schedulerFlags.forEach((flag, j) => {
      if (!flagAppliesTo(flag, s.scheduler))
        issue([i, "schedulerFlags", j], `${flag} only applies to the ${flag.split("-")[0]} scheduler`);
    });
    const destinations = new Map<string, number>();
    for (let j = 0; j < s.destinations.length; j++) {
      const d = s.destinations[j] as (typeof s.destinations)[number];
      d.address = address(d.address, i, "destinations", j, "address") ?? d.address;
      port(d.port, i, "destinations", j, "port");
      weight(d.weight, i, "destinations", j, "weight");
      threshold(d.upperThreshold, i, "destinations", j, "upperThreshold");
      threshold(d.lowerThreshold, i, "destinations", j, "lowerThreshold");
      if (d.forwarding !== "tun" && addressFamily(d.address) !== family)
        issue([i, "destinations", j, "address"], `is ${addressFamily(d.address)} but the service is ${family}`);
      if (d.lowerThreshold > 0 && d.upperThreshold > 0 && d.lowerThreshold > d.upperThreshold)
        issue([i, "destinations", j, "lowerThreshold"], "must not exceed upperThreshold");
      if (d.tunnel) {
        if (d.tunnel.port !== undefined) port(d.tunnel.port, i, "destinations", j, "tunnel", "port");
        if (d.tunnel.type === "gue" && !d.tunnel.port)
          issue([i, "destinations", j, "tunnel", "port"], "is required (1-65535) for a gue tunnel");
        if (d.tunnel.checksum === "remcsum" && d.tunnel.type !== "gue")
          issue([i, "destinations", j, "tunnel", "checksum"], "remcsum is only for gue tunnels");
      }
      const key = destinationKey(d);
      const first = destinations.get(key);
      if (first !== undefined)
        issue([i, "destinations", j], `duplicates destinations[${first}] (same address and port)`);
      else destinations.set(key, j);
      // a desired table's connection counts are not read: the data plane has the real ones
      d.activeConns = 0;
      d.inactConns = 0;
      d.persistConns = 0;
    }
    const key = serviceKey(s);
    const first = services.get(key);
    if (first !== undefined)
      issue([i], `duplicates services[${first}] (same protocol, address and port, or fwmark and family)`);
    else services.set(key, i);
  }
  // the objects are the parse's own: addresses were made canonical and counts set in place
  return table as IpvsTable;
});
