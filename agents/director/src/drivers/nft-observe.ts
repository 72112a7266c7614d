import { type IpvsDestination, type IpvsService, serviceKey } from "@lvsfleet/model";
import {
  destinationId,
  names,
  parseDestinationComment,
  parseServiceComment,
  SHARED_PROTOCOLS,
  serviceId,
} from "./nft-names.ts";
import {
  baseChains,
  type Method,
  type NftLayout,
  type NftState,
  type ObservedService,
  serviceElement,
  serviceRules,
} from "./nft-render.ts";
import { signatureOfJson, signatureOfText } from "./nft-signature.ts";

type Json = Record<string, unknown>;

interface Rule {
  expr: unknown[];
  comment: string | undefined;
}

/** One lvsfleet table's objects, indexed. */
interface Listing {
  /** Chain name → its rules, in order (a chain with no rules is listed with []). */
  chains: Map<string, Rule[]>;
  /** Set or map name → its elements as listed. */
  sets: Map<string, unknown[]>;
}

function listing(items: readonly Json[]): Listing {
  const out: Listing = { chains: new Map(), sets: new Map() };
  for (const item of items) {
    const chain = item.chain as { name?: string } | undefined;
    if (chain?.name && !out.chains.has(chain.name)) out.chains.set(chain.name, []);
    const set = (item.set ?? item.map) as { name?: string; elem?: unknown[] } | undefined;
    if (set?.name) out.sets.set(set.name, set.elem ?? []);
    const rule = item.rule as { chain?: string; comment?: string; expr?: unknown[] } | undefined;
    if (rule?.chain) {
      const rules = out.chains.get(rule.chain) ?? [];
      rules.push({ expr: rule.expr ?? [], comment: rule.comment });
      out.chains.set(rule.chain, rules);
    }
  }
  return out;
}

/** An element's key (and a map element's data) as comparable strings. */
function elementParts(element: unknown): { key: string; data: string | undefined } {
  const [k, d] = Array.isArray(element) ? element : [element, undefined];
  const inner = (k as { elem?: { val?: unknown } } | null)?.elem;
  const val = inner && typeof inner === "object" && "val" in inner ? inner.val : k;
  const text = (v: unknown): string => {
    if (typeof v !== "object" || v === null) return String(v);
    const concat = (v as { concat?: unknown[] } | null)?.concat;
    if (concat) return concat.map(text).join(" . ");
    const jump = (v as { jump?: { target?: string } } | null)?.jump;
    if (jump) return `jump ${jump.target}`;
    return String(v);
  };
  return { key: text(val), data: d === undefined ? undefined : text(d) };
}

const chainSignature = (rules: readonly string[]) => rules.map(signatureOfText).join("\n");
const listedSignature = (rules: readonly Rule[] | undefined) =>
  rules === undefined ? undefined : rules.map((r) => signatureOfJson(r.expr)).join("\n");

/** Connections per service and server (IPv4: the shared maps), `proto|vip|port` → value → counts. */
function sharedCounts(l: Listing, method: Method): Map<string, Map<string, { active: number; inactive: number }>> {
  const out = new Map<string, Map<string, { active: number; inactive: number }>>();
  for (const protocol of SHARED_PROTOCOLS) {
    const closing = new Set((l.sets.get(names.sharedClosing(protocol)) ?? []).map((e) => elementParts(e).key));
    for (const element of l.sets.get(names.sharedConns(protocol)) ?? []) {
      const { key, data } = elementParts(element);
      const [vip, vport] = key.split(" . ");
      const service = `${protocol}|${vip}|${vport}`;
      const value = method === "dr" ? (data ?? "") : (data ?? "").replace(" . ", "|");
      const perServer = out.get(service) ?? new Map<string, { active: number; inactive: number }>();
      const counts = perServer.get(value) ?? { active: 0, inactive: 0 };
      if (closing.has(key)) counts.inactive++;
      else counts.active++;
      perServer.set(value, counts);
      out.set(service, perServer);
    }
  }
  return out;
}

