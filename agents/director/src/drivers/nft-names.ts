import {
  FORWARDING_METHODS,
  type ForwardingMethod,
  type IpvsDestinationConfig,
  type IpvsServiceConfig,
  isIpAddress,
  SCHEDULER_FLAGS,
  SCHEDULERS,
  type Scheduler,
  type SchedulerFlag,
} from "@lvsfleet/model";

/**
 * How the nftables data plane names what it creates, and the comments it leaves on its rules
 * (the settings the kernel's own objects cannot hold: configured weights before reduction,
 * persistence timeout, scheduler flags).
 *
 * Per virtual service (sid) and destination (did):
 *   chain s_<sid>        dispatch: a packet of a known connection goes to its server
 *   chain n_<sid>        a new connection: persistence, then the picker (rules on `meta mark`)
 *   chain o_<sid>        a packet of a connection this director never saw: a deterministic pick
 *   chain t_<sid>_<did>  assigns the connection to one real server and forwards (DR) or DNATs (NAT)
 *   set   p_<sid>_<did>  persistence: client networks that stick to the server
 * IPv4 services share, per table and protocol, one connection map (VIP . port . client . port →
 * real server), one closing set and one dispatch chain:
 *   map   conns_<proto>4, set closing_<proto>4, chain d_<proto>4 (DR), chain k_<proto>4 (NAT counting)
 * IPv6 services keep one set per real server (nft 1.0.6 cannot add an element with data to a map
 * whose key is longer than 16 bytes from the packet path: its register allocator asserts):
 *   chain k_<sid>_<did>  (NAT) keeps the connection's entry fresh for counting
 *   set   c_<sid>_<did>  the server's connections, client address . port
 *   set   f_<sid>        connections that saw FIN or RST (IPVS counts them as inactive)
 */

const part = (text: string) => text.replace(/[.:]/g, "_");

export function serviceId(service: Pick<IpvsServiceConfig, "protocol" | "address" | "port" | "family">): string {
  return `${service.family === "inet6" ? "6" : "4"}${service.protocol}_${part(service.address ?? "")}_${service.port ?? 0}`;
}

export function destinationId(destination: Pick<IpvsDestinationConfig, "address" | "port">): string {
  return `${part(destination.address)}_${destination.port}`;
}

export const names = {
  dispatch: (sid: string) => `s_${sid}`,
  fresh: (sid: string) => `n_${sid}`,
  orphan: (sid: string) => `o_${sid}`,
  target: (sid: string, did: string) => `t_${sid}_${did}`,
  keep: (sid: string, did: string) => `k_${sid}_${did}`,
  conns: (sid: string, did: string) => `c_${sid}_${did}`,
  closing: (sid: string) => `f_${sid}`,
  persist: (sid: string, did: string) => `p_${sid}_${did}`,
  /** IPv4, shared by the services of one protocol in one table. */
  sharedConns: (protocol: string) => `conns_${protocol}4`,
  sharedClosing: (protocol: string) => `closing_${protocol}4`,
  sharedDispatch: (protocol: string) => `d_${protocol}4`,
  sharedKeep: (protocol: string) => `k_${protocol}4`,
};

/** The protocols a table's shared IPv4 objects exist for. */
export const SHARED_PROTOCOLS = ["tcp", "udp", "sctp"] as const;

const SERVICE_TAG = "lvs svc";
const DESTINATION_TAG = "lvs dst";

/** `lvs svc tcp 198.18.1.100 80 inet wrr - 60 32`: a service's settings, on the last rule of n_<sid>. */
export function serviceComment(s: IpvsServiceConfig): string {
  return [
    SERVICE_TAG,
    s.protocol,
    s.address,
    s.port,
    s.family,
    s.scheduler,
    s.schedulerFlags.length > 0 ? [...s.schedulerFlags].sort().join(",") : "-",
    s.persistence ? s.persistence.timeout : "-",
    s.persistence ? s.persistence.netmask : "-",
  ].join(" ");
}

/** `lvs dst 198.18.0.11 80 dr 3 0 0`: a destination's settings, on the last rule of t_<sid>_<did>. */
export function destinationComment(d: IpvsDestinationConfig): string {
  return [DESTINATION_TAG, d.address, d.port, d.forwarding, d.weight, d.upperThreshold, d.lowerThreshold].join(" ");
}

const isScheduler = (s: string): s is Scheduler => (SCHEDULERS as readonly string[]).includes(s);
const isFlag = (s: string): s is SchedulerFlag => (SCHEDULER_FLAGS as readonly string[]).includes(s);
const isForwarding = (s: string): s is ForwardingMethod => (FORWARDING_METHODS as readonly string[]).includes(s);
const count = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);

export function parseServiceComment(comment: string): IpvsServiceConfig | undefined {
  if (!comment.startsWith(`${SERVICE_TAG} `)) return undefined;
  const [protocol, address, port, family, scheduler, flags, timeout, netmask] = comment
    .slice(SERVICE_TAG.length + 1)
    .split(" ");
  // the address is rendered back into scripts: only a plain IP address is ours
  if ((protocol !== "tcp" && protocol !== "udp" && protocol !== "sctp") || !address || !isIpAddress(address))
    return undefined;
  if ((family !== "inet" && family !== "inet6") || !scheduler || !isScheduler(scheduler)) return undefined;
  const schedulerFlags = flags && flags !== "-" ? flags.split(",").filter(isFlag) : [];
  const t = count(timeout);
  const m = count(netmask);
  return {
    protocol,
    address,
    port: count(port),
    family,
    scheduler,
    schedulerFlags,
    persistence: t !== undefined && m !== undefined ? { timeout: t, netmask: m } : undefined,
  };
}

export function parseDestinationComment(comment: string): IpvsDestinationConfig | undefined {
  if (!comment.startsWith(`${DESTINATION_TAG} `)) return undefined;
  const [address, port, forwarding, weight, upper, lower] = comment.slice(DESTINATION_TAG.length + 1).split(" ");
  const numbers = [count(port), count(weight), count(upper), count(lower)];
  if (
    !address ||
    !isIpAddress(address) ||
    !forwarding ||
    !isForwarding(forwarding) ||
    numbers.some((n) => n === undefined)
  )
    return undefined;
  const [p, w, u, l] = numbers as number[];
  return {
    address,
    port: p as number,
    forwarding,
    weight: w as number,
    upperThreshold: u as number,
    lowerThreshold: l as number,
  };
}
