import { type IpvsDestinationConfig, type IpvsServiceConfig, SCHEDULERS, type Scheduler } from "@lvsfleet/model";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Simulator } from "../src/index.ts";

const service = (scheduler: Scheduler, extra: Partial<IpvsServiceConfig> = {}): IpvsServiceConfig => ({
  protocol: "tcp",
  address: "198.18.0.100",
  port: 80,
  family: "inet",
  scheduler,
  schedulerFlags: [],
  ...extra,
});
const rs = (n: number, weight: number, upperThreshold = 0): IpvsDestinationConfig => ({
  address: `198.18.0.${n}`,
  port: 80,
  forwarding: n % 2 ? "dr" : "nat",
  weight,
  upperThreshold,
  lowerThreshold: 0,
});
const client = (i: number) => `198.18.${100 + ((i >>> 8) & 63)}.${i & 255}`;

/** Any sequence of table changes, connections, closes and time passing. */
const action = fc.oneof(
  fc.record({
    kind: fc.constant("set" as const),
    n: fc.integer({ min: 1, max: 6 }),
    weight: fc.integer({ min: 0, max: 5 }),
    upper: fc.constantFrom(0, 0, 2, 5),
  }),
  fc.record({ kind: fc.constant("remove" as const), n: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant("connect" as const), client: fc.integer({ min: 0, max: 3000 }) }),
  fc.record({ kind: fc.constant("close" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 200_000 }) }),
);