const SHARED_CHAIN = /^[dk]_(tcp|udp|sctp)4$/;
/** Our objects' names, whole: anything else in a listing (a name planted by hand) is never ours, and never rendered back into a script. */
const SERVICE_OBJECT = /^[snotkcfp]_[46][A-Za-z0-9_]*$/;

/**
 * Object names by every service id they could belong to (`t_<sid>_<did>` under each prefix of
 * `<sid>_<did>` that ends at an underscore): one pass, so that finding a service's objects does
 * not walk every name of the table again (10,000 services have 130,000 chains).
 */
function bySid(names: Iterable<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (sid: string, name: string) => {
    const list = out.get(sid);
    if (list) list.push(name);
    else out.set(sid, [name]);
  };
  for (const name of names) {
    if (!SERVICE_OBJECT.test(name)) continue;
    const rest = name.slice(2);
    add(rest, name);
    for (let i = rest.indexOf("_"); i >= 0; i = rest.indexOf("_", i + 1)) add(rest.slice(0, i), name);
  }
  return out;
}

interface TableRead {
  services: ObservedService[];
  /** Chains of ours no service owns. */
  stray: string[];
  /** The base chains are as rendered (false when not checked). */
  base: boolean;
}

/**
 * The services of one lvsfleet table (netdev: DR, inet: NAT), rebuilt from the rules and maps
 * themselves: each service's settings come from its comment, and the service counts only as
 * intact when its element in the service map, its dispatch, picker and orphan chains are what
 * those settings render; each real server only when its target chain (and NAT keep chain) is.
 * `checkBase`: the listing holds the base chains (a full read), which are compared too.
 */
function readTable(items: readonly Json[], method: Method, layout: NftLayout, checkBase: boolean): TableRead {
  const l = listing(items);
  const table = `${method === "dr" ? "netdev" : "inet"} ${layout.table}`;
  let baseIntact = true;
  if (checkBase)
    for (const [chain, rules] of baseChains(method, layout))
      if (listedSignature(l.chains.get(chain)) !== chainSignature(rules)) baseIntact = false;
  const counts = sharedCounts(l, method);
  const serviceMaps = new Map<string, Map<string, string | undefined>>();
  for (const map of method === "dr" ? ["svc4", "svc6"] : ["nat4", "nat6", "cnt6"])
    serviceMaps.set(map, new Map((l.sets.get(map) ?? []).map((e) => [elementParts(e).key, elementParts(e).data])));

  const services: ObservedService[] = [];
  const owned = new Set<string>();
  const chainsOf = bySid(l.chains.keys());
  const setsOf = bySid(l.sets.keys());
  for (const [chain, rules] of l.chains) {
    if (!chain.startsWith("n_")) continue;
    const config = rules.map((r) => (r.comment ? parseServiceComment(r.comment) : undefined)).find((c) => c);
    if (!config) continue;
    const sid = serviceId(config);
    if (chain !== names.fresh(sid)) continue;
    // Destinations in the picker's order (the order render gave them), then the others.
    const targets = rules.flatMap((r) =>
      [...JSON.stringify(r.expr).matchAll(/"target": ?"(t_[^"]+)"/g)].map((m) => m[1]),
    );
    const chains = chainsOf.get(sid) ?? [];
    const mine = chains.filter((c) => c.startsWith(`t_${sid}_`));
    const ordered = [...new Set([...targets.filter((t): t is string => t !== undefined && mine.includes(t)), ...mine])];
    const destinations: IpvsDestination[] = [];
    for (const targetChain of ordered) {
      const d = (l.chains.get(targetChain) ?? [])
        .map((r) => (r.comment ? parseDestinationComment(r.comment) : undefined))
        .find((x) => x !== undefined);
      if (!d || targetChain !== names.target(sid, destinationId(d))) continue;
      destinations.push({ ...d, activeConns: 0, inactConns: 0, persistConns: 0 });
    }
    const settings: IpvsService = { ...config, destinations };
    const expected = serviceRules(settings, layout);
    const element = serviceElement(settings, layout);
    const present = serviceMaps.get(element.map)?.has(element.key) ?? false;
    const verdict = serviceMaps.get(element.map)?.get(element.key);
    const sameChain = (name: string) =>
      listedSignature(l.chains.get(name)) === chainSignature(expected.chains.get(name) ?? []);
    const serviceChains = [
      names.dispatch(sid),
      names.fresh(sid),
      ...(config.protocol === "tcp" ? [names.orphan(sid)] : []),
    ];
    const intact = baseIntact && verdict === `jump ${names.dispatch(sid)}` && serviceChains.every(sameChain);
    // NAT IPv6 count elements (one per destination).
    const countElements = new Map(
      expected.elements
        .filter((e) => e.includes(" cnt6 { "))
        .map((e) => {
          const m = /cnt6 \{ (.*) : (jump \S+) \}$/.exec(e);
          return [m?.[1] ?? "", m?.[2] ?? ""] as const;
        }),
    );
    const perServer = counts.get(`${config.protocol}|${config.address}|${config.port}`);
    const closing = new Set((l.sets.get(names.closing(sid)) ?? []).map((e) => elementParts(e).key));
    const kept = destinations.filter((d) => {
      const did = destinationId(d);
      if (!sameChain(names.target(sid, did))) return false;
      if (method === "nat" && config.family === "inet6") {
        if (!sameChain(names.keep(sid, did))) return false;
        const key = `${d.address} . ${config.protocol} . ${d.port} . ${config.address}`;
        if (serviceMaps.get("cnt6")?.get(key) !== countElements.get(key)) return false;
      }
      return true;
    });
    for (const d of kept) {
      const did = destinationId(d);
      if (config.family === "inet") {
        const c = perServer?.get(method === "dr" ? d.address : `${d.address}|${d.port}`);
        d.activeConns = c?.active ?? 0;
        d.inactConns = c?.inactive ?? 0;
      } else {
        const conns = (l.sets.get(names.conns(sid, did)) ?? []).map((e) => elementParts(e).key);
        d.inactConns = conns.filter((k) => closing.has(k)).length;
        d.activeConns = conns.length - d.inactConns;
      }
      d.persistConns = (l.sets.get(names.persist(sid, did)) ?? []).length;
    }
    for (const c of chains) owned.add(c);
    services.push({
      service: { ...config, destinations: kept },
      method,
      chains,
      sets: setsOf.get(sid) ?? [],
      intact,
      element: present,
    });
  }
  const stray = [...l.chains.keys()]
    .filter((c) => SERVICE_OBJECT.test(c) && !SHARED_CHAIN.test(c) && !owned.has(c))
    .map((c) => `${table} ${c}`);
  return { services, stray, base: checkBase && baseIntact };
}

