import { ClusterSpec, validate } from "@lvsfleet/model";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { standingDrift } from "../src/health/drift.ts";
import { FleetHealth } from "../src/health/fleet-health.ts";
import type { LastState } from "../src/health/last-state.ts";
import { ServerMetrics } from "../src/metrics/server-metrics.ts";
import { renderStatusText } from "../src/status/render.ts";
import type { StoredEvent } from "../src/store/events.ts";

const spec = validate(ClusterSpec, {
  name: "web",
  vips: ["198.18.1.100"],
  directors: [{ host: "dir1", address: "198.18.0.2", role: "master", priority: 100 }],
  services: [],
});

function fleet() {
  const states: LastState[] = [];
  const posts: string[] = [];
  const health = new FleetHealth({
    clusters: { names: async () => ["web"], readable: async () => ({ spec }) },
    events: { append: async () => undefined },
    audit: { append: async () => "1" },
    lastState: {
      set: async (s) => {
        const i = states.findIndex((e) => e.host === s.host && e.subject === s.subject);
        if (i >= 0) states.splice(i, 1);
        states.push(s);
      },
      forHosts: async () => states,
    },
    webhook: { post: (t: string) => posts.push(t), close: async () => undefined } as never,
    log: pino({ level: "silent" }),
  });
  return { health, states, posts };
}

const driftEvent = (to: string, operations: number, detail: string): StoredEvent => ({
  type: "state",
  time: Date.now(),
  host: "dir1",
  subject: "drift",
  from: "in step",
  to,
  detail,
  operations,
});

async function driftCount(metrics: ServerMetrics, corrected: string): Promise<number> {
  const metric = await metrics.driftOperations.get();
  return (
    metric.values.find(
      (v) => v.labels.cluster === "web" && v.labels.host === "dir1" && v.labels.corrected === corrected,
    )?.value ?? 0
  );
}

describe("drift a director reports", () => {
  it("is counted (lvsfleet_drift_operations), kept as the director's last drift state, posted to chat, and shown by status while it stands", async () => {
    const metrics = new ServerMetrics();
    const { health, states, posts } = fleet();
    health.onTransition(
      driftEvent(
        "drifted",
        3,
        "the kernel differs …; 3 operations would repair it: add service tcp 198.18.1.100:80 wrr",
      ),
    );
    await health.settled();
    expect(await driftCount(metrics, "false")).toBe(3);
    expect(states).toMatchObject([{ subject: "drift", host: "dir1", cluster: "web", state: "drifted" }]);
    expect(posts).toEqual([
      ":warning: [web] DRIFT on dir1: its table was changed behind its back — the kernel differs …; 3 operations would repair it: add service tcp 198.18.1.100:80 wrr",
    ]);
    const standing = standingDrift(states, ["dir1"], "web");
    expect(standing).toMatchObject([{ host: "dir1", detail: expect.stringContaining("3 operations") }]);
    const text = renderStatusText({ cluster: "web", generation: 1, hosts: [], recentEvents: [], drift: standing });
    expect(text).toMatch(/DRIFT on dir1 since .*: the kernel differs/);

    health.onTransition(driftEvent("corrected", 2, "2 operations repaired the table"));
    await health.settled();
    expect(await driftCount(metrics, "true")).toBe(2);
    expect(await driftCount(metrics, "false")).toBe(3);
    expect(posts[1]).toBe(":wrench: [web] drift on dir1 CORRECTED — 2 operations repaired the table");
    expect(standingDrift(states, ["dir1"], "web")).toEqual([]);

    health.onTransition(driftEvent("in step", 0, "the kernel holds the applied table of generation 1 again"));
    await health.settled();
    expect(await driftCount(metrics, "true")).toBe(2);
    expect(posts[2]).toContain("table in step again");
    await health.close();
  });

  it("a restarted director's first read-back in step ends the drift status shows, without a chat message", async () => {
    const { health, states, posts } = fleet();
    health.onTransition(driftEvent("drifted", 1, "1 operation would repair it"));
    await health.settled();
    expect(standingDrift(states, ["dir1"], "web")).toHaveLength(1);
    health.onTransition({
      ...driftEvent("in step", 0, "the kernel holds the applied table of generation 1 again"),
      from: "unknown",
    } as StoredEvent);
    await health.settled();
    expect(standingDrift(states, ["dir1"], "web")).toEqual([]);
    expect(posts).toHaveLength(1);
    await health.close();
  });

  it("a stopped role's drift ends (to unknown) without a chat message", async () => {
    const { health, states, posts } = fleet();
    health.onTransition(driftEvent("drifted", 1, "1 operation would repair it"));
    await health.settled();
    health.onTransition({
      ...driftEvent("unknown", 0, "the role stopped: its table of generation 1 is no longer watched"),
      from: "drifted",
    } as StoredEvent);
    await health.settled();
    expect(standingDrift(states, ["dir1"], "web")).toEqual([]);
    expect(posts).toHaveLength(1);
    await health.close();
  });

  it("drift a director reported in one cluster is not shown in another's status (the host moved)", async () => {
    const { health, states } = fleet();
    health.onTransition(driftEvent("drifted", 1, "1 operation would repair it: add service tcp 198.18.1.100:80 wrr"));
    await health.settled();
    expect(standingDrift(states, ["dir1"], "web")).toHaveLength(1);
    expect(standingDrift(states, ["dir1"], "internal")).toEqual([]);
    await health.close();
  });
});
