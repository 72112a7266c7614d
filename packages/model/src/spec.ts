import { z } from "zod";
import {
  type AddressFamily,
  addressFamily,
  canonicalIp,
  isIpAddress,
  maxPrefixLength,
  prefixLengthOfNetmask,
} from "./address.ts";
import { FORWARDING_METHODS } from "./forwarding.ts";
import { DurationSeconds, HealthCheck, Quorum, SorryServer } from "./health.ts";
import { PROTOCOLS } from "./protocol.ts";
import { flagAppliesTo, SCHEDULER_FLAGS, SCHEDULERS } from "./scheduler.ts";
import { Vrrp } from "./vrrp.ts";

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const INTERFACE = /^[A-Za-z0-9_.:-]{1,15}$/;

export const Name = z
  .string()
  .regex(NAME, { error: "must be 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit" });

export const HostName = z.string().regex(HOST, { error: "must be a host name (letters, digits, '.', '-')" });

export const IpAddress = z
  .string()
  .refine(isIpAddress, { error: (issue) => `${JSON.stringify(issue.input)} is not an IPv4 or IPv6 address` })
  .transform(canonicalIp);

export const Port = z
  .number({ error: "must be a number" })
  .int({ error: "must be an integer" })
  .min(0, { error: "must be between 0 and 65535" })
  .max(65535, { error: "must be between 0 and 65535" });

export const Weight = z
  .number({ error: "must be a number" })
  .int({ error: "must be an integer" })
  .min(0, { error: "must be between 0 and 65535" })
  .max(65535, { error: "must be between 0 and 65535" });

/** A connection threshold (ipvsadm -x/-y): ipvsadm takes 0 … 2147483647 (INT_MAX) and refuses more. */
const Threshold = z
  .number()
  .int({ error: "must be an integer" })
  .min(0, { error: "must be between 0 and 2147483647" })
  .max(2147483647, { error: "must be between 0 and 2147483647" });

export const InterfaceName = z.string().regex(INTERFACE, { error: "must be a Linux interface name (1-15 characters)" });

export const RealServer = z.strictObject({
  address: IpAddress,
  port: Port,
  weight: Weight.default(1),
  /** Host name of the real-server agent that runs realdr on this server, if any. */
  host: HostName.optional(),
  /** Overrides the service's forwarding method for this destination. */
  forwarding: z.enum(FORWARDING_METHODS).optional(),
  /** Upper connection threshold (ipvsadm -x); 0 = none. */
  upperThreshold: Threshold.default(0),
  /** Lower connection threshold (ipvsadm -y); 0 = none. */
  lowerThreshold: Threshold.default(0),
  /** Health checks (see health.ts); the server is up while all of them pass. None = always up. */
  healthChecks: z.array(HealthCheck).optional(),
  /** Overrides the service's inhibitOnFailure for this server (keepalived real_server inhibit_on_failure). */
  inhibitOnFailure: z.boolean().optional(),
  /** Overrides the service's slowStart for this server (0 = none). */
  slowStart: DurationSeconds.max(3600, { error: "must be at most 3600 seconds" }).optional(),
});
export type RealServer = z.output<typeof RealServer>;
export type RealServerInput = z.input<typeof RealServer>;

