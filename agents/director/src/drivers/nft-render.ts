import {
  addressFamily,
  formatEndpoint,
  type IpvsDestinationConfig,
  type IpvsService,
  type IpvsTable,
  maxPrefixLength,
  netmaskOfPrefixLength,
  serviceKey,
} from "@lvsfleet/model";
import { destinationComment, destinationId, names, serviceComment, serviceId } from "./nft-names.ts";
import { type Candidate, NFT_SCHEDULERS, orphanRule, pickRule } from "./nft-schedule.ts";

/**
 * The nftables data plane as nft commands (pure). DR lives in a `netdev` table whose ingress
 * chain on the VIP interface sends each packet of a connection to its real server's MAC with
 * `fwd ip to RIP device IF` — the packet keeps the VIP as destination, as in LVS-DR, and never
 * reaches the director's IP stack. NAT lives in an `inet` table: DNAT in prerouting, with
 * conntrack keeping each connection on its server. Both remember each connection's server in
 * dynamic sets (one per server), so weight changes — one atomic `nft -f` that rewrites the
 * service's chains and keeps its sets — never move an existing connection.
 */

export type Method = "dr" | "nat";

export interface NftLayout {
  /** The interface VIP traffic arrives on (DR ingress hook). */
  device: string;
  /** Table name in both families (`lvsfleet`). */
  table: string;
}

/** A service as the kernel holds it, with the chains and sets that belong to it. */
export interface ObservedService {
  service: IpvsService;
  method: Method;
  chains: string[];
  sets: string[];
}

/** What exists in nftables now, read back by nft-observe. */
export interface NftState {
  drTable: boolean;
  natTable: boolean;
  services: Map<string, ObservedService>;
}

export const EMPTY_STATE: NftState = { drTable: false, natTable: false, services: new Map() };

const TCP_TIMEOUT = 900;
const UDP_TIMEOUT = 300;
const CLOSING_TIMEOUT = 120;
const SET_SIZE = 262144;

export function methodOf(service: IpvsService): Method {
  return service.destinations[0]?.forwarding === "nat" ? "nat" : "dr";
}

/** Why the nftables data plane cannot carry a service, in words; empty when it can. */
export function unsupportedReasons(service: IpvsService): string[] {
  const key = `${service.protocol.toUpperCase()} ${service.address ? formatEndpoint(service.address, service.port ?? 0) : `fwmark ${service.fwmark}`}`;
  const reasons: string[] = [];
  if (service.protocol === "fwmark")
    reasons.push(`${key}: fwmark services need kernel IPVS (use --driver ipvs); nftables serves tcp, udp and sctp`);
  if (!NFT_SCHEDULERS.includes(service.scheduler))
    reasons.push(
      `${key}: scheduler ${service.scheduler} is not supported by the nftables driver; it supports ${NFT_SCHEDULERS.join(", ")}`,
    );
  if ((service as { onePacket?: boolean }).onePacket)
    reasons.push(`${key}: one-packet scheduling (-o) is not supported by the nftables driver`);
  const methods = new Set(service.destinations.map((d) => d.forwarding));
  if (methods.has("tun"))
    reasons.push(
      `${key}: LVS-TUN is not supported by the nftables driver; it forwards with dr and nat (or use --driver ipvs)`,
    );
  if (methods.size > 1)
    reasons.push(
      `${key}: the nftables driver needs one forwarding method per service, not ${[...methods].join(" and ")}`,
    );
  for (const d of service.destinations)
    if (d.upperThreshold > 0 || d.lowerThreshold > 0)
      reasons.push(
        `${key} -> ${formatEndpoint(d.address, d.port)}: connection thresholds (-x/-y) are not supported by the nftables driver`,
      );
  return reasons;
}

interface Ctx {
  layout: NftLayout;
  service: IpvsService;
  method: Method;
  sid: string;
  /** `netdev lvsfleet` or `inet lvsfleet` */
  table: string;
  ip: "ip" | "ip6";
  /** The connection key: client address . client port. */
  key: string;
  keyType: string;
  tcp: boolean;
}

