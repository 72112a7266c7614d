import { readFileSync } from "node:fs";
import { parseNftJson } from "@lvsfleet/hostops";
import { type IpvsService, type IpvsTable, serviceKey } from "@lvsfleet/model";
import { plan } from "@lvsfleet/planner";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  destinationComment,
  parseDestinationComment,
  parseServiceComment,
  serviceComment,
} from "../src/drivers/nft-names.ts";
import { parseNftServices, parseNftState } from "../src/drivers/nft-observe.ts";
import {
  EMPTY_STATE,
  type NftState,
  renderTransactions,
  renderTransition,
  tableOfState,
  unsupportedReasons,
} from "../src/drivers/nft-render.ts";
import { hashSlots, pickRules, roundRobinSlots } from "../src/drivers/nft-schedule.ts";

type Json = Record<string, unknown>;
const fixture = (name: string) => parseNftJson(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const layout = { device: "eth0", table: "lvsfleet" };
const recorded = () => parseNftState(fixture("nft-dr.json"), fixture("nft-nat.json"));
const tableOf = (state: NftState): IpvsTable => structuredClone(tableOfState(state));
const managed = { isManaged: () => true };
const dest = (address: string, weight: number, forwarding: "dr" | "nat" = "dr", port = 80) => ({
  address,
  port,
  forwarding,
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
  activeConns: 0,
  inactConns: 0,
  persistConns: 0,
});
const web: IpvsService = {
  protocol: "tcp",
  address: "198.18.1.100",
  port: 80,
  family: "inet",
  scheduler: "wrr",
  schedulerFlags: [],
  destinations: [dest("198.18.0.11", 3), dest("198.18.0.12", 1)],
};
const HTTP = "tcp|198.18.1.100|80";

/** The recorded DR listing with `change` applied to the rules of one chain (a hand edit). */
function alteredDr(chain: string, change: (rules: Json[]) => Json[]): Json[] {
  const items = fixture("nft-dr.json");
  const rules = items.filter((i) => (i.rule as { chain?: string } | undefined)?.chain === chain);
  const others = items.filter((i) => (i.rule as { chain?: string } | undefined)?.chain !== chain);
  return [...others, ...change(rules)];
}
const ruleWith = (text: string) => (rules: Json[]) => rules.filter((r) => !JSON.stringify(r).includes(text));

describe("nftables data plane: reading the kernel's table back", () => {
  it("rebuilds services, settings and connection counts from recorded nft -j output", () => {
    const state = recorded();
    expect(state.drTable && state.natTable).toBe(true);
    expect([...state.services.values()].every((s) => s.intact && s.element)).toBe(true);
    const table = tableOf(state);
    expect(table.services.map(serviceKey).sort()).toEqual(
      [
        HTTP,
        "udp|198.18.1.100|53",
        "sctp|198.18.1.100|9000",
        "tcp|2001:db8::29|443",
        "tcp|198.18.1.102|25",
        "tcp|198.18.1.101|443",
        "udp|2001:db8::53|53",
        "tcp|198.18.0.101|8080",
      ].sort(),
    );
    const get = (key: string) => table.services.find((s) => serviceKey(s) === key);
    expect(get(HTTP)).toMatchObject({ scheduler: "wrr", schedulerFlags: [], persistence: undefined });
    // Counted from the shared connection map by value; closing ones are inactive, as in ipvsadm -Ln.
    expect(
      get(HTTP)?.destinations.map((d) => [d.address, d.forwarding, d.weight, d.activeConns, d.inactConns]),
    ).toEqual([
      ["198.18.0.11", "dr", 3, 1, 2],
      ["198.18.0.12", "dr", 1, 1, 0],
    ]);
    expect(get("udp|198.18.1.100|53")).toMatchObject({ scheduler: "sh", schedulerFlags: ["sh-port"] });
    expect(get("udp|198.18.1.100|53")?.destinations.map((d) => [d.weight, d.activeConns])).toEqual([
      [1, 1],
      [0, 0],
    ]);
    expect(get("tcp|2001:db8::29|443")?.destinations.map((d) => [d.activeConns, d.persistConns])).toEqual([
      [1, 1],
      [0, 0],
    ]);
    const nat = get("tcp|198.18.0.101|8080");
    expect(nat).toMatchObject({ scheduler: "rr", persistence: { timeout: 60, netmask: 24 } });
    expect(nat?.destinations.map((d) => [d.forwarding, d.weight, d.port, d.activeConns])).toEqual([
      ["nat", 1, 80, 0],
      ["nat", 2, 80, 1],
    ]);
    expect(state.services.get("tcp|198.18.0.101|8080")?.sets).toContain("p_4tcp_198_18_0_101_8080_198_18_0_4_80");
    // Every service's read-back plans to nothing against the same table.
    expect(plan(table, tableOf(state), managed)).toEqual([]);
  });

  it("a chain planted by hand under one of our prefixes, or a comment without an IP address, is never taken as ours", () => {
    const planted = "t_4tcp_198_18_1_100_80_x; flush ruleset";
    const items = [...fixture("nft-dr.json"), { chain: { family: "netdev", table: "lvsfleet", name: planted } }];
    const state = parseNftState(items, fixture("nft-nat.json"));
    const desired = tableOf(recorded());
    // changing the service (its first server's weight) renders only names of ours
    const changed = structuredClone(desired);
    const service = changed.services.find((x) => serviceKey(x) === HTTP) as IpvsService;
    service.destinations = service.destinations.map((d, i) => (i === 0 ? { ...d, weight: d.weight + 1 } : d));
    const script = renderTransition(state, changed, new Set([HTTP]), layout);
    expect(script).toContain("s_4tcp_198_18_1_100_80");
    expect(script).not.toContain("flush ruleset");
    expect(plan(desired, tableOf(state), managed)).toEqual([]);
    expect(parseServiceComment("lvs svc tcp 198.18.1.100;x 80 inet wrr - - -")).toBeUndefined();
    expect(parseServiceComment("lvs svc tcp 198.18.1.100 80 inet wrr - - -")).toMatchObject({
      address: "198.18.1.100",
    });
    expect(parseDestinationComment("lvs dst 198.18.0.11} 80 dr 3 0 0")).toBeUndefined();
    expect(parseDestinationComment("lvs dst 198.18.0.11 80 dr 3 0 0")).toMatchObject({ address: "198.18.0.11" });
  });

  it("reads an empty kernel as an empty table", () => {
    expect(tableOf(parseNftState(undefined, undefined))).toEqual({ services: [] });
  });

  it("a dispatch rule deleted by hand: the service is not intact, the planner creates it again", () => {
    const desired = tableOf(recorded());
    const state = parseNftState(alteredDr("s_4tcp_198_18_1_100_80", ruleWith('"d_tcp4"')), fixture("nft-nat.json"));
    expect(state.services.get(HTTP)).toMatchObject({ intact: false, element: true });
    const operations = plan(desired, tableOf(state), managed);
    expect(operations.map((op) => [op.op, serviceKey(op.service)])).toContainEqual(["add-service", HTTP]);
    expect(new Set(operations.map((op) => serviceKey(op.service)))).toEqual(new Set([HTTP]));
    // Its chains are flushed and written again, its element replaced.
    const script = renderTransition(state, desired, new Set([HTTP]), layout);
    expect(script).toContain("flush chain netdev lvsfleet s_4tcp_198_18_1_100_80\n");
    expect(script).toContain("add rule netdev lvsfleet s_4tcp_198_18_1_100_80 jump d_tcp4\n");
    expect(script).toMatch(
      /delete element netdev lvsfleet svc4 \{ 198\.18\.1\.100 \. tcp \. 80 \}\nadd element netdev lvsfleet svc4 \{ 198\.18\.1\.100 \. tcp \. 80 : jump s_4tcp_198_18_1_100_80 \}/,
    );
  });

  it("a picker range, a target's forward address, a service map element changed by hand are seen", () => {
    const desired = tableOf(recorded());
    // The picker sends mark 3 nowhere (its rule deleted): the service is not intact.
    const picker = parseNftState(
      alteredDr("n_4tcp_198_18_1_100_80", (rules) => rules.filter((r) => !JSON.stringify(r).includes('"right":3}'))),
      undefined,
    );
    expect(picker.services.get(HTTP)?.intact).toBe(false);
    // The target chain forwards elsewhere: that real server is not there as configured.
    const moved = parseNftState(
      alteredDr("t_4tcp_198_18_1_100_80_198_18_0_12_80", (rules) =>
        JSON.parse(JSON.stringify(rules).replaceAll('"addr":"198.18.0.12"', '"addr":"198.18.0.99"')),
      ),
      undefined,
    );
    expect(moved.services.get(HTTP)?.intact).toBe(true);
    expect(moved.services.get(HTTP)?.service.destinations.map((d) => d.address)).toEqual(["198.18.0.11"]);
    const operations = plan(
      {
        services: desired.services.filter(
          (s) => s.protocol !== "tcp" || s.family === "inet6" || serviceKey(s) === HTTP,
        ),
      },
      tableOf(moved),
      managed,
    );
    expect(operations.map((op) => op.op)).toContain("add-destination");
    // The service map lost the service's element.
    const items = fixture("nft-dr.json").map((i) => {
      const map = i.map as { name?: string; elem?: unknown[] } | undefined;
      if (map?.name !== "svc4") return i;
      return { map: { ...map, elem: map.elem?.filter((e) => !JSON.stringify(e).includes('"tcp",80')) } };
    });
    expect(parseNftState(items, undefined).services.get(HTTP)).toMatchObject({ intact: false, element: false });
  });

  it("a shared dispatch chain flushed by hand: every service of that table is created again", () => {
    const state = parseNftState(
      alteredDr("d_tcp4", () => []),
      fixture("nft-nat.json"),
    );
    const dr = [...state.services.values()].filter((s) => s.method === "dr");
    expect(dr.length).toBeGreaterThan(0);
    expect(dr.every((s) => !s.intact)).toBe(true);
    expect([...state.services.values()].filter((s) => s.method === "nat").every((s) => s.intact)).toBe(true);
  });

  it("a targeted read (the services' own chains and the service maps) reads the same services", () => {
    const items = fixture("nft-dr.json").filter((i) => {
      const name = ((i.rule as { chain?: string }) ?? (i.chain as { name?: string }) ?? {}) as {
        chain?: string;
        name?: string;
      };
      const chain = name.chain ?? name.name ?? "";
      return i.map !== undefined || chain.includes("4tcp_198_18_1_100_80");
    });
    const state = parseNftServices(items, undefined);
    expect([...state.services.keys()]).toEqual([HTTP]);
    expect(state.services.get(HTTP)?.intact).toBe(true);
  });
});

describe("nftables data plane: one transaction per change", () => {
  it("a weight change rewrites the service's chains and keeps the connection map", () => {
    const state = recorded();
    const next = tableOf(state);
    next.services.find((s) => serviceKey(s) === HTTP)!.destinations[1]!.weight = 3;
    const script = renderTransition(state, next, new Set([HTTP]), layout);
    expect(script).toContain("flush chain netdev lvsfleet n_4tcp_198_18_1_100_80\n");
    expect(script).toContain("add rule netdev lvsfleet n_4tcp_198_18_1_100_80 meta mark set numgen inc mod 2\n");
    expect(script).toContain(
      "add rule netdev lvsfleet n_4tcp_198_18_1_100_80 meta mark 1 goto t_4tcp_198_18_1_100_80_198_18_0_12_80\n",
    );
    expect(script).not.toMatch(/delete set|delete map|delete element|delete chain|delete table/);
    // The element is not touched (the service stays reachable), other services are not touched.
    expect(script).not.toMatch(/element netdev lvsfleet svc4/);
    expect(script).not.toMatch(/_53|8080|9000|2001/);
  });

  it("on a base read back as rendered, a change writes only its service; a base changed by hand is written again", () => {
    const next = tableOf(recorded());
    expect(recorded().base).toEqual({ dr: true, nat: true });
    const script = renderTransition(recorded(), next, new Set([HTTP]), layout);
    expect(script).not.toMatch(/lvsfleet (ingress|d_tcp4) |add map|add table/);
    const flushed = parseNftState(
      alteredDr("d_tcp4", () => []),
      fixture("nft-nat.json"),
    );
    expect(flushed.base).toEqual({ dr: false, nat: true });
    const repair = renderTransition(flushed, next, new Set([HTTP]), layout);
    expect(repair).toContain("flush chain netdev lvsfleet d_tcp4\n");
    expect(repair).toContain(
      "add rule netdev lvsfleet d_tcp4 ip daddr . th dport . ip saddr . th sport @conns_tcp4 update",
    );
    expect(repair).not.toContain("inet lvsfleet");
  });

  it("weight 0 takes a server out of the picker; its connections stay in the shared map", () => {
    const state = recorded();
    const next = tableOf(state);
    next.services.find((s) => serviceKey(s) === HTTP)!.destinations[1]!.weight = 0;
    const script = renderTransition(state, next, new Set([HTTP]), layout);
    expect(script).toContain("n_4tcp_198_18_1_100_80 meta mark set numgen inc mod 1\n");
    expect(script).not.toContain("meta mark 1 goto");
    expect(script).toContain(
      'add rule netdev lvsfleet t_4tcp_198_18_1_100_80_198_18_0_12_80 add @conns_tcp4 { ip daddr . th dport . ip saddr . th sport : 198.18.0.12 } fwd ip to 198.18.0.12 device "eth0"',
    );
  });

  it("removing a real server deletes its chain after the chains that use it are flushed", () => {
    const state = recorded();
    const next = tableOf(state);
    next.services.find((s) => serviceKey(s) === HTTP)!.destinations.pop();
    const lines = renderTransition(state, next, new Set([HTTP]), layout).split("\n");
    const flush = lines.indexOf("flush chain netdev lvsfleet n_4tcp_198_18_1_100_80");
    const delChain = lines.indexOf("delete chain netdev lvsfleet t_4tcp_198_18_1_100_80_198_18_0_12_80");
    expect(flush).toBeGreaterThanOrEqual(0);
    expect(delChain).toBeGreaterThan(flush);
    expect(lines).not.toContain("delete chain netdev lvsfleet t_4tcp_198_18_1_100_80_198_18_0_11_80");
  });

  it("a NAT service DNATs, clears the picker's mark, and counts through the shared track chain", () => {
    const state = recorded();
    const next = tableOf(state);
    next.services.find((s) => serviceKey(s) === "tcp|198.18.0.101|8080")!.destinations[0]!.weight = 5;
    const script = renderTransition(state, next, new Set(["tcp|198.18.0.101|8080"]), layout);
    expect(script).toContain(
      "add @conns_tcp4 { ip daddr . th dport . ip saddr . th sport : 198.18.0.3 . 80 } update @p_4tcp_198_18_0_101_8080_198_18_0_3_80 { ip saddr & 255.255.255.0 timeout 60s } meta mark set 0 meta l4proto tcp dnat ip to 198.18.0.3:80",
    );
    expect(script).toContain("ip saddr & 255.255.255.0 @p_4tcp_198_18_0_101_8080_198_18_0_3_80 goto");
    const fromNothing = renderTransition(EMPTY_STATE, next, new Set(["tcp|198.18.0.101|8080"]), layout);
    expect(fromNothing).toContain(
      "add rule inet lvsfleet track ct direction original meta l4proto tcp ip daddr . th dport . ip saddr . th sport @conns_tcp4 jump k_tcp4",
    );
  });

  it("removing the last service removes lvsfleet's tables and nothing else", () => {
    const state = recorded();
    const script = renderTransition(state, { services: [] }, new Set(state.services.keys()), layout);
    expect(script).toBe("delete table netdev lvsfleet\ndelete table inet lvsfleet\n");
  });

  it("creates the DR base, the shared map and the service from nothing, its element last", () => {
    const script = renderTransition(EMPTY_STATE, { services: [web] }, new Set([serviceKey(web)]), layout);
    expect(script).toContain(
      'add chain netdev lvsfleet ingress { type filter hook ingress device "eth0" priority -150 ; policy accept ; }',
    );
    expect(script).toContain(
      "add map netdev lvsfleet conns_tcp4 { type ipv4_addr . inet_service . ipv4_addr . inet_service : ipv4_addr ;",
    );
    expect(script.trimEnd().split("\n").at(-1)).toBe(
      "add element netdev lvsfleet svc4 { 198.18.1.100 . tcp . 80 : jump s_4tcp_198_18_1_100_80 }",
    );
    expect(script).not.toContain("inet lvsfleet");
    expect(script).not.toMatch(/add set netdev lvsfleet c_/);
    expect(renderTransition(EMPTY_STATE, { services: [] }, new Set(), layout)).toBe("");
  });

  it("a big first install is split into transactions, each with whole services, the base in the first", () => {
    const services = Array.from({ length: 7 }, (_, i) => ({ ...web, port: 1000 + i }));
    const scripts = renderTransactions(EMPTY_STATE, { services }, new Set(services.map(serviceKey)), layout, 3);
    expect(scripts).toHaveLength(3);
    expect(scripts[0]).toContain("add table netdev lvsfleet");
    expect(scripts[1]).not.toContain("add table");
    scripts.forEach((script, i) => {
      const ports = [...script.matchAll(/svc4 \{ 198\.18\.1\.100 \. tcp \. (\d+) : jump/g)].map((m) => Number(m[1]));
      expect(ports).toEqual(services.slice(i * 3, i * 3 + 3).map((s) => s.port));
      // Every chain a script fills is one of the services it makes reachable.
      for (const m of script.matchAll(/add rule netdev lvsfleet [sntoa]_4tcp_198_18_1_100_(\d+)/g))
        expect(ports).toContain(Number(m[1]));
    });
    expect(scripts.join("")).toBe(
      renderTransition(EMPTY_STATE, { services }, new Set(services.map(serviceKey)), layout),
    );
  });
});

describe("nftables data plane: what it refuses", () => {
  it("names the schedulers it supports", () => {
    expect(unsupportedReasons({ ...web, scheduler: "wlc" })).toEqual([
      "TCP 198.18.1.100:80: scheduler wlc is not supported by the nftables driver; it supports rr, wrr, sh, dh",
    ]);
  });

  it("refuses TUN, mixed methods, fwmark and thresholds with the reason", () => {
    const tun = {
      ...web,
      destinations: [dest("198.18.0.11", 1, "dr"), { ...dest("198.18.0.12", 1), forwarding: "tun" as const }],
    };
    expect(unsupportedReasons(tun).join("\n")).toMatch(
      /LVS-TUN is not supported[\s\S]*one forwarding method per service/,
    );
    expect(
      unsupportedReasons({ ...web, protocol: "fwmark", address: undefined, port: undefined, fwmark: 7 })[0],
    ).toMatch(/fwmark services need kernel IPVS/);
    expect(
      unsupportedReasons({ ...web, destinations: [{ ...dest("198.18.0.11", 1), upperThreshold: 10 }] })[0],
    ).toMatch(/thresholds/);
    expect(unsupportedReasons(web)).toEqual([]);
  });
});

describe("nftables schedulers", () => {
  it("wrr: runs of picker values as long as the weights, reduced by their gcd; weight 0 gets none", () => {
    const c = (target: string, weight: number) => ({ target, weight });
    expect(roundRobinSlots([c("a", 300), c("b", 100), c("z", 0)])).toEqual([
      { from: 0, to: 2, target: "a" },
      { from: 3, to: 3, target: "b" },
    ]);
    expect(pickRules({ scheduler: "rr", schedulerFlags: [], family: "inet" }, [c("a", 5), c("b", 1)])).toEqual([
      "meta mark set numgen inc mod 2",
      "meta mark 0 goto a",
      "meta mark 1 goto b",
    ]);
    expect(pickRules({ scheduler: "wrr", schedulerFlags: [], family: "inet" }, [c("a", 0)])).toEqual([]);
  });

  it("sh and dh hash with the same seed on every director", () => {
    const c = [
      { target: "a", weight: 3 },
      { target: "b", weight: 1 },
    ];
    expect(pickRules({ scheduler: "sh", schedulerFlags: [], family: "inet" }, c)).toEqual([
      "meta mark set jhash ip saddr mod 1024 seed 0x4c565331",
      "meta mark 0-767 goto a",
      "meta mark 768-1023 goto b",
    ]);
    expect(pickRules({ scheduler: "dh", schedulerFlags: [], family: "inet6" }, c)[0]).toMatch(
      /^meta mark set jhash ip6 daddr mod 1024/,
    );
  });

  it("hash buckets: every live server gets its share (at least one), and all 1024 are used", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 1, maxLength: 40 }), (weights) => {
        const slots = hashSlots(weights.map((weight, i) => ({ target: `t${i}`, weight })));
        const live = weights.filter((w) => w > 0);
        expect(slots).toHaveLength(live.length);
        if (live.length === 0) return;
        expect(slots[0]?.from).toBe(0);
        expect(slots.at(-1)?.to).toBe(1023);
        const total = live.reduce((a, b) => a + b, 0);
        slots.forEach((s, i) => {
          expect(s.to).toBeGreaterThanOrEqual(s.from);
          if (i > 0) expect(s.from).toBe((slots[i - 1]?.to ?? 0) + 1);
          const share = ((live[i] ?? 0) * 1024) / total;
          expect(Math.abs(s.to - s.from + 1 - share)).toBeLessThanOrEqual(Math.max(1.5, live.length));
        });
      }),
    );
  });
});

