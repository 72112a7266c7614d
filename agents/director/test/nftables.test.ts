import { readFileSync } from "node:fs";
import { parseNftJson } from "@lvsfleet/hostops";
import { type IpvsService, type IpvsTable, serviceKey } from "@lvsfleet/model";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  destinationComment,
  parseDestinationComment,
  parseServiceComment,
  serviceComment,
} from "../src/drivers/nft-names.ts";
import { parseNftState } from "../src/drivers/nft-observe.ts";
import { EMPTY_STATE, renderTransition, unsupportedReasons } from "../src/drivers/nft-render.ts";
import { hashSlots, pickRule, roundRobinSlots } from "../src/drivers/nft-schedule.ts";

const fixture = (name: string) => parseNftJson(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const layout = { device: "eth0", table: "lvsfleet" };
const recorded = () => parseNftState(fixture("nft-dr.json"), fixture("nft-nat.json"));
const tableOf = (state: ReturnType<typeof recorded>): IpvsTable => ({
  services: [...state.services.values()].map((s) => structuredClone(s.service)),
});
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

describe("nftables data plane: reading the kernel's table back", () => {
  it("rebuilds services, settings and connection counts from recorded nft -j output", () => {
    const state = recorded();
    expect(state.drTable && state.natTable).toBe(true);
    const table = tableOf(state);
    expect(table.services.map(serviceKey)).toEqual([
      "tcp|198.18.0.100|80",
      "udp|198.18.0.100|53",
      "tcp|198.18.0.101|8080",
    ]);
    const [http, dns, nat] = table.services;
    expect(http).toMatchObject({ scheduler: "wrr", schedulerFlags: [], persistence: undefined });
    // 6 closed + 1 open connection on .3, 2 closed on .4: closed ones are inactive, as in ipvsadm -Ln.
    expect(http?.destinations.map((d) => [d.address, d.forwarding, d.weight, d.activeConns, d.inactConns])).toEqual([
      ["198.18.0.3", "dr", 3, 1, 6],
      ["198.18.0.4", "dr", 1, 0, 2],
    ]);
    expect(dns).toMatchObject({ scheduler: "sh", schedulerFlags: ["sh-port"] });
    expect(dns?.destinations.map((d) => d.weight)).toEqual([1, 0]);
    expect(nat).toMatchObject({ scheduler: "rr", persistence: { timeout: 60, netmask: 24 } });
    expect(nat?.destinations.map((d) => [d.forwarding, d.weight, d.port])).toEqual([
      ["nat", 1, 80],
      ["nat", 2, 80],
    ]);
    expect(state.services.get("tcp|198.18.0.101|8080")?.sets).toContain("p_4tcp_198_18_0_101_8080_198_18_0_4_80");
  });

  it("reads an empty kernel as an empty table", () => {
    expect(tableOf(parseNftState(undefined, undefined))).toEqual({ services: [] });
  });
});

describe("nftables data plane: one transaction per change", () => {
  it("a weight change rewrites the service's chains and keeps every connection set", () => {
    const state = recorded();
    const next = tableOf(state);
    next.services[0]!.destinations[1]!.weight = 3;
    const script = renderTransition(state, next, new Set(["tcp|198.18.0.100|80"]), layout);
    expect(script).toContain("flush chain netdev lvsfleet n_4tcp_198_18_0_100_80\n");
    expect(script).toContain(
      "numgen inc mod 2 vmap { 0 : goto t_4tcp_198_18_0_100_80_198_18_0_3_80, 1 : goto t_4tcp_198_18_0_100_80_198_18_0_4_80 }",
    );
    expect(script).not.toMatch(/delete set|delete element|delete chain|delete table/);
    // Other services are not touched.
    expect(script).not.toMatch(/4udp|8080/);
  });

  it("weight 0 takes a server out of the picker but keeps its connections dispatched", () => {
    const state = recorded();
    const next = tableOf(state);
    next.services[0]!.destinations[1]!.weight = 0;
    const script = renderTransition(state, next, new Set(["tcp|198.18.0.100|80"]), layout);
    expect(script).toContain("numgen inc mod 1 vmap { 0 : goto t_4tcp_198_18_0_100_80_198_18_0_3_80 }");
    expect(script).toContain(
      'ip saddr . th sport @c_4tcp_198_18_0_100_80_198_18_0_4_80 update @c_4tcp_198_18_0_100_80_198_18_0_4_80 { ip saddr . th sport } fwd ip to 198.18.0.4 device "eth0"',
    );
  });

  it("removing a real server deletes its set and chain after the chains that use them are flushed", () => {
    const state = recorded();
    const next = tableOf(state);
    next.services[0]!.destinations.pop();
    const lines = renderTransition(state, next, new Set(["tcp|198.18.0.100|80"]), layout).split("\n");
    const flush = lines.indexOf("flush chain netdev lvsfleet s_4tcp_198_18_0_100_80");
    const delChain = lines.indexOf("delete chain netdev lvsfleet t_4tcp_198_18_0_100_80_198_18_0_4_80");
    const delSet = lines.indexOf("delete set netdev lvsfleet c_4tcp_198_18_0_100_80_198_18_0_4_80");
    expect(flush).toBeGreaterThanOrEqual(0);
    expect(delChain).toBeGreaterThan(flush);
    expect(delSet).toBeGreaterThan(delChain);
    expect(lines).not.toContain("delete set netdev lvsfleet c_4tcp_198_18_0_100_80_198_18_0_3_80");
  });

  it("a NAT service DNATs, counts through its keep chains, and moves its count elements with it", () => {
    const state = recorded();
    const next = tableOf(state);
    next.services[2]!.destinations[0]!.weight = 5;
    const script = renderTransition(state, next, new Set(["tcp|198.18.0.101|8080"]), layout);
    expect(script).toContain("delete element inet lvsfleet cnt4 { 198.18.0.3 . tcp . 80 . 198.18.0.101 }");
    expect(script).toContain(
      "add element inet lvsfleet cnt4 { 198.18.0.3 . tcp . 80 . 198.18.0.101 : jump k_4tcp_198_18_0_101_8080_198_18_0_3_80 }",
    );
    expect(script).toContain("meta l4proto tcp dnat ip to 198.18.0.3:80");
    expect(script).toContain("ip saddr & 255.255.255.0 @p_4tcp_198_18_0_101_8080_198_18_0_3_80 goto");
  });

  it("removing the last service removes lvsfleet's tables and nothing else", () => {
    const state = recorded();
    const script = renderTransition(state, { services: [] }, new Set(state.services.keys()), layout);
    expect(script).toBe("delete table netdev lvsfleet\ndelete table inet lvsfleet\n");
  });

  it("creates the DR base, the service's sets and chains from nothing; nothing to do renders nothing", () => {
    const script = renderTransition(EMPTY_STATE, { services: [web] }, new Set([serviceKey(web)]), layout);
    expect(script).toContain(
      'add chain netdev lvsfleet ingress { type filter hook ingress device "eth0" priority -150 ; policy accept ; }',
    );
    expect(script).toContain(
      "add element netdev lvsfleet svc4 { 198.18.1.100 . tcp . 80 : jump s_4tcp_198_18_1_100_80 }",
    );
    expect(script).not.toContain("inet lvsfleet");
    expect(renderTransition(EMPTY_STATE, { services: [] }, new Set(), layout)).toBe("");
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
    expect(pickRule({ scheduler: "rr", schedulerFlags: [], family: "inet" }, [c("a", 5), c("b", 1)])).toBe(
      "numgen inc mod 2 vmap { 0 : goto a, 1 : goto b }",
    );
    expect(pickRule({ scheduler: "wrr", schedulerFlags: [], family: "inet" }, [c("a", 0)])).toBeUndefined();
  });

  it("sh and dh hash with the same seed on every director", () => {
    const c = [
      { target: "a", weight: 3 },
      { target: "b", weight: 1 },
    ];
    expect(pickRule({ scheduler: "sh", schedulerFlags: [], family: "inet" }, c)).toBe(
      "jhash ip saddr mod 1024 seed 0x4c565331 vmap { 0-767 : goto a, 768-1023 : goto b }",
    );
    expect(pickRule({ scheduler: "dh", schedulerFlags: [], family: "inet6" }, c)).toMatch(/^jhash ip6 daddr mod 1024/);
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