const DEFAULT_LAYOUT: NftLayout = { device: "eth0", table: "lvsfleet" };

/**
 * What lvsfleet's nftables tables hold, from `nft -j list table` output of the netdev (DR) and
 * inet (NAT) tables (undefined: the table does not exist).
 */
export function parseNftState(
  dr: readonly Json[] | undefined,
  nat: readonly Json[] | undefined,
  layout: NftLayout = DEFAULT_LAYOUT,
): NftState {
  return parseListing(dr, nat, layout, true);
}

/**
 * The same from a listing of some services' own chains and the service maps (a targeted read):
 * the base chains and the connection maps are not in it, so connection counts read 0.
 */
export function parseNftServices(
  dr: readonly Json[] | undefined,
  nat: readonly Json[] | undefined,
  layout: NftLayout = DEFAULT_LAYOUT,
): NftState {
  return parseListing(dr, nat, layout, false);
}

function parseListing(
  dr: readonly Json[] | undefined,
  nat: readonly Json[] | undefined,
  layout: NftLayout,
  full: boolean,
): NftState {
  const services = new Map<string, ObservedService>();
  const stray = new Set<string>();
  const base = { dr: false, nat: false };
  for (const [items, method] of [
    [dr, "dr"],
    [nat, "nat"],
  ] as const) {
    if (!items) continue;
    const read = readTable(items, method, layout, full);
    for (const s of read.services) services.set(serviceKey(s.service), s);
    for (const c of read.stray) stray.add(c);
    base[method] = read.base;
  }
  return { drTable: dr !== undefined, natTable: nat !== undefined, services, stray, base };
}