/** Persistence granularity: a prefix length, written as 24, "24", "/24" or (IPv4) "255.255.255.0". */
const Netmask = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const text = String(value).replace(/^\//, "");
  const prefix = /^\d{1,3}$/.test(text) ? Number(text) : prefixLengthOfNetmask(text);
  if (prefix === undefined || prefix > 128) {
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not a netmask or prefix length` });
    return z.NEVER;
  }
  return prefix;
});

export const Persistence = z.strictObject({
  timeout: z
    .number({ error: "must be a number of seconds" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be at least 1 second" })
    .max(2678400, { error: "must be at most 2678400 seconds (31 days: ipvsadm's and keepalived's limit)" }),
  netmask: Netmask.optional(),
});
export type Persistence = z.output<typeof Persistence>;

export const VirtualService = z
  .strictObject({
    name: Name,
    protocol: z.enum(PROTOCOLS).default("tcp"),
    address: IpAddress.optional(),
    port: Port.optional(),
    /** Firewall mark, for protocol fwmark. */
    fwmark: z.number().int().min(1, { error: "must be between 1 and 4294967295" }).max(4294967295).optional(),
    /** Address family of a fwmark service (ipvsadm -6). */
    family: z.enum(["inet", "inet6"]).optional(),
    scheduler: z.enum(SCHEDULERS).default("wlc"),
    schedulerFlags: z.array(z.enum(SCHEDULER_FLAGS)).default([]),
    forwarding: z.enum(FORWARDING_METHODS).default("dr"),
    persistence: Persistence.optional(),
    /** Keep a failed real server in the table at weight 0 instead of removing it. */
    inhibitOnFailure: z.boolean().default(false),
    realServers: z.array(RealServer).default([]),
    /** Default seconds between health-check rounds for its real servers (keepalived delay_loop; default 60). */
    delayLoop: DurationSeconds.optional(),
    /** Start with every real server down until its checks pass (keepalived alpha). */
    alpha: z.boolean().optional(),
    /** Run quorum-down and notify-down scripts when lvsfleet stops (keepalived omega). */
    omega: z.boolean().optional(),
    /** Minimum healthy weight for the service to be up (keepalived quorum, hysteresis, quorum_up/down). */
    quorum: Quorum.optional(),
    /** Takes the traffic while the quorum is lost (keepalived sorry_server). */
    sorryServer: SorryServer.optional(),
    /**
     * lvsfleet (as HAProxy's slowstart): seconds over which a real server's weight ramps from 0 to
     * its weight after it recovers, so that a cold server is not flooded. Default 0 (at once).
     */
    slowStart: DurationSeconds.max(3600, { error: "must be at most 3600 seconds" }).optional(),
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
      if (service.family !== undefined) issue(["family"], "is only allowed when protocol is fwmark");
      if (service.port === 0 && !service.persistence)
        issue(["port"], "0 (all ports) is only allowed on a persistent service");
    }
    const family = serviceFamily(service);
    const netmask = service.persistence?.netmask;
    if (netmask !== undefined && (netmask > maxPrefixLength(family) || (family === "inet6" && netmask === 0)))
      issue(["persistence", "netmask"], netmaskRule(family));
    service.schedulerFlags.forEach((flag, i) => {
      if (!flagAppliesTo(flag, service.scheduler))
        issue(["schedulerFlags", i], `${flag} only applies to the ${flag.split("-")[0]} scheduler`);
    });
    const seen = new Map<string, number>();
    service.realServers.forEach((rs, i) => {
      if (addressFamily(rs.address) !== family && (rs.forwarding ?? service.forwarding) !== "tun")
        issue(["realServers", i, "address"], `is ${addressFamily(rs.address)} but the service is ${family}`);
      const key = `${rs.address}|${rs.port}`;
      const first = seen.get(key);
      if (first !== undefined) issue(["realServers", i], `duplicates realServers[${first}] (same address and port)`);
      else seen.set(key, i);
      if (rs.lowerThreshold > 0 && rs.upperThreshold > 0 && rs.lowerThreshold > rs.upperThreshold)
        issue(["realServers", i, "lowerThreshold"], "must not exceed upperThreshold");
      rs.healthChecks?.forEach((check, j) => {
        if (check.type !== "misc" && rs.port === 0 && check.connectPort === undefined)
          issue(["realServers", i, "healthChecks", j, "connectPort"], "is required when the real server has no port");
      });
    });
  });
export type VirtualService = z.output<typeof VirtualService>;
export type VirtualServiceInput = z.input<typeof VirtualService>;

/** What ipvsadm -M takes: an IPv4 netmask (prefix 0-32), an IPv6 prefix length from 1 to 128. */
export function netmaskRule(family: AddressFamily): string {
  return family === "inet"
    ? "must be a prefix length of at most 32 for inet"
    : "must be a prefix length from 1 to 128 for inet6";
}

export function serviceFamily(service: Pick<VirtualService, "address" | "family">): AddressFamily {
  return service.address !== undefined ? addressFamily(service.address) : (service.family ?? "inet");
}

export const Director = z.strictObject({
  host: HostName,
  address: IpAddress,
  role: z.enum(["master", "backup"]),
  priority: z
    .number()
    .int()
    .min(1, { error: "must be between 1 and 255" })
    .max(255, { error: "must be between 1 and 255" }),
  /** The interface the VIPs go on (lvsdr.sh used eth0, label eth0:1). */
  interface: InterfaceName.default("eth0"),
});
export type Director = z.output<typeof Director>;

/** What a director does when its periodic read-back finds the kernel's table changed behind its back. */
export const DRIFT_POLICIES = ["report", "correct"] as const;
export const DriftPolicy = z.enum(DRIFT_POLICIES, {
  error:
    "must be report (the director reports a hand change of its table: event, metric, status, chat) or correct (it also repairs it)",
});
export type DriftPolicy = z.output<typeof DriftPolicy>;

export const ClusterSpec = z
  .strictObject({
    name: Name,
    vips: z.array(IpAddress).min(1, { error: "must list at least one VIP" }),
    directors: z.array(Director).default([]),
    services: z.array(VirtualService).default([]),
    /** VRRP between the directors (keepalived vrrp_instance / vrrp_sync_group); see vrrp.ts. */
    vrrp: Vrrp.optional(),
    /**
     * What the directors do with drift (someone changed the table by hand): `report` (absent: the
     * default) reports it; `correct` also repairs it at once.
     */
    driftPolicy: DriftPolicy.optional(),
  })
  .superRefine((spec, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    const firstIndex = <T>(
      items: T[],
      key: (item: T) => string,
      path: (i: number) => (string | number)[],
      what: string,
    ) => {
      const seen = new Map<string, number>();
      items.forEach((item, i) => {
        const k = key(item);
        const first = seen.get(k);
        if (first !== undefined) issue(path(i), `duplicates ${what}[${first}]`);
        else seen.set(k, i);
      });
    };
    firstIndex(
      spec.vips,
      (v) => v,
      (i) => ["vips", i],
      "vips",
    );
    firstIndex(
      spec.directors,
      (d) => d.host,
      (i) => ["directors", i, "host"],
      "directors",
    );
    firstIndex(
      spec.services,
      (s) => s.name,
      (i) => ["services", i, "name"],
      "services",
    );
    firstIndex(spec.services, serviceIdentity, (i) => ["services", i], "services (same protocol, address and port)");
    const masters = spec.directors.filter((d) => d.role === "master");
    if (masters.length > 1)
      issue(["directors", spec.directors.indexOf(masters[1] as Director), "role"], "only one director may be master");
    if (spec.vrrp) {
      if (spec.directors.length === 0) issue(["vrrp"], "needs at least one director");
      const delaysPreemption = spec.vrrp.instances.some((i) => i.nopreempt || i.preemptDelay !== undefined);
      const usesAh = spec.vrrp.instances.some((i) => i.authentication?.type === "ah");
      const nopreempt = spec.vrrp.instances.some((instance) => instance.nopreempt);
      spec.directors.forEach((director, i) => {
        if (usesAh && director.role === "master" && director.priority < 255)
          issue(
            ["directors", i, "role"],
            "must be backup when a VRRP instance uses AH authentication, unless priority is 255 (keepalived starts it as BACKUP)",
          );
        else if (delaysPreemption && director.role === "master")
          issue(
            ["directors", i, "role"],
            "must be backup when a VRRP instance has nopreempt or preemptDelay (keepalived ignores them on a MASTER; the highest priority wins)",
          );
        if (nopreempt && director.priority === 255)
          issue(
            ["directors", i, "priority"],
            "cannot be 255 with nopreempt (the address owner always preempts; keepalived resets nopreempt)",
          );
      });
      const owner = new Map<string, number>();
      spec.vrrp.instances.forEach((instance, i) => {
        instance.vips.forEach((vip, j) => {
          if (!spec.vips.includes(vip))
            issue(
              ["vrrp", "instances", i, "vips", j],
              `${vip} is not one of the cluster's vips (${spec.vips.join(", ")})`,
            );
          const first = owner.get(vip);
          if (first !== undefined)
            issue(["vrrp", "instances", i, "vips", j], `is already carried by instances[${first}]`);
          else owner.set(vip, i);
        });
      });
    }
    spec.services.forEach((service, i) => {
      if (service.address !== undefined && !spec.vips.includes(service.address))
        issue(
          ["services", i, "address"],
          `${service.address} is not one of the cluster's vips (${spec.vips.join(", ")})`,
        );
    });
  });
export type ClusterSpec = z.output<typeof ClusterSpec>;
export type ClusterSpecInput = z.input<typeof ClusterSpec>;

/** What makes two virtual services the same IPVS service. */
export function serviceIdentity(
  service: Pick<VirtualService, "protocol" | "address" | "port" | "fwmark" | "family">,
): string {
  return service.protocol === "fwmark"
    ? `fwmark|${service.fwmark}|${serviceFamily(service)}`
    : `${service.protocol}|${service.address}|${service.port}`;
}