describe("Simulator properties", () => {
  it("a weight-0 or overloaded server never gets a new connection; counters never go negative (every scheduler)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SCHEDULERS),
        fc.boolean(),
        fc.array(action, { maxLength: 120 }),
        (scheduler, persistent, actions) => {
          const svc = service(scheduler, persistent ? { persistence: { timeout: 30, netmask: 24 } } : {});
          const sim = new Simulator({ seed: 3 });
          sim.applyOperations([{ op: "add-service", service: svc }]);
          const present = new Map<number, IpvsDestinationConfig>();
          const open: number[] = [];
          let port = 1024;
          for (const a of actions) {
            if (a.kind === "set") {
              // a threshold only changes with a new server: raising it on a live one clears OVERLOAD early, as in the kernel
              const d = rs(a.n, a.weight, present.get(a.n)?.upperThreshold ?? a.upper);
              sim.applyOperations([
                { op: present.has(a.n) ? "edit-destination" : "add-destination", service: svc, destination: d },
              ]);
              present.set(a.n, d);
            } else if (a.kind === "remove" && present.has(a.n)) {
              sim.applyOperations([{ op: "delete-destination", service: svc, destination: present.get(a.n)! }]);
              present.delete(a.n);
            } else if (a.kind === "connect") {
              const before = new Map(sim.table().services[0]!.destinations.map((d) => [d.address, d]));
              const r = sim.openConnection({
                client: client(a.client),
                clientPort: port++,
                address: "198.18.0.100",
                port: 80,
              });
              if (r.ok) {
                const d = before.get(r.destination.address);
                expect(d, "only a server in the table gets connections").toBeDefined();
                // persistence may send a client back to its quiescent (weight 0) server: that is the kernel's rule
                if (!persistent) expect(d!.weight).toBeGreaterThan(0);
                const overloaded = d!.upperThreshold > 0 && d!.activeConns + d!.inactConns >= d!.upperThreshold;
                if (!persistent && !["lblc", "lblcr"].includes(scheduler)) expect(overloaded).toBe(false);
                sim.establish(r.id);
                open.push(r.id);
              }
            } else if (a.kind === "close" && open.length) {
              sim.closeConnection(open.splice(a.pick % open.length, 1)[0]!);
            } else if (a.kind === "tick") sim.tick(a.ms);
            for (const d of sim.table().services[0]!.destinations) {
              expect(d.activeConns).toBeGreaterThanOrEqual(0);
              expect(d.inactConns).toBeGreaterThanOrEqual(0);
              expect(d.persistConns).toBeGreaterThanOrEqual(0);
            }
          }
          sim.tick(3_600_000);
          expect(sim.connectionCount()).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("wrr: one full cycle gives each server exactly its weight (divided by the GCD)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        (weights, factor) => {
          const svc = service("wrr");
          const sim = new Simulator();
          sim.applyOperations([
            { op: "add-service", service: svc },
            ...weights.map((w, i) => ({
              op: "add-destination" as const,
              service: svc,
              destination: rs(i + 1, w * factor),
            })),
          ]);
          const g = weights.reduce((a, b) => gcd(a, b));
          const cycle = weights.reduce((a, b) => a + b, 0) / g;
          const got = new Map<string, number>();
          for (let i = 0; i < cycle; i++) {
            const r = sim.openConnection({
              client: client(i),
              clientPort: 1000 + i,
              address: "198.18.0.100",
              port: 80,
            });
            if (r.ok) got.set(r.destination.address, (got.get(r.destination.address) ?? 0) + 1);
          }
          for (const [i, w] of weights.entries()) expect(got.get(`198.18.0.${i + 1}`)).toBe(w / g);
        },
      ),
    );
  });

  it("sh and dh map the same key to the same server while the set is unchanged", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("sh" as const, "dh" as const),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 40 }),
        (scheduler, weights, keys) => {
          const svc = service(scheduler);
          const sim = new Simulator();
          sim.applyOperations([
            { op: "add-service", service: svc },
            ...weights.map((w, i) => ({ op: "add-destination" as const, service: svc, destination: rs(i + 1, w) })),
          ]);
          const pick = (k: number) =>
            sim.openConnection({ client: client(k), clientPort: 2000, address: "198.18.0.100", port: 80 });
          for (const k of keys)
            expect(pick(k)).toMatchObject({ destination: (pick(k) as { destination: object }).destination });
        },
      ),
    );
  });

  it("mh: when one of N servers goes, about 1/N of the keys move, nearly all of them its own", () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 8 }), fc.integer({ min: 0, max: 7 }), (n, which) => {
        const svc = service("mh");
        const build = (without?: number) => {
          const sim = new Simulator();
          sim.applyOperations([{ op: "add-service", service: svc }]);
          for (let i = 1; i <= n; i++)
            sim.applyOperations([{ op: "add-destination", service: svc, destination: rs(i, 1) }]);
          if (without) sim.applyOperations([{ op: "delete-destination", service: svc, destination: rs(without, 1) }]);
          return sim;
        };
        const gone = (which % n) + 1;
        const before = build();
        const after = build(gone);
        let moved = 0;
        let movedFromGone = 0;
        const keys = 2000;
        for (let k = 0; k < keys; k++) {
          const req = { client: client(k), clientPort: 1, address: "198.18.0.100", port: 80 };
          const a = before.openConnection(req);
          const b = after.openConnection(req);
          if (a.ok && b.ok && a.destination.address !== b.destination.address) {
            moved++;
            if (a.destination.address === `198.18.0.${gone}`) movedFromGone++;
          }
        }
        // about 1/N of the keys move, nearly all of them the removed server's own
        expect(moved / keys).toBeLessThan(1.6 / n);
        expect(movedFromGone / moved).toBeGreaterThan(0.85);
      }),
      { numRuns: 12 },
    );
  });

  it("persistence keeps a client on one server until its template expires", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SCHEDULERS),
        fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 2, maxLength: 30 }),
        (scheduler, gaps) => {
          const svc = service(scheduler, { persistence: { timeout: 60, netmask: 32 } });
          const sim = new Simulator({ seed: 9 });
          sim.applyOperations([
            { op: "add-service", service: svc },
            ...[1, 2, 3].map((i) => ({ op: "add-destination" as const, service: svc, destination: rs(i, i) })),
          ]);
          let home: string | undefined;
          let port = 3000;
          for (const gap of gaps) {
            sim.tick(gap); // gaps under 60 s: the template is refreshed by every new connection
            const r = sim.openConnection({
              client: "198.18.77.7",
              clientPort: port++,
              address: "198.18.0.100",
              port: 80,
            });
            expect(r.ok).toBe(true);
            if (!r.ok) return;
            home ??= r.destination.address;
            expect(r.destination.address).toBe(home);
            sim.establish(r.id);
            sim.closeConnection(r.id, "reset");
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
