import { ClusterSpec, DEMO_CLUSTER, desiredTable, type IpvsTable } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { whatIf } from "../src/index.ts";

/** The guide's service (wrr 3:1, persistence 60 s), with connections on both servers. */
function guide(persistent = true): IpvsTable {
  const table = desiredTable(ClusterSpec.parse(DEMO_CLUSTER));
  const s = table.services[0]!;
  if (!persistent) s.persistence = undefined;
  s.destinations[0]!.activeConns = 30;
  s.destinations[0]!.inactConns = 12;
  s.destinations[1]!.activeConns = 10;
  s.destinations[1]!.inactConns = 4;
  return table;
}

const workload = { connectionsPerSecond: 20, meanLifetimeSeconds: 20, clients: 500, durationSeconds: 120 };

describe("whatIf", () => {
  it("is deterministic: the same question gets the same answer", () => {
    const q = {
      table: guide(),
      change: { kind: "weight" as const, server: { address: "192.168.1.231" }, weight: 3 },
      workload,
    };
    expect(whatIf(q)).toEqual(whatIf(q));
  });

  it("a weight change shifts new connections: 3:1 becomes 3:3", () => {
    const answer = whatIf({
      table: guide(false),
      change: { kind: "weight", server: { address: "192.168.1.231" }, weight: 3 },
      workload,
    });
    const share = (p: typeof answer.before, a: string) => p.servers.find((s) => s.address === a)!.share;
    expect(share(answer.before, "192.168.1.220")).toBeCloseTo(0.75, 2);
    expect(share(answer.after, "192.168.1.220")).toBeCloseTo(0.5, 2);
    expect(answer.operations).toEqual([
      expect.objectContaining({ op: "edit-destination", destination: expect.objectContaining({ weight: 3 }) }),
    ]);
  });

  it("draining (weight 0) sends nothing new and predicts when the server is empty", () => {
    const answer = whatIf({
      table: guide(false),
      change: { kind: "drain", server: { address: "192.168.1.220" } },
      workload,
    });
    const drained = answer.after.servers.find((s) => s.address === "192.168.1.220")!;
    expect(drained.newConnections).toBe(0);
    expect(answer.before.drained).toEqual([]);
    const [empty] = answer.after.drained;
    expect(empty?.address).toBe("192.168.1.220");
    // its 30 active connections close after ~20 s each, then sit in FIN_WAIT for 120 s
    expect(empty?.emptyAfterSeconds).toBeGreaterThan(120);
    expect(empty?.emptyAfterSeconds).toBeLessThan(400);
    const first = answer.after.timeline[0]!.servers.find((s) => s.address === "192.168.1.220")!;
    const last = answer.after.timeline.at(-1)!.servers.find((s) => s.address === "192.168.1.220")!;
    expect(first.activeConns).toBe(30);
    expect(last.activeConns).toBe(0);
  });

  it("with persistence, a drained server keeps its clients (their templates), unless expire_quiescent_template", () => {
    const question = {
      table: guide(true),
      change: { kind: "drain" as const, server: { address: "192.168.1.220" } },
      workload,
    };
    const sticky = whatIf(question).after.servers.find((s) => s.address === "192.168.1.220")!;
    const strict = whatIf({ ...question, sysctls: { expireQuiescentTemplate: true } }).after.servers.find(
      (s) => s.address === "192.168.1.220",
    )!;
    const plain = whatIf({ ...question, workload: { ...workload, persistence: "off" } }).after.servers.find(
      (s) => s.address === "192.168.1.220",
    )!;
    expect(sticky.newConnections).toBeGreaterThan(0);
    expect(strict.newConnections).toBe(0);
    expect(plain.newConnections).toBe(0);
  });

  it("removal is like a drain for the existing connections, and the timeline still follows the server", () => {
    const answer = whatIf({
      table: guide(false),
      change: { kind: "remove", server: { address: "192.168.1.231" } },
      workload,
    });
    const removed = answer.after.servers.find((s) => s.address === "192.168.1.231")!;
    expect(removed.present).toBe(false);
    expect(removed.newConnections).toBe(0);
    expect(answer.after.timeline[0]!.servers.find((s) => s.address === "192.168.1.231")?.activeConns).toBe(10);
    expect(answer.after.drained[0]?.emptyAfterSeconds).toBeGreaterThan(0);
  });

  it("fixed lifetimes: every existing connection ends within one lifetime, then FIN_WAIT's 120 s", () => {
    const answer = whatIf({
      table: guide(false),
      change: { kind: "drain", server: { address: "192.168.1.220" } },
      workload: { ...workload, lifetime: { kind: "fixed", seconds: 10 } },
    });
    const at = (t: number) =>
      answer.after.timeline.find((p) => p.t >= t)!.servers.find((s) => s.address === "192.168.1.220")!;
    expect(at(0).activeConns).toBe(30);
    expect(at(11).activeConns).toBe(0);
    expect(at(11).inactConns).toBeGreaterThanOrEqual(30);
    const empty = answer.after.drained[0]!.emptyAfterSeconds!;
    expect(empty).toBeGreaterThan(120);
    expect(empty).toBeLessThanOrEqual(131);
  });

  it("gives up on a drain at the horizon: null when the server is not empty by then", () => {
    const answer = whatIf({
      table: guide(true),
      change: { kind: "drain", server: { address: "192.168.1.231" } },
      // each client comes back within the 60 s persistence timeout: the templates keep the drained server busy
      workload: { ...workload, clients: 50, drainHorizonSeconds: 600 },
    });
    expect(answer.after.drained).toEqual([{ address: "192.168.1.231", port: 80, emptyAfterSeconds: null }]);
  });

  it("says which field is wrong", () => {
    expect(() =>
      whatIf({ table: guide(), change: { kind: "drain", server: { address: "10.9.9.9" } }, workload }),
    ).toThrow(/^server: 10\.9\.9\.9 is not a real server of tcp 192\.168\.1\.229:80$/);
    expect(() =>
      whatIf({
        table: guide(),
        change: { kind: "drain", server: { address: "192.168.1.220" } },
        workload: { connectionsPerSecond: 0 },
      }),
    ).toThrow(/^workload\.connectionsPerSecond/);
  });
});
