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
import { destinationComment, destinationId, names, SHARED_PROTOCOLS, serviceComment, serviceId } from "./nft-names.ts";
import { type Candidate, NFT_SCHEDULERS, orphanRules, pickRules } from "./nft-schedule.ts";

/**
 * The nftables data plane as nft commands (pure). DR lives in a `netdev` table whose ingress
 * chain on the VIP interface sends each packet of a connection to its real server's MAC with
 * `fwd ip to RIP device IF` — the packet keeps the VIP as destination, as in LVS-DR, and never
 * reaches the director's IP stack. NAT lives in an `inet` table: DNAT in prerouting, with
 * conntrack keeping each connection on its server.
 *
 * Each connection's server is remembered by the kernel, so weight changes (one atomic `nft -f`
 * that rewrites the service's chains) never move an existing connection. IPv4: one connection
 * map per table and protocol, `VIP . port . client . port : real server`, consulted by one shared
 * dispatch chain (`fwd ip to <key> map @conns_tcp4`). Shared, because the kernel's cost of a
 * transaction grows with the sets it names and the map lookups bound to one set: per-service
 * maps cost 27.1 s at 2,000 services × 10 (a list walk per named set reference), one map looked
 * up from every service's chain 15.5 s (a walk of the set's bindings per lookup), one map looked
 * up from one shared chain 2.8 s — and 6.4 s at 4,000, linear (docs/benchmarks.md). IPv6: one set
 * per real server (see nft-names.ts for why).
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
  /** As the kernel forwards it: a destination whose own rules differ from its settings is left out. */
  service: IpvsService;
  method: Method;
  chains: string[];
  sets: string[];
  /**
   * false: the service's own rules (dispatch, picker, its element in the service map) differ from
   * what its settings render — changed by hand. It is left out of the observed table, so that
   * the planner creates it again; its chains and sets are still here, to be rewritten.
   */
  intact: boolean;
  /** Whether the service map has an element for it (whatever its verdict). */
  element: boolean;
}

/** What exists in nftables now, read back by nft-observe. */
export interface NftState {
  drTable: boolean;
  natTable: boolean;
  services: Map<string, ObservedService>;
  /** `netdev lvsfleet s_…`: chains of ours that belong to no service read back (emptied before reuse). */
  stray?: ReadonlySet<string> | undefined;
  /**
   * Whether each table's base (service maps, connection maps, shared chains) is there as rendered:
   * then a change writes only its services. Unknown (undefined) counts as not there.
   */
  base?: { dr: boolean; nat: boolean } | undefined;
}

export const EMPTY_STATE: NftState = { drTable: false, natTable: false, services: new Map() };

/** The table the planner sees: the intact services. */
export function tableOfState(state: NftState): IpvsTable {
  return { services: [...state.services.values()].filter((s) => s.intact).map((s) => s.service) };
}

const TCP_TIMEOUT = 900;
const UDP_TIMEOUT = 300;
const CLOSING_TIMEOUT = 120;
const SET_SIZE = 262144;
/** Connections per protocol in one table (IPv4, shared map). */
const SHARED_SIZE = 4194304;

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
  /** IPv4: the connection is in the shared map, keyed with the service. */
  shared: boolean;
  /** The connection key: (VIP . port .) client address . client port. */
  key: string;
  keyType: string;
  tcp: boolean;
}

const SHARED_KEY = "ip daddr . th dport . ip saddr . th sport";

