import { type AddressFamily, addressFamily, maxPrefixLength } from "./address.ts";
import type { ForwardingMethod } from "./forwarding.ts";
import type { Protocol } from "./protocol.ts";
import type { Scheduler, SchedulerFlag } from "./scheduler.ts";
import { type ClusterSpec, serviceFamily, type VirtualService } from "./spec.ts";

/**
 * The IPVS table as the kernel holds it: what `ipvsadm -Sn` saves and `ipvsadm -Ln` lists.
 * The desired table comes from a ClusterSpec; the observed one from a driver.
 */
export interface IpvsTable {
  services: IpvsService[];
}

/** A virtual service's settings, without its destinations (what `ipvsadm -A`/`-E` sets). */
export interface IpvsServiceConfig {
  protocol: Protocol;
  /** Absent for fwmark services. */
  address?: string | undefined;
  port?: number | undefined;
  fwmark?: number | undefined;
  family: AddressFamily;
  scheduler: Scheduler;
  schedulerFlags: SchedulerFlag[];
  /** Present when the service is persistent; netmask is a prefix length. */
  persistence?: { timeout: number; netmask: number } | undefined;
  /** One-packet scheduling (`ipvsadm -o`, UDP only): every datagram is scheduled on its own. */
  onePacket?: boolean | undefined;
}

export interface IpvsService extends IpvsServiceConfig {
  destinations: IpvsDestination[];
  /** Counters since the service was added (`ipvsadm -Ln --stats`), when the source reports them. */
  stats?: IpvsStats | undefined;
  /** Rate estimates (`ipvsadm -Ln --rate`), when the source reports them. */
  rates?: IpvsRates | undefined;
}

/** Cumulative counters, as `ipvsadm -Ln --stats` shows them. */
export interface IpvsStats {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

/** Rate estimates per second, as `ipvsadm -Ln --rate` shows them. */
export interface IpvsRates {
  cps: number;
  inPps: number;
  outPps: number;
  inBps: number;
  outBps: number;
}

/** Tunnel encapsulation of an LVS-TUN destination (`--tun-type`, `--tun-port`, `--tun-*csum`). */
export interface IpvsTunnel {
  type: "ipip" | "gue" | "gre";
  /** Destination UDP port of the encapsulation (gue only). */
  port?: number | undefined;
  /** Checksum mode (gue and gre). */
  checksum?: "nocsum" | "csum" | "remcsum" | undefined;
}

/** A real server's settings (what `ipvsadm -a`/`-e` sets). */
export interface IpvsDestinationConfig {
  address: string;
  port: number;
  forwarding: ForwardingMethod;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  /** Encapsulation of a `tun` destination; absent means ipip, the kernel's default. */
  tunnel?: IpvsTunnel | undefined;
}

/** Connection counts as `ipvsadm -Ln` shows them. */
export interface ConnectionCounts {
  activeConns: number;
  inactConns: number;
  persistConns: number;
}

export interface IpvsDestination extends IpvsDestinationConfig, ConnectionCounts {
  stats?: IpvsStats | undefined;
  rates?: IpvsRates | undefined;
}

export const NO_CONNECTIONS: ConnectionCounts = { activeConns: 0, inactConns: 0, persistConns: 0 };

/** Identity of a service in the table: protocol, address and port, or fwmark and family. */
export function serviceKey(
  service: Pick<IpvsServiceConfig, "protocol" | "address" | "port" | "fwmark" | "family">,
): string {
  return service.protocol === "fwmark"
    ? `fwmark|${service.fwmark}|${service.family}`
    : `${service.protocol}|${service.address}|${service.port}`;
}

export function destinationKey(destination: Pick<IpvsDestinationConfig, "address" | "port">): string {
  return `${destination.address}|${destination.port}`;
}

/** The table every director of the cluster should hold. */
export function desiredTable(spec: ClusterSpec): IpvsTable {
  return { services: spec.services.map(desiredService) };
}

export function desiredService(service: VirtualService): IpvsService {
  const family = serviceFamily(service);
  return {
    protocol: service.protocol,
    address: service.address,
    port: service.port,
    fwmark: service.fwmark,
    family,
    scheduler: service.scheduler,
    schedulerFlags: [...service.schedulerFlags].sort(),
    persistence: service.persistence && {
      timeout: service.persistence.timeout,
      netmask: service.persistence.netmask ?? maxPrefixLength(family),
    },
    destinations: service.realServers.map((rs) => ({
      address: rs.address,
      port: rs.port,
      forwarding: rs.forwarding ?? service.forwarding,
      weight: rs.weight,
      upperThreshold: rs.upperThreshold,
      lowerThreshold: rs.lowerThreshold,
      ...NO_CONNECTIONS,
    })),
  };
}

export function serviceConfigOf(service: IpvsServiceConfig): IpvsServiceConfig {
  return {
    protocol: service.protocol,
    address: service.address,
    port: service.port,
    fwmark: service.fwmark,
    family: service.family,
    scheduler: service.scheduler,
    schedulerFlags: service.schedulerFlags,
    persistence: service.persistence,
    ...(service.onePacket ? { onePacket: true } : {}),
  };
}

/**
 * A tunnel destination's encapsulation in its normal form: undefined for ipip (the kernel's
 * default, which `ipvsadm -Sn` and `-Ln --tun-info` print without options) and for destinations
 * that do not tunnel; gue and gre with their checksum mode (nocsum when unset), gue with its port.
 */
export function tunnelOf(d: Pick<IpvsDestinationConfig, "forwarding" | "tunnel">): IpvsTunnel | undefined {
  const t = d.tunnel;
  if (d.forwarding !== "tun" || !t || t.type === "ipip") return undefined;
  return t.type === "gue"
    ? { type: "gue", port: t.port, checksum: t.checksum ?? "nocsum" }
    : { type: "gre", checksum: t.checksum ?? "nocsum" };
}

export function destinationConfigOf(d: IpvsDestinationConfig): IpvsDestinationConfig {
  const tunnel = tunnelOf(d);
  return {
    address: d.address,
    port: d.port,
    forwarding: d.forwarding,
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
    ...(tunnel ? { tunnel } : {}),
  };
}

/** The same scheduler flags in any order (the common case, the same order or none, without sorting). */
function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  if (a.every((flag, i) => flag === b[i])) return true;
  return [...a].sort().join(",") === [...b].sort().join(",");
}

export function sameServiceConfig(a: IpvsServiceConfig, b: IpvsServiceConfig): boolean {
  return (
    a.scheduler === b.scheduler &&
    sameFlags(a.schedulerFlags, b.schedulerFlags) &&
    a.persistence?.timeout === b.persistence?.timeout &&
    a.persistence?.netmask === b.persistence?.netmask &&
    !!a.onePacket === !!b.onePacket
  );
}

export function sameDestinationConfig(a: IpvsDestinationConfig, b: IpvsDestinationConfig): boolean {
  const ta = tunnelOf(a);
  const tb = tunnelOf(b);
  return (
    a.forwarding === b.forwarding &&
    a.weight === b.weight &&
    a.upperThreshold === b.upperThreshold &&
    a.lowerThreshold === b.lowerThreshold &&
    ta?.type === tb?.type &&
    ta?.port === tb?.port &&
    ta?.checksum === tb?.checksum
  );
}

export { addressFamily };
