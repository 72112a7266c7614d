import {
  ClusterSpec,
  DEMO_CLUSTER,
  desiredTable,
  destinationConfigOf,
  destinationKey,
  type IpvsTable,
  sameDestinationConfig,
  sameServiceConfig,
  serviceConfigOf,
  serviceKey,
} from "@lvsfleet/model";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyOperations, OperationError, plan } from "../src/index.ts";
import { table } from "./arbitraries.ts";

/** The configuration part of a table, order-insensitive, for comparing desired with reached. */
function configOf(t: IpvsTable) {
  return t.services
    .map((s) => ({
      key: serviceKey(s),
      config: serviceConfigOf(s),
      destinations: s.destinations
        .map(destinationConfigOf)
        .sort((a, b) => destinationKey(a).localeCompare(destinationKey(b))),
    }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

const empty: IpvsTable = { services: [] };
const demo = desiredTable(ClusterSpec.parse(DEMO_CLUSTER));

describe("plan", () => {
  it("installs the guide's table from nothing: one service, then its real servers", () => {
    const ops = plan(demo, empty);
    expect(ops.map((o) => o.op)).toEqual(["add-service", "add-destination", "add-destination"]);
    expect(ops[1]).toMatchObject({ destination: { address: "192.168.1.220", weight: 3, forwarding: "dr" } });
  });

  it("a weight change is one edit-destination", () => {
    const changed = structuredClone(demo);
    changed.services[0]!.destinations[1]!.weight = 0;
    const ops = plan(changed, demo);
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({ op: "edit-destination", destination: { address: "192.168.1.231", weight: 0 } });
  });

  it("changing the scheduler edits the service without touching its real servers", () => {
    const changed = structuredClone(demo);
    changed.services[0]!.scheduler = "wlc";
    expect(plan(changed, demo).map((o) => o.op)).toEqual(["edit-service"]);
  });

  it("adds a replacement real server before deleting the old one", () => {
    const changed = structuredClone(demo);
    changed.services[0]!.destinations[1]!.address = "192.168.1.240";
    expect(plan(changed, demo).map((o) => o.op)).toEqual(["add-destination", "delete-destination"]);
  });

  it("reconciles one-packet scheduling (-o): turning it on or off is one edit-service", () => {
    const udp = structuredClone(demo);
    udp.services[0]!.protocol = "udp";
    const ops = { on: { services: [{ ...udp.services[0]!, onePacket: true }] }, off: udp };
    expect(plan(ops.on, ops.off)).toMatchObject([{ op: "edit-service", service: { onePacket: true } }]);
    const off = plan(ops.off, ops.on);
    expect(off.map((o) => o.op)).toEqual(["edit-service"]);
    expect(off[0]!.service.onePacket).toBeFalsy();
    expect(configOf(applyOperations(ops.on, off))).toEqual(configOf(ops.off));
    expect(plan(ops.on, { services: [{ ...udp.services[0]!, onePacket: true }] })).toEqual([]);
  });

  it("reconciles a tunnel's encapsulation; ipip named or not is the same (the kernel's default)", () => {
    const tun = structuredClone(demo);
    for (const d of tun.services[0]!.destinations) d.forwarding = "tun";
    const gue = structuredClone(tun);
    gue.services[0]!.destinations[0]!.tunnel = { type: "gue", port: 6080, checksum: "csum" };
    const ipip = structuredClone(tun);
    ipip.services[0]!.destinations[0]!.tunnel = { type: "ipip" };
    expect(plan(ipip, tun)).toEqual([]);
    const toGue = plan(gue, tun);
    expect(toGue).toMatchObject([
      { op: "edit-destination", destination: { address: "192.168.1.220", tunnel: { type: "gue", port: 6080 } } },
    ]);
    const back = plan(tun, gue);
    expect(back.map((o) => o.op)).toEqual(["edit-destination"]);
    const reached = applyOperations(gue, back);
    expect(reached.services[0]!.destinations[0]!.tunnel).toBeUndefined();
    expect(reached.services[0]!.destinations[0]!.weight).toBe(3);
    // gre's checksum defaults to nocsum: unset and nocsum are the same setting
    const gre = structuredClone(tun);
    gre.services[0]!.destinations[0]!.tunnel = { type: "gre" };
    const greNocsum = structuredClone(tun);
    greNocsum.services[0]!.destinations[0]!.tunnel = { type: "gre", checksum: "nocsum" };
    expect(plan(gre, greNocsum)).toEqual([]);
    // a DR destination has no encapsulation, whatever a stray field says
    const dr = structuredClone(demo);
    dr.services[0]!.destinations[0]!.tunnel = { type: "gre" };
    expect(plan(dr, demo)).toEqual([]);
  });

  it("leaves services lvsfleet does not manage alone", () => {
    const foreign = structuredClone(demo);
    foreign.services[0]!.port = 8443;
    const observed = { services: [...demo.services, ...foreign.services] };
    expect(plan(demo, observed, { isManaged: (k) => !k.endsWith("|8443") })).toEqual([]);
    expect(plan(demo, observed).map((o) => o.op)).toEqual(["delete-service"]);
  });

  it("property: applying the plan to the observed table yields the desired table", () => {
    fc.assert(
      fc.property(table, table, (desired, observed) => {
        const reached = applyOperations(observed, plan(desired, observed));
        expect(configOf(reached)).toEqual(configOf(desired));
      }),
      { numRuns: 500 },
    );
  });

  it("property: re-planning an applied state yields no operations", () => {
    fc.assert(
      fc.property(table, table, (desired, observed) => {
        const reached = applyOperations(observed, plan(desired, observed));
        expect(plan(desired, reached)).toEqual([]);
        expect(plan(desired, desired)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it("property: the same servers and flags listed in another order are no change", () => {
    fc.assert(
      fc.property(table, (desired) => {
        const shuffled: IpvsTable = {
          services: [...desired.services].reverse().map((s) => ({
            ...s,
            schedulerFlags: [...s.schedulerFlags].reverse(),
            destinations: [...s.destinations].reverse(),
          })),
        };
        expect(plan(desired, shuffled)).toEqual([]);
        expect(plan(shuffled, desired)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("property: the plan is the smallest one — one operation per necessary difference", () => {
    fc.assert(
      fc.property(table, table, (desired, observed) => {
        const have = new Map(observed.services.map((s) => [serviceKey(s), s]));
        const want = new Set(desired.services.map(serviceKey));
        let needed = observed.services.filter((s) => !want.has(serviceKey(s))).length;
        for (const s of desired.services) {
          const o = have.get(serviceKey(s));
          if (!o) {
            needed += 1 + s.destinations.length;
            continue;
          }
          if (!sameServiceConfig(s, o)) needed += 1;
          const od = new Map(o.destinations.map((d) => [destinationKey(d), d]));
          const sd = new Set(s.destinations.map(destinationKey));
          for (const d of s.destinations) {
            const x = od.get(destinationKey(d));
            if (!x || !sameDestinationConfig(d, x)) needed += 1;
          }
          needed += o.destinations.filter((d) => !sd.has(destinationKey(d))).length;
        }
        expect(plan(desired, observed)).toHaveLength(needed);
      }),
      { numRuns: 300 },
    );
  });

  it("property: connection counts of real servers that stay are kept", () => {
    fc.assert(
      fc.property(table, table, (desired, observed) => {
        const reached = applyOperations(observed, plan(desired, observed));
        for (const s of reached.services) {
          const before = observed.services.find((o) => serviceKey(o) === serviceKey(s));
          for (const d of s.destinations) {
            const prior = before?.destinations.find((x) => destinationKey(x) === destinationKey(d));
            expect(d.activeConns).toBe(prior?.activeConns ?? 0);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("applyOperations", () => {
  it("removes an unwanted service even when the desired table names another one twice", () => {
    fc.assert(
      fc.property(table, table, (desired, observed) => {
        const doubled: IpvsTable = { services: [...desired.services, ...desired.services] };
        const removals = (t: IpvsTable) => plan(t, observed).filter((op) => op.op === "delete-service");
        expect(removals(doubled)).toEqual(removals(desired));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses what ipvsadm refuses", () => {
    const service = serviceConfigOf(demo.services[0]!);
    expect(() => applyOperations(demo, [{ op: "add-service", service }])).toThrow(OperationError);
    expect(() =>
      applyOperations(empty, [{ op: "delete-destination", service, destination: demo.services[0]!.destinations[0]! }]),
    ).toThrow(/no such service/);
  });

  it("does not change its input", () => {
    const before = structuredClone(demo);
    applyOperations(demo, plan(empty, demo));
    expect(demo).toEqual(before);
  });
});
