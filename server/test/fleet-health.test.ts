import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ClusterSpec, type ClusterSpecInput, type HeartbeatEvent, validate } from "@lvsfleet/model";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEntry } from "../src/audit/log.ts";
import { type OwnershipAlert, OwnershipAlerts } from "../src/health/alerts.ts";
import { FleetHealth, type FleetHealthDeps } from "../src/health/fleet-health.ts";
import type { LastState } from "../src/health/last-state.ts";
import { alertMessage, transitionMessage } from "../src/health/messages.ts";
import { alertGraceMs, type DirectorVrrpReport, vipOwnership } from "../src/health/ownership.ts";
import { ChatWebhook } from "../src/notify/webhook.ts";
import { clusterFailoverLines, directorFailoverLines } from "../src/status/failover-text.ts";
import type { StoredEvent } from "../src/store/events.ts";

const log = pino({ level: "silent" });
const input: ClusterSpecInput = {
  name: "web",
  vips: ["198.18.1.100"],
  directors: [
    { host: "dir1", address: "198.18.0.2", role: "master", priority: 100 },
    { host: "dir2", address: "198.18.0.3", role: "backup", priority: 90 },
  ],
  services: [
    {
      name: "http",
      address: "198.18.1.100",
      port: 80,
      realServers: [{ address: "198.18.0.11", port: 80, host: "rs1", healthChecks: [{ type: "tcp" }] }],
    },
  ],
  vrrp: { instances: [{ name: "VI_1", virtualRouterId: 51, vips: ["198.18.1.100"], advertInt: 0.1, version: 3 }] },
};
const spec = validate(ClusterSpec, input);
const report = (host: string, vipsHeld: string[], state = "BACKUP", reachable = true): DirectorVrrpReport => ({
  host,
  reachable,
  vipsHeld,
  vrrp: [{ instance: "VI_1", state: state as never }],
  at: 0,
});

describe("VIP ownership", () => {
  it("is ok with one holder, split-brain with two, no-owner with none, unknown when some are unheard", () => {
    const read = (...reports: DirectorVrrpReport[]) => vipOwnership(spec, new Map(reports.map((r) => [r.host, r])))[0];
    expect(read(report("dir1", ["198.18.1.100"], "MASTER"), report("dir2", []))).toMatchObject({
      state: "ok",
      holders: ["dir1"],
      directors: [
        { host: "dir1", holds: true, vrrpState: "MASTER" },
        { host: "dir2", holds: false, vrrpState: "BACKUP" },
      ],
    });
    expect(read(report("dir1", ["198.18.1.100"]), report("dir2", ["198.18.1.100"]))).toMatchObject({
      state: "split-brain",
      holders: ["dir1", "dir2"],
    });
    expect(read(report("dir1", []), report("dir2", []))?.state).toBe("no-owner");
    expect(read(report("dir1", [], "MASTER", false), report("dir2", []))?.state).toBe("unknown");
    // an unreachable director's last word does not count as holding
    expect(read(report("dir1", ["198.18.1.100"], "MASTER", false), report("dir2", ["198.18.1.100"]))?.state).toBe("ok");
  });

  it("gives split-brain 300 ms and no-owner a master-down interval and a second before they are alerts", () => {
    expect(alertGraceMs(spec, "VI_1", "split-brain")).toBe(300);
    expect(alertGraceMs(spec, "VI_1", "no-owner")).toBe(1_400);
  });

  it("raises an alert once the state outlives its grace, and clears it when one director holds the VIP", () => {
    const alerts = new OwnershipAlerts();
    const both = vipOwnership(
      spec,
      new Map([
        ["dir1", report("dir1", ["198.18.1.100"])],
        ["dir2", report("dir2", ["198.18.1.100"])],
      ]),
    );
    const grace = () => 300;
    expect(alerts.update("web", both, grace, 1_000)).toEqual({ transitions: [], recheckIn: 300 });
    expect(alerts.update("web", both, grace, 1_200).transitions).toEqual([]);
    const raised = alerts.update("web", both, grace, 1_300);
    expect(raised.transitions).toMatchObject([
      { kind: "raised", alert: { vip: "198.18.1.100", kind: "split-brain", holders: ["dir1", "dir2"], since: 1_000 } },
    ]);
    expect(alerts.list("web")).toHaveLength(1);
    expect(alerts.update("web", both, grace, 1_400).transitions).toEqual([]);
    const one = vipOwnership(
      spec,
      new Map([
        ["dir1", report("dir1", ["198.18.1.100"])],
        ["dir2", report("dir2", [])],
      ]),
    );
    expect(alerts.update("web", one, grace, 1_500).transitions).toMatchObject([{ kind: "cleared" }]);
    expect(alerts.list()).toEqual([]);
    // a brief overlap (a preempt) never becomes an alert
    alerts.update("web", both, grace, 2_000);
    expect(alerts.update("web", one, grace, 2_100).transitions).toEqual([]);
    expect(alerts.update("web", one, grace, 3_000).transitions).toEqual([]);
  });
});