function context(service: IpvsService, layout: NftLayout): Ctx {
  const method = methodOf(service);
  const ip = service.family === "inet6" ? "ip6" : "ip";
  return {
    layout,
    service,
    method,
    sid: serviceId(service),
    table: `${method === "dr" ? "netdev" : "inet"} ${layout.table}`,
    ip,
    key: `${ip} saddr . th sport`,
    keyType: `${ip === "ip" ? "ipv4_addr" : "ipv6_addr"} . inet_service`,
    tcp: service.protocol === "tcp",
  };
}

function ipv6Mask(prefix: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    groups.push((bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff).toString(16));
  }
  return groups.join(":");
}

/** The persistence key: the client address, masked to the persistence netmask. */
function persistKey(c: Ctx): string {
  const netmask = c.service.persistence?.netmask ?? maxPrefixLength(c.service.family);
  if (netmask >= maxPrefixLength(c.service.family)) return `${c.ip} saddr`;
  const mask = c.ip === "ip" ? netmaskOfPrefixLength(netmask) : ipv6Mask(netmask);
  return `${c.ip} saddr & ${mask}`;
}

function forward(c: Ctx, d: IpvsDestinationConfig): string {
  if (c.method === "dr") return `fwd ${c.ip} to ${d.address} device "${c.layout.device}"`;
  const to = addressFamily(d.address) === "inet6" ? `[${d.address}]:${d.port}` : `${d.address}:${d.port}`;
  return `meta l4proto ${c.service.protocol} dnat ${c.ip} to ${to}`;
}

const conns = (c: Ctx, d: IpvsDestinationConfig) => names.conns(c.sid, destinationId(d));
const target = (c: Ctx, d: IpvsDestinationConfig) => names.target(c.sid, destinationId(d));
const keeper = (c: Ctx, d: IpvsDestinationConfig) => names.keep(c.sid, destinationId(d));
const persist = (c: Ctx, d: IpvsDestinationConfig) => names.persist(c.sid, destinationId(d));

/** The chains and sets a service needs. */
export function objectsOf(service: IpvsService, layout: NftLayout): { chains: string[]; sets: string[] } {
  const c = context(service, layout);
  const ds = service.destinations;
  return {
    chains: [
      names.dispatch(c.sid),
      names.fresh(c.sid),
      ...(c.tcp ? [names.orphan(c.sid)] : []),
      ...ds.map((d) => target(c, d)),
      ...(c.method === "nat" ? ds.map((d) => keeper(c, d)) : []),
    ],
    sets: [
      ...ds.map((d) => conns(c, d)),
      ...(c.tcp ? [names.closing(c.sid)] : []),
      ...(service.persistence ? ds.map((d) => persist(c, d)) : []),
    ],
  };
}

function serviceElement(c: Ctx): string {
  const map = c.method === "dr" ? (c.ip === "ip" ? "svc4" : "svc6") : c.ip === "ip" ? "nat4" : "nat6";
  return `${map} { ${c.service.address} . ${c.service.protocol} . ${c.service.port}`;
}

function countElement(c: Ctx, d: IpvsDestinationConfig): string {
  return `${c.ip === "ip" ? "cnt4" : "cnt6"} { ${d.address} . ${c.service.protocol} . ${d.port} . ${c.service.address}`;
}

