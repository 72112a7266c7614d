import type { AgentState } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { type AgentCalls, AgentFleet, callDeadlineMs, DEFAULT_APPLY_DEADLINE_MS } from "../src/agents/fleet.ts";

/** Agent calls that record the deadline each call was given, and answer at once. */
function recordingFleet(deadlines: ConstructorParameters<typeof AgentFleet>[0]["deadlines"]) {
  const seen: [string, number | undefined][] = [];
  const state = { info: { host: "lb1" } } as unknown as AgentState;
  const record = <T>(call: string, ms: number | undefined, answer: T): T => {
    seen.push([call, ms]);
    return answer;
  };
  const calls = {
    getState: async (ms?: number) => record("GetState", ms, state),
    apply: async (request: { dryRun?: boolean }, ms?: number) =>
      record(request.dryRun ? "Apply dry run" : "Apply", ms, {
        operations: [],
        observed: { services: [] },
        generation: 1,
      }),
    start: async (_c: string, _config: unknown, ms?: number) => record("Start", ms, { changes: [], state }),
    stop: async (_c: string, ms?: number) => record("Stop", ms, { changes: [], state }),
    runAction: async (_n: string, ms?: number) =>
      record("RunAction", ms, { exitCode: 0, output: "", durationMs: 1, timedOut: false }),
    watchEvents: () => ({ cancel() {} }),
  } as unknown as AgentCalls;
  const fleet = new AgentFleet({
    owners: { ownersOf: async (hosts) => new Map(hosts.map((h) => [h, "web"])) },
    registry: { get: async (host) => ({ host, role: "director", endpoint: "x", driver: "sim", registeredAt: 0 }) },
    dial: () => calls,
    deadlines,
  });
  return { fleet, seen };
}

describe("call deadlines: long work gets a long one, reads keep theirs", () => {
  it("Apply, Start and Stop get the apply deadline; status reads, a job's reads and dry runs the short ones", async () => {
    const { fleet, seen } = recordingFleet({ statusMs: 1_500, callMs: 5_000, applyMs: 900_000, actionMs: 60_000 });
    await fleet.state("web", "lb1", { deadline: "status" });
    await fleet.state("web", "lb1");
    await fleet.states("web", ["lb1"], { deadline: "status" });
    await fleet.apply("web", "lb1", { generation: 1, desired: { services: [] }, dryRun: true });
    await fleet.apply("web", "lb1", { generation: 1, desired: { services: [] } });
    await fleet.start("web", "lb1", { kind: "real-server", realServer: { vips: [] } } as never);
    await fleet.stop("web", "lb1");
    await fleet.runAction("web", "lb1", "restart");
    expect(seen).toEqual([
      ["GetState", 1_500],
      ["GetState", 5_000],
      ["GetState", 1_500],
      ["Apply dry run", 5_000],
      ["Apply", 900_000],
      ["Start", 900_000],
      ["Stop", 900_000],
      ["RunAction", 60_000],
    ]);
  });

  it("without a setting, Apply gets 15 minutes: longer than the agents' longest batch command", () => {
    const deadlines = { statusMs: 1_500, actionMs: 60_000 };
    expect(callDeadlineMs("apply", deadlines)).toBe(DEFAULT_APPLY_DEADLINE_MS);
    expect(DEFAULT_APPLY_DEADLINE_MS).toBe(15 * 60_000);
    // the short calls fall back to the agent client's own (the pool's LVSFLEET_AGENT_DEADLINE_MS)
    expect(callDeadlineMs("call", deadlines)).toBeUndefined();
    expect(callDeadlineMs("dry-run", deadlines)).toBeUndefined();
    expect(callDeadlineMs("status", deadlines)).toBe(1_500);
  });
});