describe("chat messages", () => {
  it("are short and say what happened and what the director did", () => {
    const health: StoredEvent = {
      type: "health",
      time: 0,
      host: "dir1",
      service: "http",
      address: "198.18.0.11",
      port: 80,
      from: "up",
      to: "down",
      reason: "tcp: connect ECONNREFUSED",
      action: "removed from the table",
    };
    expect(transitionMessage(health, "web")).toBe(
      ":red_circle: [web] real server 198.18.0.11:80 (http) is DOWN on dir1 — tcp: connect ECONNREFUSED; removed from the table",
    );
    expect(
      transitionMessage(
        {
          type: "state",
          time: 0,
          host: "dir2",
          subject: "vrrp:VI_1",
          from: "BACKUP",
          to: "MASTER",
          detail: "keepalived: priority 90",
        },
        "web",
      ),
    ).toBe(":arrows_counterclockwise: [web] dir2 is MASTER for VRRP VI_1 (was BACKUP; keepalived: priority 90)");
    expect(
      transitionMessage(
        { type: "agent", time: 0, host: "dir1", from: "reachable", to: "unreachable", detail: "no heartbeat" },
        "web",
      ),
    ).toBe(":warning: [web] agent dir1 is UNREACHABLE (no heartbeat)");
    expect(
      transitionMessage(
        { type: "state", time: 0, host: "dir1", subject: "table", from: "a", to: "b", detail: "" },
        "web",
      ),
    ).toBeUndefined();
    expect(
      alertMessage({
        kind: "raised",
        alert: {
          cluster: "web",
          vip: "198.18.1.100",
          instance: "VI_1",
          kind: "split-brain",
          holders: ["dir1", "dir2"],
          since: 0,
          raisedAt: 0,
        },
      }),
    ).toBe(":rotating_light: [web] SPLIT-BRAIN: VIP 198.18.1.100 (VI_1) is held by dir1 and dir2");
  });
});

describe("chat webhook", () => {
  let server: Server;
  let url: string;
  const received: { text: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        received.push(JSON.parse(body));
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => server.close());

  it("refuses a URL whose host is not allow-listed, or plain http off loopback", () => {
    expect(() => new ChatWebhook(url, ["hooks.slack.com"], log)).toThrow(
      /LVSFLEET_CHAT_RESPONSE_HOSTS \(hooks\.slack\.com\)/,
    );
    expect(() => new ChatWebhook("http://hooks.slack.com/services/x", ["hooks.slack.com"], log)).toThrow(
      /must be https/,
    );
    expect(() => new ChatWebhook("https://hooks.slack.com/services/x", ["hooks.slack.com"], log)).not.toThrow();
  });

  it("posts messages that come together as one, in order", async () => {
    const hook = new ChatWebhook(url, ["127.0.0.1"], log);
    hook.post("one");
    hook.post("two");
    await hook.close();
    expect(received.at(-1)).toEqual({ text: "one\ntwo" });
    expect(hook.posted).toBe(1);
  });
});