/** The rules of a service's chains and sets (added to chains that exist and are empty). */
function serviceRules(c: Ctx, countKeys: Set<string>): string[] {
  const { service, table, sid, key } = c;
  const ds = service.destinations;
  const out: string[] = [];
  const add = (chain: string, rule: string) => out.push(`add rule ${table} ${chain} ${rule}`);
  const closing = names.closing(sid);
  const syn = "tcp flags & (syn | ack) == syn";
  const finOrRst = "tcp flags & (fin | rst) != 0";
  const deleteAll = [
    ...ds.map((d) => `delete @${conns(c, d)} { ${key} }`),
    ...(c.tcp ? [`delete @${closing} { ${key} }`] : []),
  ];

  // s_: dispatch
  const dispatch = names.dispatch(sid);
  if (c.method === "dr") {
    // A new connection on a port whose previous connection closed is scheduled again (conn_reuse_mode=1).
    if (c.tcp) add(dispatch, `${key} @${closing} ${syn} ${deleteAll.join(" ")} goto ${names.fresh(sid)}`);
    for (const d of ds) {
      if (c.tcp) {
        add(
          dispatch,
          `${key} @${conns(c, d)} ${finOrRst} update @${conns(c, d)} { ${key} timeout ${CLOSING_TIMEOUT}s } add @${closing} { ${key} } ${forward(c, d)}`,
        );
        add(dispatch, `${key} @${conns(c, d)} ${key} @${closing} ${forward(c, d)}`);
      }
      add(dispatch, `${key} @${conns(c, d)} update @${conns(c, d)} { ${key} } ${forward(c, d)}`);
    }
    if (c.tcp) {
      add(dispatch, `${syn} goto ${names.fresh(sid)}`);
      add(dispatch, `goto ${names.orphan(sid)}`);
    } else add(dispatch, `goto ${names.fresh(sid)}`);
  } else {
    // NAT: only the first packet of each conntrack entry gets here.
    if (deleteAll.length > 0) add(dispatch, deleteAll.join(" "));
    if (c.tcp) add(dispatch, `tcp flags & (syn | ack) != syn goto ${names.orphan(sid)}`);
    add(dispatch, `goto ${names.fresh(sid)}`);
  }

  // n_: persistence, then the scheduler
  const candidates: Candidate[] = ds.map((d) => ({ target: target(c, d), weight: d.weight }));
  const fresh = names.fresh(sid);
  if (service.persistence)
    for (const d of ds.filter((d) => d.weight > 0))
      add(fresh, `${persistKey(c)} @${persist(c, d)} goto ${target(c, d)}`);
  const pick = pickRule(service, candidates);
  if (pick) add(fresh, pick);
  add(fresh, `drop comment "${serviceComment(service)}"`);

  // o_: a connection this director never saw
  if (c.tcp) {
    const orphan = orphanRule(service, candidates);
    if (orphan) add(names.orphan(sid), orphan);
    add(names.orphan(sid), "drop");
  }

  // t_: assign and forward; k_: keep NAT connections counted
  for (const d of ds) {
    const remember = service.persistence
      ? ` update @${persist(c, d)} { ${persistKey(c)} timeout ${service.persistence.timeout}s }`
      : "";
    add(target(c, d), `add @${conns(c, d)} { ${key} }${remember} ${forward(c, d)} comment "${destinationComment(d)}"`);
    if (c.method === "nat") {
      const k = keeper(c, d);
      if (c.tcp) {
        add(
          k,
          `${finOrRst} update @${conns(c, d)} { ${key} timeout ${CLOSING_TIMEOUT}s } add @${closing} { ${key} } return`,
        );
        add(k, `${key} @${closing} return`);
      }
      add(k, `update @${conns(c, d)} { ${key} }`);
      const element = countElement(c, d);
      if (!countKeys.has(element)) {
        countKeys.add(element);
        out.push(`add element ${table} ${element} : jump ${k} }`);
      }
    }
  }
  return out;
}

function setDefinition(c: Ctx, name: string): string {
  const closing = name === names.closing(c.sid);
  const persistent = name.startsWith("p_");
  const type = persistent ? (c.ip === "ip" ? "ipv4_addr" : "ipv6_addr") : c.keyType;
  // Set definitions never change (re-adding one must be a no-op): persistence timeouts go on each element.
  const timeout = closing ? CLOSING_TIMEOUT : persistent ? UDP_TIMEOUT : c.tcp ? TCP_TIMEOUT : UDP_TIMEOUT;
  return `add set ${c.table} ${name} { type ${type} ; size ${SET_SIZE} ; flags dynamic,timeout ; timeout ${timeout}s ; }`;
}

function drBase(layout: NftLayout): string[] {
  const t = `netdev ${layout.table}`;
  return [
    `add table ${t}`,
    `add map ${t} svc4 { type ipv4_addr . inet_proto . inet_service : verdict ; }`,
    `add map ${t} svc6 { type ipv6_addr . inet_proto . inet_service : verdict ; }`,
    `add chain ${t} ingress { type filter hook ingress device "${layout.device}" priority -150 ; policy accept ; }`,
    `flush chain ${t} ingress`,
    `add rule ${t} ingress ip daddr . meta l4proto . th dport vmap @svc4`,
    `add rule ${t} ingress ip6 daddr . meta l4proto . th dport vmap @svc6`,
  ];
}