function context(service: IpvsService, layout: NftLayout): Ctx {
  const method = methodOf(service);
  const ip = service.family === "inet6" ? "ip6" : "ip";
  const shared = ip === "ip";
  return {
    layout,
    service,
    method,
    sid: serviceId(service),
    table: `${method === "dr" ? "netdev" : "inet"} ${layout.table}`,
    ip,
    shared,
    key: shared ? SHARED_KEY : `${ip} saddr . th sport`,
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
  // The picker left its value in the packet's mark: clear it before routing sees it.
  return `meta mark set 0 meta l4proto ${c.service.protocol} dnat ${c.ip} to ${to}`;
}

const conns = (c: Ctx, d: IpvsDestinationConfig) => names.conns(c.sid, destinationId(d));
const target = (c: Ctx, d: IpvsDestinationConfig) => names.target(c.sid, destinationId(d));
const keeper = (c: Ctx, d: IpvsDestinationConfig) => names.keep(c.sid, destinationId(d));
const persist = (c: Ctx, d: IpvsDestinationConfig) => names.persist(c.sid, destinationId(d));

/** The chains and sets a service owns (shared objects are the table's). */
export function objectsOf(service: IpvsService, layout: NftLayout): { chains: string[]; sets: string[] } {
  const c = context(service, layout);
  const ds = service.destinations;
  return {
    chains: [
      names.dispatch(c.sid),
      names.fresh(c.sid),
      ...(c.tcp ? [names.orphan(c.sid)] : []),
      ...ds.map((d) => target(c, d)),
      ...(c.method === "nat" && !c.shared ? ds.map((d) => keeper(c, d)) : []),
    ],
    sets: [
      ...(c.shared ? [] : ds.map((d) => conns(c, d))),
      ...(c.tcp && !c.shared ? [names.closing(c.sid)] : []),
      ...(service.persistence ? ds.map((d) => persist(c, d)) : []),
    ],
  };
}

/** `svc4 { 198.18.1.100 . tcp . 80` (the service's element in its table's service map, unclosed). */
export function serviceElement(service: IpvsService, layout: NftLayout): { map: string; key: string } {
  const c = context(service, layout);
  const map = c.method === "dr" ? (c.ip === "ip" ? "svc4" : "svc6") : c.ip === "ip" ? "nat4" : "nat6";
  return { map, key: `${service.address} . ${service.protocol} . ${service.port}` };
}

function countElement(c: Ctx, d: IpvsDestinationConfig): string {
  return `cnt6 { ${d.address} . ${c.service.protocol} . ${d.port} . ${c.service.address}`;
}

/** What one service is in nftables: its chains' rules, and the elements it adds to the table's maps. */
export interface ServiceRules {
  /** Chain → its rules, in order (every chain of objectsOf, maybe with no rules). */
  chains: Map<string, string[]>;
  /** `add element …` lines (the service map, IPv6 NAT count elements). */
  elements: string[];
  /** `add set …` lines. */
  sets: string[];
}

/** The rules of a service (pure): what render writes and what observe compares the kernel with. */
export function serviceRules(service: IpvsService, layout: NftLayout): ServiceRules {
  const c = context(service, layout);
  const { sid, key, table } = c;
  const ds = service.destinations;
  const objects = objectsOf(service, layout);
  const chains = new Map<string, string[]>(objects.chains.map((name) => [name, []]));
  const elements: string[] = [];
  const add = (chain: string, rule: string) => chains.get(chain)?.push(rule);
  const closing = names.closing(sid);
  const syn = "tcp flags & (syn | ack) == syn";
  const finOrRst = "tcp flags & (fin | rst) != 0";
  const dispatch = names.dispatch(sid);
  const fresh = names.fresh(sid);

  // s_: dispatch
  if (c.shared) {
    const map = names.sharedConns(service.protocol);
    if (c.method === "dr") add(dispatch, `jump ${names.sharedDispatch(service.protocol)}`);
    else {
      // NAT: only the first packet of each conntrack entry gets here: a new connection.
      const none = "0.0.0.0 . 0";
      add(
        dispatch,
        `delete @${map} { ${key} : ${none} }${c.tcp ? ` delete @${names.sharedClosing(service.protocol)} { ${key} }` : ""}`,
      );
    }
    if (c.tcp) {
      add(
        dispatch,
        c.method === "dr" ? `${syn} goto ${fresh}` : `tcp flags & (syn | ack) != syn goto ${names.orphan(sid)}`,
      );
      add(dispatch, c.method === "dr" ? `goto ${names.orphan(sid)}` : `goto ${fresh}`);
    } else add(dispatch, `goto ${fresh}`);
  } else {
    const deleteAll = [
      ...ds.map((d) => `delete @${conns(c, d)} { ${key} }`),
      ...(c.tcp ? [`delete @${closing} { ${key} }`] : []),
    ];
    if (c.method === "dr") {
      // A new connection on a port whose previous connection closed is scheduled again (conn_reuse_mode=1).
      if (c.tcp) add(dispatch, `${key} @${closing} ${syn} ${deleteAll.join(" ")} goto ${fresh}`);
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
        add(dispatch, `${syn} goto ${fresh}`);
        add(dispatch, `goto ${names.orphan(sid)}`);
      } else add(dispatch, `goto ${fresh}`);
    } else {
      if (deleteAll.length > 0) add(dispatch, deleteAll.join(" "));
      if (c.tcp) add(dispatch, `tcp flags & (syn | ack) != syn goto ${names.orphan(sid)}`);
      add(dispatch, `goto ${fresh}`);
    }
  }

  // n_: persistence, then the scheduler
  const candidates: Candidate[] = ds.map((d) => ({ target: target(c, d), weight: d.weight }));
  if (service.persistence)
    for (const d of ds.filter((d) => d.weight > 0))
      add(fresh, `${persistKey(c)} @${persist(c, d)} goto ${target(c, d)}`);
  for (const rule of pickRules(service, candidates)) add(fresh, rule);
  add(fresh, `drop comment "${serviceComment(service)}"`);

  // o_: a connection this director never saw
  if (c.tcp) {
    for (const rule of orphanRules(service, candidates)) add(names.orphan(sid), rule);
    add(names.orphan(sid), "drop");
  }

  // t_: assign and forward; k_ (IPv6 NAT): keep connections counted
  for (const d of ds) {
    const remember = service.persistence
      ? ` update @${persist(c, d)} { ${persistKey(c)} timeout ${service.persistence.timeout}s }`
      : "";
    const assign = c.shared
      ? `add @${names.sharedConns(service.protocol)} { ${key} : ${c.method === "dr" ? d.address : `${d.address} . ${d.port}`} }`
      : `add @${conns(c, d)} { ${key} }`;
    add(target(c, d), `${assign}${remember} ${forward(c, d)} comment "${destinationComment(d)}"`);
    if (c.method === "nat" && !c.shared) {
      const k = keeper(c, d);
      if (c.tcp) {
        add(
          k,
          `${finOrRst} update @${conns(c, d)} { ${key} timeout ${CLOSING_TIMEOUT}s } add @${closing} { ${key} } return`,
        );
        add(k, `${key} @${closing} return`);
      }
      add(k, `update @${conns(c, d)} { ${key} }`);
      elements.push(`add element ${table} ${countElement(c, d)} : jump ${k} }`);
    }
  }
  const element = serviceElement(service, layout);
  elements.unshift(`add element ${table} ${element.map} { ${element.key} : jump ${dispatch} }`);
  return { chains, elements, sets: objects.sets.map((name) => setDefinition(c, name)) };
}