describe("settings kept in rule comments", () => {
  it("round-trip through the comment format", () => {
    const service = fc.record({
      protocol: fc.constantFrom("tcp" as const, "udp" as const, "sctp" as const),
      address: fc.oneof(fc.ipV4(), fc.constant("2001:db8::29")),
      port: fc.integer({ min: 0, max: 65535 }),
      family: fc.constantFrom("inet" as const, "inet6" as const),
      scheduler: fc.constantFrom("rr" as const, "wrr" as const, "sh" as const, "dh" as const),
      schedulerFlags: fc.subarray(["sh-fallback" as const, "sh-port" as const]),
      persistence: fc.option(
        fc.record({ timeout: fc.integer({ min: 1, max: 2678400 }), netmask: fc.integer({ min: 0, max: 128 }) }),
        {
          nil: undefined,
        },
      ),
    });
    fc.assert(
      fc.property(service, (s) => {
        const comment = serviceComment(s);
        expect(comment.length).toBeLessThanOrEqual(128);
        expect(parseServiceComment(comment)).toEqual({ ...s, schedulerFlags: [...s.schedulerFlags].sort() });
      }),
    );
    const d = {
      ...dest("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 65535, "nat", 65535),
      upperThreshold: 7,
      lowerThreshold: 3,
    };
    const { activeConns, inactConns, persistConns, ...config } = d;
    expect(parseDestinationComment(destinationComment(d))).toEqual(config);
    expect(destinationComment(d).length).toBeLessThanOrEqual(128);
  });
});