function natBase(layout: NftLayout): string[] {
  const t = `inet ${layout.table}`;
  return [
    `add table ${t}`,
    `add map ${t} nat4 { type ipv4_addr . inet_proto . inet_service : verdict ; }`,
    `add map ${t} nat6 { type ipv6_addr . inet_proto . inet_service : verdict ; }`,
    `add map ${t} cnt4 { type ipv4_addr . inet_proto . inet_service . ipv4_addr : verdict ; }`,
    `add map ${t} cnt6 { type ipv6_addr . inet_proto . inet_service . ipv6_addr : verdict ; }`,
    `add chain ${t} nat { type nat hook prerouting priority dstnat ; policy accept ; }`,
    `flush chain ${t} nat`,
    `add rule ${t} nat ip daddr . meta l4proto . th dport vmap @nat4`,
    `add rule ${t} nat ip6 daddr . meta l4proto . th dport vmap @nat6`,
    `add chain ${t} count { type filter hook prerouting priority filter ; policy accept ; }`,
    `flush chain ${t} count`,
    `add rule ${t} count ct direction original ip daddr . meta l4proto . th dport . ct original ip daddr vmap @cnt4`,
    `add rule ${t} count ct direction original ip6 daddr . meta l4proto . th dport . ct original ip6 daddr vmap @cnt6`,
  ];
}

/**
 * One nft script (one transaction) that takes nftables from `state` to `next`, touching only the
 * services in `changed`. Sets of servers that stay are kept, so their connections stay put.
 * Returns "" when there is nothing to do.
 */
export function renderTransition(
  state: NftState,
  next: IpvsTable,
  changed: ReadonlySet<string>,
  layout: NftLayout,
): string {
  const wanted = new Map(next.services.map((s) => [serviceKey(s), s]));
  const keepDr = next.services.some((s) => methodOf(s) === "dr");
  const keepNat = next.services.some((s) => methodOf(s) === "nat");
  const removals: string[] = [];
  const creations: string[] = [];
  const countKeys = new Set<string>();
  // NAT count elements of services that do not change stay; new ones must not collide with them.
  for (const [key, observed] of state.services)
    if (!changed.has(key) && observed.method === "nat" && wanted.has(key)) {
      const c = context(observed.service, layout);
      for (const d of observed.service.destinations) countKeys.add(countElement(c, d));
    }

  for (const key of changed) {
    const old = state.services.get(key);
    const now = wanted.get(key);
    const sameMethod = old !== undefined && now !== undefined && old.method === methodOf(now);
    if (old && !(old.method === "dr" ? keepDr : keepNat)) {
      // Its whole table goes (below).
    } else if (old) {
      const c = context(old.service, layout);
      if (old.method === "nat")
        for (const d of old.service.destinations) removals.push(`delete element ${c.table} ${countElement(c, d)} }`);
      if (!sameMethod) removals.push(`delete element ${c.table} ${serviceElement(c)} }`);
      const keep = sameMethod && now ? objectsOf(now, layout) : { chains: [], sets: [] };
      for (const chain of old.chains) removals.push(`flush chain ${c.table} ${chain}`);
      for (const chain of old.chains.filter((x) => !keep.chains.includes(x)))
        removals.push(`delete chain ${c.table} ${chain}`);
      for (const set of old.sets.filter((x) => !keep.sets.includes(x))) removals.push(`delete set ${c.table} ${set}`);
    }
    if (now) {
      const c = context(now, layout);
      const objects = objectsOf(now, layout);
      for (const set of objects.sets) creations.push(setDefinition(c, set));
      for (const chain of objects.chains) creations.push(`add chain ${c.table} ${chain}`);
      if (!sameMethod) creations.push(`add element ${c.table} ${serviceElement(c)} : jump ${names.dispatch(c.sid)} }`);
      creations.push(...serviceRules(c, countKeys));
    }
  }
  const dropTables = [
    ...(!keepDr && state.drTable ? [`delete table netdev ${layout.table}`] : []),
    ...(!keepNat && state.natTable ? [`delete table inet ${layout.table}`] : []),
  ];
  if (removals.length === 0 && creations.length === 0 && dropTables.length === 0) return "";
  const lines = [
    ...(keepDr && creations.length > 0 ? drBase(layout) : []),
    ...(keepNat && creations.length > 0 ? natBase(layout) : []),
    ...removals,
    ...creations,
    ...dropTables,
  ];
  return `${lines.join("\n")}\n`;
}