function setDefinition(c: Ctx, name: string): string {
  const closing = name === names.closing(c.sid);
  const persistent = name.startsWith("p_");
  const type = persistent ? (c.ip === "ip" ? "ipv4_addr" : "ipv6_addr") : c.keyType;
  // Set definitions never change (re-adding one must be a no-op): persistence timeouts go on each element.
  const timeout = closing ? CLOSING_TIMEOUT : persistent ? UDP_TIMEOUT : c.tcp ? TCP_TIMEOUT : UDP_TIMEOUT;
  return `add set ${c.table} ${name} { type ${type} ; size ${SET_SIZE} ; flags dynamic,timeout ; timeout ${timeout}s ; }`;
}

const timeoutOf = (protocol: string) => (protocol === "tcp" ? TCP_TIMEOUT : UDP_TIMEOUT);

/** The base chains of a table with their rules: what render writes and what observe compares. */
export function baseChains(method: Method, layout: NftLayout): Map<string, string[]> {
  const k = SHARED_KEY;
  const out = new Map<string, string[]>();
  if (method === "dr") {
    out.set("ingress", [
      "ip daddr . meta l4proto . th dport vmap @svc4",
      "ip6 daddr . meta l4proto . th dport vmap @svc6",
    ]);
    for (const p of SHARED_PROTOCOLS) {
      const map = names.sharedConns(p);
      const fwd = `fwd ip to ${k} map @${map} device "${layout.device}"`;
      const closing = names.sharedClosing(p);
      out.set(
        names.sharedDispatch(p),
        p === "tcp"
          ? [
              // A new connection on a port whose previous connection closed is scheduled again (conn_reuse_mode=1).
              `${k} @${closing} tcp flags & (syn | ack) == syn delete @${map} { ${k} : 0.0.0.0 } delete @${closing} { ${k} } return`,
              `${k} @${map} tcp flags & (fin | rst) != 0 update @${map} { ${k} timeout ${CLOSING_TIMEOUT}s : 0.0.0.0 } add @${closing} { ${k} } ${fwd}`,
              `${k} @${closing} ${fwd}`,
              `${k} @${map} update @${map} { ${k} : 0.0.0.0 } ${fwd}`,
            ]
          : [`${k} @${map} update @${map} { ${k} : 0.0.0.0 } ${fwd}`],
      );
    }
  } else {
    out.set("nat", ["ip daddr . meta l4proto . th dport vmap @nat4", "ip6 daddr . meta l4proto . th dport vmap @nat6"]);
    out.set("count", ["ct direction original ip6 daddr . meta l4proto . th dport . ct original ip6 daddr vmap @cnt6"]);
    out.set(
      "track",
      SHARED_PROTOCOLS.map(
        (p) =>
          `ct direction original meta l4proto ${p} ip daddr . th dport . ip saddr . th sport @${names.sharedConns(p)} jump ${names.sharedKeep(p)}`,
      ),
    );
    for (const p of SHARED_PROTOCOLS) {
      const map = names.sharedConns(p);
      const closing = names.sharedClosing(p);
      const none = "0.0.0.0 . 0";
      out.set(
        names.sharedKeep(p),
        p === "tcp"
          ? [
              `tcp flags & (fin | rst) != 0 update @${map} { ${k} timeout ${CLOSING_TIMEOUT}s : ${none} } add @${closing} { ${k} } return`,
              `${k} @${closing} return`,
              `update @${map} { ${k} : ${none} }`,
            ]
          : [`update @${map} { ${k} : ${none} }`],
      );
    }
  }
  return out;
}