describe("FleetHealth", () => {
  function fleet(alertStore?: FleetHealthDeps["alertStore"]) {
    const events: StoredEvent[] = [];
    const audits: Omit<AuditEntry, "time" | "id">[] = [];
    const states: LastState[] = [];
    const posts: string[] = [];
    const health = new FleetHealth({
      clusters: { names: async () => ["web"], readable: async () => ({ spec }) },
      events: { append: async (e) => void events.push(e) },
      audit: {
        append: async (e) => {
          audits.push(e);
          return "1";
        },
      },
      lastState: { set: async (s) => void states.push(s), forHosts: async () => states },
      webhook: { post: (t: string) => posts.push(t), close: async () => undefined } as never,
      alertStore,
      log,
    });
    return { health, events, audits, states, posts };
  }
  const beat = (host: string, vipsHeld: string[], state: string): HeartbeatEvent => ({
    type: "heartbeat",
    time: Date.now(),
    host,
    roleState: "running",
    generation: 1,
    services: 1,
    destinations: 1,
    activeConns: 0,
    inactConns: 0,
    failover: { vipsHeld, vrrp: [{ instance: "VI_1", state: state as never }], realServersDown: 0 },
  });

  it("audits an agent's health decision as the agent, keeps its last state and posts it", async () => {
    const { health, audits, states, posts } = fleet();
    health.onTransition({
      type: "health",
      time: 5,
      host: "dir1",
      service: "http",
      address: "198.18.0.11",
      port: 80,
      from: "up",
      to: "down",
      reason: "tcp: connect ECONNREFUSED",
      action: "weight 3 -> 0 (inhibit_on_failure)",
      desiredWeight: 3,
      effectiveWeight: 0,
    });
    await health.settled();
    expect(audits).toEqual([
      expect.objectContaining({
        actor: { type: "agent", name: "dir1" },
        channel: "agent",
        command: "health",
        cluster: "web",
        target: "http 198.18.0.11:80",
        before: { state: "up", weight: 3 },
        after: { state: "down", weight: 0 },
        outcome: "completed",
      }),
    ]);
    expect(states).toMatchObject([{ subject: "rs:http:198.18.0.11:80", host: "dir1", state: "down", cluster: "web" }]);
    expect(posts[0]).toContain("198.18.0.11:80 (http) is DOWN on dir1");
    await health.close();
  });

  it("raises split-brain within a second of a second director taking the VIP, and clears it", async () => {
    const { health, events, posts } = fleet();
    health.onHeartbeat("dir1", beat("dir1", ["198.18.1.100"], "MASTER"));
    health.onHeartbeat("dir2", beat("dir2", [], "BACKUP"));
    await health.settled();
    const forced = Date.now();
    health.onTransition({
      type: "state",
      time: forced,
      host: "dir2",
      subject: "vip:198.18.1.100",
      from: "absent",
      to: "held",
      detail: "",
    });
    const deadline = Date.now() + 1_000;
    while (!posts.some((p) => p.includes("SPLIT-BRAIN")) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(posts.find((p) => p.includes("SPLIT-BRAIN"))).toContain("held by dir1 and dir2");
    expect(Date.now() - forced).toBeLessThan(1_000);
    expect((await health.ownership("web")).alerts).toMatchObject([{ kind: "split-brain", holders: ["dir1", "dir2"] }]);
    expect(events.some((e) => e.type === "state" && e.host === "server" && e.to === "split-brain")).toBe(true);
    health.onTransition({
      type: "state",
      time: Date.now(),
      host: "dir2",
      subject: "vip:198.18.1.100",
      from: "held",
      to: "absent",
      detail: "",
    });
    await health.settled();
    expect(posts.at(-1)).toContain("resolved (split-brain over): held by dir1");
    expect((await health.ownership("web")).alerts).toEqual([]);
    await health.close();
  });
});

describe("FleetHealth on several replicas (only the supervisor's runs)", () => {
  const beat = (host: string, vipsHeld: string[], state: string): HeartbeatEvent => ({
    type: "heartbeat",
    time: Date.now(),
    host,
    roleState: "running",
    generation: 1,
    services: 1,
    destinations: 1,
    activeConns: 0,
    inactConns: 0,
    failover: { vipsHeld, vrrp: [{ instance: "VI_1", state: state as never }], realServersDown: 0 },
  });
  function replica(store: NonNullable<FleetHealthDeps["alertStore"]>) {
    const events: StoredEvent[] = [];
    const posts: string[] = [];
    const health = new FleetHealth({
      clusters: { names: async () => ["web"], readable: async () => ({ spec }) },
      events: { append: async (e) => void events.push(e) },
      audit: { append: async () => "1" },
      lastState: { set: async () => undefined, forHosts: async () => [] },
      webhook: { post: (t: string) => posts.push(t), close: async () => undefined } as never,
      alertStore: store,
      log,
    });
    return { health, events, posts };
  }
  async function until(probe: () => boolean): Promise<void> {
    const deadline = Date.now() + 2_000;
    while (!probe() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  it("a split-brain raised by one supervisor is shown by the others and not raised again by the next", async () => {
    const active = new Map<string, OwnershipAlert>();
    const store: NonNullable<FleetHealthDeps["alertStore"]> = {
      raised: async (a) => void active.set(a.vip, a),
      cleared: async (a) => void active.delete(a.vip),
      list: async () => [...active.values()],
    };
    const first = replica(store);
    const second = replica(store);
    second.health.pause();
    first.health.onHeartbeat("dir1", beat("dir1", ["198.18.1.100"], "MASTER"));
    first.health.onHeartbeat("dir2", beat("dir2", ["198.18.1.100"], "MASTER"));
    await until(() => first.posts.some((p) => p.includes("SPLIT-BRAIN")));
    expect(first.events.filter((e) => e.type === "state" && e.to === "split-brain")).toHaveLength(1);
    // the replica that does not supervise ignores heartbeats, posts nothing, and shows the supervisor's alert
    second.health.onHeartbeat("dir1", beat("dir1", ["198.18.1.100"], "MASTER"));
    expect((await second.health.ownership("web")).alerts).toMatchObject([{ kind: "split-brain" }]);

    // the supervisor changes: the split brain is still there, and is not raised a second time
    first.health.pause();
    second.health.resume();
    second.health.onHeartbeat("dir1", beat("dir1", ["198.18.1.100"], "MASTER"));
    second.health.onHeartbeat("dir2", beat("dir2", ["198.18.1.100"], "MASTER"));
    await new Promise((r) => setTimeout(r, 600)); // past the split-brain grace
    await second.health.settled();
    expect(second.events).toEqual([]);
    expect(second.posts).toEqual([]);
    // … and is cleared once, by the new supervisor
    second.health.onHeartbeat("dir2", beat("dir2", [], "BACKUP"));
    await until(() => second.posts.length > 0);
    expect(second.events).toMatchObject([{ type: "state", from: "split-brain", to: "ok" }]);
    expect(active.size).toBe(0);
    expect(first.events.filter((e) => e.type === "state" && e.to === "ok")).toEqual([]);
    await first.health.close();
    await second.health.close();
  });
});

describe("status text", () => {
  it("shows a director's local decisions with the desired weight, VRRP, and the cluster's VIP ownership", () => {
    const lines = directorFailoverLines({
      realServers: [
        {
          service: "http",
          address: "198.18.0.11",
          port: 80,
          state: "down",
          desiredWeight: 3,
          effectiveWeight: undefined,
          action: "removed",
          reason: "tcp: connect ECONNREFUSED",
          since: 0,
          checks: [],
        },
      ],
      services: [{ service: "http", healthyWeight: 1, quorum: 1, quorumState: "up" }],
      vrrp: [
        { instance: "VI_1", state: "MASTER", since: 0, vips: ["198.18.1.100"], priority: 100, process: "running" },
      ],
      vipsHeld: ["198.18.1.100"],
    });
    expect(lines).toEqual([
      "VRRP VI_1: MASTER (priority 100, keepalived running) since 1970-01-01T00:00:00.000Z",
      "VIPs held: 198.18.1.100",
      "health (local decisions; desired weights unchanged):",
      "  http 198.18.0.11:80 DOWN [removed], out of the table — tcp: connect ECONNREFUSED",
    ]);
    const reports = new Map([
      ["dir1", report("dir1", ["198.18.1.100"], "MASTER")],
      ["dir2", report("dir2", ["198.18.1.100"])],
    ]);
    expect(clusterFailoverLines({ vips: vipOwnership(spec, reports), alerts: [], lastStates: [] })).toEqual([
      "",
      "VIP ownership:",
      "  198.18.1.100 (VI_1) held by dir1, dir2 — SPLIT-BRAIN [dir1 MASTER, dir2 BACKUP]",
    ]);
  });
});
