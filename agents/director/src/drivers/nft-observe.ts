import { type IpvsDestination, type IpvsService, serviceKey } from "@lvsfleet/model";
import { destinationId, names, parseDestinationComment, parseServiceComment, serviceId } from "./nft-names.ts";
import type { Method, NftState, ObservedService } from "./nft-render.ts";

type Json = Record<string, unknown>;

interface Listing {
  chains: string[];
  /** Set name → its elements, each as a comparable string. */
  sets: Map<string, string[]>;
  /** Chain name → comments of its rules. */
  comments: Map<string, string[]>;
}

function elementKey(element: unknown): string {
  const inner = (element as { elem?: { val?: unknown } } | null)?.elem;
  return JSON.stringify(inner && typeof inner === "object" && "val" in inner ? inner.val : element);
}

function listing(items: readonly Json[]): Listing {
  const out: Listing = { chains: [], sets: new Map(), comments: new Map() };
  for (const item of items) {
    const chain = item.chain as { name?: string } | undefined;
    if (chain?.name) out.chains.push(chain.name);
    const set = item.set as { name?: string; elem?: unknown[] } | undefined;
    if (set?.name) out.sets.set(set.name, (set.elem ?? []).map(elementKey));
    const rule = item.rule as { chain?: string; comment?: string } | undefined;
    if (rule?.chain && rule.comment)
      out.comments.set(rule.chain, [...(out.comments.get(rule.chain) ?? []), rule.comment]);
  }
  return out;
}

/** The services of one lvsfleet table (netdev: DR, inet: NAT), with connection counts from the sets. */
function servicesOf(items: readonly Json[], method: Method): ObservedService[] {
  const l = listing(items);
  const services: ObservedService[] = [];
  for (const [chain, comments] of l.comments) {
    if (!chain.startsWith("n_")) continue;
    const config = comments.map(parseServiceComment).find((c) => c !== undefined);
    if (!config) continue;
    const sid = serviceId(config);
    if (chain !== names.fresh(sid)) continue;
    const closing = new Set(l.sets.get(names.closing(sid)) ?? []);
    const destinations: IpvsDestination[] = [];
    for (const [targetChain, targetComments] of l.comments) {
      if (!targetChain.startsWith(`t_${sid}_`)) continue;
      const d = targetComments.map(parseDestinationComment).find((x) => x !== undefined);
      if (!d || targetChain !== names.target(sid, destinationId(d))) continue;
      const conns = l.sets.get(names.conns(sid, destinationId(d))) ?? [];
      const inactConns = conns.filter((k) => closing.has(k)).length;
      destinations.push({
        ...d,
        activeConns: conns.length - inactConns,
        inactConns,
        persistConns: (l.sets.get(names.persist(sid, destinationId(d))) ?? []).length,
      });
    }
    const owns = (name: string) =>
      name.slice(name.indexOf("_") + 1) === sid || name.slice(name.indexOf("_") + 1).startsWith(`${sid}_`);
    const service: IpvsService = { ...config, destinations };
    services.push({
      service,
      method,
      chains: l.chains.filter(owns),
      sets: [...l.sets.keys()].filter(owns),
    });
  }
  return services;
}

/**
 * What lvsfleet's nftables tables hold, from `nft -j list table` output of the netdev (DR) and
 * inet (NAT) tables (undefined: the table does not exist).
 */
export function parseNftState(dr: readonly Json[] | undefined, nat: readonly Json[] | undefined): NftState {
  const services = new Map<string, ObservedService>();
  for (const s of [...servicesOf(dr ?? [], "dr"), ...servicesOf(nat ?? [], "nat")])
    services.set(serviceKey(s.service), s);
  return { drTable: dr !== undefined, natTable: nat !== undefined, services };
}