function base(method: Method, layout: NftLayout): string[] {
  const family = method === "dr" ? "netdev" : "inet";
  const t = `${family} ${layout.table}`;
  const key = "ipv4_addr . inet_service . ipv4_addr . inet_service";
  const lines = [`add table ${t}`];
  const shared = SHARED_PROTOCOLS.flatMap((p) => [
    `add map ${t} ${names.sharedConns(p)} { type ${key} : ${method === "dr" ? "ipv4_addr" : "ipv4_addr . inet_service"} ; size ${SHARED_SIZE} ; flags dynamic,timeout ; timeout ${timeoutOf(p)}s ; }`,
    ...(p === "tcp"
      ? [
          `add set ${t} ${names.sharedClosing(p)} { type ${key} ; size ${SHARED_SIZE} ; flags dynamic,timeout ; timeout ${CLOSING_TIMEOUT}s ; }`,
        ]
      : []),
  ]);
  if (method === "dr")
    lines.push(
      `add map ${t} svc4 { type ipv4_addr . inet_proto . inet_service : verdict ; }`,
      `add map ${t} svc6 { type ipv6_addr . inet_proto . inet_service : verdict ; }`,
      ...shared,
      `add chain ${t} ingress { type filter hook ingress device "${layout.device}" priority -150 ; policy accept ; }`,
    );
  else
    lines.push(
      `add map ${t} nat4 { type ipv4_addr . inet_proto . inet_service : verdict ; }`,
      `add map ${t} nat6 { type ipv6_addr . inet_proto . inet_service : verdict ; }`,
      `add map ${t} cnt6 { type ipv6_addr . inet_proto . inet_service . ipv6_addr : verdict ; }`,
      ...shared,
      `add chain ${t} nat { type nat hook prerouting priority dstnat ; policy accept ; }`,
      `add chain ${t} count { type filter hook prerouting priority filter ; policy accept ; }`,
      // Before DNAT, so that the packet still carries the VIP and port the connection map is keyed with.
      `add chain ${t} track { type filter hook prerouting priority mangle ; policy accept ; }`,
    );
  const chains = baseChains(method, layout);
  for (const chain of chains.keys())
    if (!/^(ingress|nat|count|track)$/.test(chain)) lines.push(`add chain ${t} ${chain}`);
  // Flushed and written again: the shared chains are always as rendered (a hand edit is repaired).
  for (const [chain, rules] of chains) {
    lines.push(`flush chain ${t} ${chain}`);
    for (const rule of rules) lines.push(`add rule ${t} ${chain} ${rule}`);
  }
  return lines;
}

/**
 * The nft script that takes nftables from `state` to `next` for the services in `changed` (pure),
 * as one or more transactions: every service is whole in the transaction that writes it (its
 * chains emptied and written again, its element in the service map), so that nothing is ever
 * half-installed between two `nft -f`. Sets of servers that stay are kept, and so are their
 * connections. Returns [] when there is nothing to do.
 */
export function renderTransactions(
  state: NftState,
  next: IpvsTable,
  changed: ReadonlySet<string>,
  layout: NftLayout,
  servicesPerTransaction = Number.POSITIVE_INFINITY,
): string[] {
  return renderBatches(state, next, changed, layout, { servicesPerTransaction }).map((b) => b.script);
}

/** One transaction: its script and the services it writes whole. */
export interface Batch {
  script: string;
  keys: string[];
}

export interface BatchOptions {
  servicesPerTransaction?: number | undefined;
  /**
   * Whether each table still has services after the change. By default from `next`, which must
   * then be the whole table; a caller that passes only the changed services says it here.
   */
  remaining?: { dr: boolean; nat: boolean } | undefined;
}

/** renderTransactions, with the services each transaction writes (for progress and the driver's cache). */
export function renderBatches(
  state: NftState,
  next: IpvsTable,
  changed: ReadonlySet<string>,
  layout: NftLayout,
  options: BatchOptions = {},
): Batch[] {
  const servicesPerTransaction = options.servicesPerTransaction ?? Number.POSITIVE_INFINITY;
  const wanted = new Map(next.services.map((s) => [serviceKey(s), s]));
  const keepDr = options.remaining?.dr ?? next.services.some((s) => methodOf(s) === "dr");
  const keepNat = options.remaining?.nat ?? next.services.some((s) => methodOf(s) === "nat");
  const batches: { lines: string[]; keys: string[] }[] = [];
  let batch: string[] = [];
  let keys: string[] = [];
  let inBatch = 0;
  const needsBase = { dr: false, nat: false };

  for (const key of changed) {
    const old = state.services.get(key);
    const now = wanted.get(key);
    const lines: string[] = [];
    const sameMethod = old !== undefined && now !== undefined && old.method === methodOf(now);
    if (old && !(old.method === "dr" ? keepDr : keepNat)) {
      // Its whole table goes (at the end).
    } else if (old) {
      const c = context(old.service, layout);
      if (old.method === "nat" && !c.shared)
        for (const d of old.service.destinations) lines.push(`delete element ${c.table} ${countElement(c, d)} }`);
      if (!sameMethod) {
        const element = serviceElement(old.service, layout);
        lines.push(`delete element ${c.table} ${element.map} { ${element.key} }`);
      }
      const keep = sameMethod && now ? objectsOf(now, layout) : { chains: [], sets: [] };
      for (const chain of old.chains) lines.push(`flush chain ${c.table} ${chain}`);
      for (const chain of old.chains.filter((x) => !keep.chains.includes(x)))
        lines.push(`delete chain ${c.table} ${chain}`);
      for (const set of old.sets.filter((x) => !keep.sets.includes(x))) lines.push(`delete set ${c.table} ${set}`);
    }
    if (now) {
      const c = context(now, layout);
      const rules = serviceRules(now, layout);
      needsBase[c.method] = true;
      lines.push(...rules.sets);
      for (const chain of rules.chains.keys()) {
        lines.push(`add chain ${c.table} ${chain}`);
        // A chain of ours that no service owned (its service's settings rule was removed by hand): emptied.
        if (state.stray?.has(`${c.table} ${chain}`)) lines.push(`flush chain ${c.table} ${chain}`);
      }
      for (const [chain, chainRules] of rules.chains)
        for (const rule of chainRules) lines.push(`add rule ${c.table} ${chain} ${rule}`);
      // The element last: a service becomes reachable when its chains are complete. One that exists
      // with another verdict (changed by hand) is deleted first: `add` of it would fail.
      const intact = sameMethod && old?.intact === true;
      if (!intact && sameMethod && old?.element) {
        const element = serviceElement(now, layout);
        lines.push(`delete element ${c.table} ${element.map} { ${element.key} }`);
      }
      lines.push(...(intact ? rules.elements.slice(1) : rules.elements));
    }
    if (lines.length === 0) continue;
    batch.push(...lines);
    keys.push(key);
    inBatch++;
    if (inBatch >= servicesPerTransaction) {
      batches.push({ lines: batch, keys });
      batch = [];
      keys = [];
      inBatch = 0;
    }
  }
  if (batch.length > 0) batches.push({ lines: batch, keys });
  const dropTables = [
    ...(!keepDr && state.drTable ? [`delete table netdev ${layout.table}`] : []),
    ...(!keepNat && state.natTable ? [`delete table inet ${layout.table}`] : []),
  ];
  if (batches.length === 0 && dropTables.length === 0) return [];
  if (batches.length === 0) return [{ script: `${dropTables.join("\n")}\n`, keys: [...changed] }];
  const baseLines = [
    ...(keepDr && needsBase.dr && !state.base?.dr ? base("dr", layout) : []),
    ...(keepNat && needsBase.nat && !state.base?.nat ? base("nat", layout) : []),
  ];
  // The base goes with the first transaction (the shared maps and chains every service uses).
  const first = batches[0];
  if (first) first.lines.unshift(...baseLines);
  batches.at(-1)?.lines.push(...dropTables);
  return batches.map((b) => ({ script: `${b.lines.join("\n")}\n`, keys: b.keys }));
}

/** The whole transition as one transaction (one script). */
export function renderTransition(
  state: NftState,
  next: IpvsTable,
  changed: ReadonlySet<string>,
  layout: NftLayout,
): string {
  return renderTransactions(state, next, changed, layout).join("");
}
