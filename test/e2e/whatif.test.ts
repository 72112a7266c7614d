import { agentControlClient, signSlackCommand } from "@lvsfleet/devfleet";
import type { AgentClient } from "@lvsfleet/rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directorWeights, SLACK_SECRET, startDemoFleet } from "./fleet.ts";

/**
 * What-if end to end: the demo fleet with simulated clients on lb-master (set through the
 * SetSimulatedTraffic RPC, over mutual TLS with the server's certificate), POST
 * /v1/clusters/web/simulate and the chat `whatif` command — and nothing in the cluster changes.
 */
let fleet: Awaited<ReturnType<typeof startDemoFleet>>;
let master: AgentClient;
let viewer: string;

async function asViewer(method: string, path: string, body?: unknown) {
  const response = await fetch(new URL(path, fleet.url), {
    method,
    headers: { authorization: `Bearer ${viewer}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, body: parsed, text };
}

async function chat(text: string, user = "U0003") {
  const { body, headers } = signSlackCommand(SLACK_SECRET, { text, user_id: user, user_name: `user-${user}` });
  const response = await fetch(`${fleet.url}/v1/chat/slack/commands`, { method: "POST", headers, body });
  return { status: response.status, reply: (await response.json()) as any };
}

/** Everything a what-if must leave alone: the stored spec and generation, the audit trail, the directors' tables. */
async function clusterSnapshot() {
  const cluster = (await fleet.api.get("/v1/clusters/web")).body;
  const audit = (await fleet.api.get("/v1/audit?limit=1000")).body.entries.length;
  return {
    generation: cluster.generation,
    spec: cluster.spec,
    audit,
    master: await directorWeights(fleet, "lb-master"),
    backup: await directorWeights(fleet, "lb-backup"),
  };
}

beforeAll(async () => {
  fleet = await startDemoFleet();
  master = await agentControlClient({
    dataDir: fleet.dataDir,
    host: "lb-master",
    endpoint: fleet.agents.get("lb-master")!.ready.endpoint,
    role: "director",
  });
  const traffic = await master.setSimulatedTraffic({
    load: { connectionsPerSecond: 20, meanLifetimeSeconds: 30, clients: 2000 },
    hold: [{ address: "192.168.1.231", port: 80, count: 10 }],
  });
  expect(traffic).toMatchObject({ held: 10, load: { connectionsPerSecond: 20 } });
  const token = await fleet.api.post("/v1/tokens", { name: "whatif-viewer", role: "viewer" });
  expect(token.status).toBe(201);
  viewer = token.body.token;
  // a few seconds of clients, so that the estimator has a rate (it samples every 2 s)
  await new Promise((r) => setTimeout(r, 4_500));
});

afterAll(async () => {
  master?.close();
  await fleet?.cleanup();
});

describe("simulated clients on the sim director", () => {
  it("status shows moving connection counts", async () => {
    const first = (await fleet.api.get("/v1/clusters/web/status")).body;
    const table = first.hosts.find((h: any) => h.host === "lb-master").table.services[0];
    const web2 = table.destinations.find((d: any) => d.address === "192.168.1.231");
    expect(web2.activeConns).toBeGreaterThanOrEqual(10);
    expect(table.stats.conns).toBeGreaterThan(20);
    await new Promise((r) => setTimeout(r, 1_500));
    const again = (await fleet.api.get("/v1/clusters/web/status")).body;
    expect(again.hosts.find((h: any) => h.host === "lb-master").table.services[0].stats.conns).toBeGreaterThan(
      table.stats.conns,
    );
    // the backup director gets no clients
    const backup = again.hosts.find((h: any) => h.host === "lb-backup").table.services[0];
    expect(backup.destinations.every((d: any) => d.activeConns === 0)).toBe(true);
  });
});

describe("REST: POST /v1/clusters/{cluster}/simulate", () => {
  it("predicts a drain from lb-master's live table, as a viewer, and changes nothing", async () => {
    const before = await clusterSnapshot();
    const response = await asViewer("POST", "/v1/clusters/web/simulate", {
      change: { kind: "weight", server: "192.168.1.231:80", weight: 0 },
      traffic: { clients: 2000 },
    });
    expect(response.status).toBe(200);
    const report = response.body;
    expect(report).toMatchObject({
      cluster: "web",
      service: "http",
      virtualService: "TCP 192.168.1.229:80",
      changes: ["weight 192.168.1.231:80 1 → 0"],
      operations: ["edit-destination TCP 192.168.1.229:80 -> 192.168.1.231:80 dr weight 0"],
      source: { kind: "director", host: "lb-master" },
      traffic: { connectionsPerSecondFrom: "observed", persistence: { timeout: 60, netmask: 32 } },
    });
    expect(report.source.activeConns).toBeGreaterThanOrEqual(10);
    expect(report.traffic.connectionsPerSecond).toBeGreaterThan(0);
    const web2 = report.servers.find((s: any) => s.address === "192.168.1.231");
    expect(web2.weight).toEqual({ before: 1, after: 0 });
    expect(web2.activeConns.now).toBeGreaterThanOrEqual(10);
    expect(web2.share.after).toBeLessThan(web2.share.before);
    expect(web2.emptyAfterSeconds).toHaveProperty("after");
    expect(report.after.timeline.length).toBeGreaterThan(10);
    expect(await clusterSnapshot()).toEqual(before);
  });

  it("answers in text, for removal and a scheduler change too", async () => {
    const response = await asViewer("POST", "/v1/clusters/web/simulate?format=text", {
      service: "http",
      change: [
        { kind: "remove", server: "192.168.1.231" },
        { kind: "scheduler", scheduler: "wlc" },
      ],
      traffic: { connectionsPerSecond: 5, lifetime: { kind: "fixed", seconds: 10 }, persistence: false },
    });
    expect(response.status).toBe(200);
    expect(response.text).toMatch(/^What if: remove 192\.168\.1\.231:80 from http; scheduler wrr → wlc — web\/http/);
    expect(response.text).toMatch(/192\.168\.1\.231:80 +1 → removed +\d+% → 0%/);
    expect(response.text).toContain("Nothing was changed.");
  });

  it("says what is wrong: the field, unknown names, no token", async () => {
    const bad = await asViewer("POST", "/v1/clusters/web/simulate", {
      change: { kind: "weight", server: "192.168.1.231", weight: -1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("change.weight");
    const unknown = await asViewer("POST", "/v1/clusters/web/simulate", {
      change: { kind: "drain", server: "192.168.1.99" },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/no real server 192\.168\.1\.99 in web\/http/);
    expect(
      (await asViewer("POST", "/v1/clusters/shop/simulate", { change: { kind: "drain", server: "1.2.3.4" } })).status,
    ).toBe(404);
    const anonymous = await fetch(new URL("/v1/clusters/web/simulate", fleet.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ change: { kind: "drain", server: "192.168.1.231" } }),
    });
    expect(anonymous.status).toBe(401);
  });
});

describe("chat: whatif weight", () => {
  it("replies with a short table to a viewer, and changes nothing", async () => {
    const before = await clusterSnapshot();
    const { status, reply } = await chat("whatif weight 192.168.1.231 0");
    expect(status).toBe(200);
    expect(reply.response_type).toBe("ephemeral");
    expect(reply.text).toMatch(
      /^```\nWhat if: weight 192\.168\.1\.231:80 1 → 0 — web\/http \(TCP 192\.168\.1\.229:80\)\n/,
    );
    expect(reply.text).toMatch(/from lb-master's live table \(ActiveConn \d+, InActConn \d+\)/);
    expect(reply.text).toMatch(/\n192\.168\.1\.220:80 +3 → 3 +\d+% → \d+%/);
    expect(reply.text).toMatch(/\n192\.168\.1\.231:80 +1 → 0 +\d+% → \d+%/);
    expect(reply.text).toContain("Nothing was changed.");
    expect(await clusterSnapshot()).toEqual(before);
  });

  it("keeps the other commands working and explains a bad whatif", async () => {
    const bad = await chat("whatif weight 192.168.1.231 lots");
    expect(bad.reply.text).toMatch(/the weight must be a whole number/);
    expect(bad.reply.text).toContain("whatif weight <real-server-ip>[:port] <0-65535> [cluster] [service]");
    const unknown = await chat("whatif weight 192.168.1.99 1");
    expect(unknown.reply.text).toMatch(/no real server 192\.168\.1\.99/);
    const status = await chat("status");
    expect(status.reply.text).toContain("director lb-master");
    const help = await chat("help");
    expect(help.reply.text).toContain("whatif weight");
  });
});

/**
 * The dearest question the budget accepts, near enough: drain web2 with persistence, so that the
 * after branch watches it to the one-hour horizon, at a rate just under LVSFLEET_SIM_BUDGET_MS.
 */
const DEAR = {
  change: { kind: "drain", server: "192.168.1.231:80" },
  traffic: { connectionsPerSecond: 60, clients: 2000, persistence: true, durationSeconds: 300 },
};

describe("simulations run off the event loop, within a budget", () => {
  it("refuses a question over the budget before running it: 400 naming the field, and nothing changes", async () => {
    const before = await clusterSnapshot();
    const response = await asViewer("POST", "/v1/clusters/web/simulate", {
      ...DEAR,
      traffic: { ...DEAR.traffic, connectionsPerSecond: 5_000 },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.field).toBe("traffic.connectionsPerSecond");
    expect(response.body.error.message).toMatch(
      /^the prediction would simulate about [\d,]+ connections over [\d,]+ virtual seconds, an estimated [\d,]+ ms of CPU \(limit 2,000 ms, LVSFLEET_SIM_BUDGET_MS\): too big; 5000\/s; give at most \d+\/s$/,
    );
    expect(response.body.error.details.map((d: any) => d.field)).toEqual(
      expect.arrayContaining(["traffic.drainHorizonSeconds", "traffic.persistence"]),
    );
    // a long watch over a drained server with many real servers' worth of ticks: the horizon is named
    const horizon = await asViewer("POST", "/v1/clusters/web/simulate", {
      ...DEAR,
      traffic: { ...DEAR.traffic, connectionsPerSecond: 40, drainHorizonSeconds: 86_400 },
    });
    expect(horizon.status).toBe(400);
    expect(horizon.body.error.field).toBe("traffic.drainHorizonSeconds");
    expect(horizon.body.error.message).toMatch(/give at most \d+$/);
    expect(await clusterSnapshot()).toEqual(before);
  });

  it("a viewer hammering simulate gets answers or 429 with Retry-After, while health and chat keep answering", async () => {
    const token = await fleet.api.post("/v1/tokens", { name: "whatif-hammer", role: "viewer" });
    expect(token.status).toBe(201);
    const hammer = token.body.token as string;
    const before = await clusterSnapshot();
    const until = Date.now() + 8_000;
    const statuses = new Map<number, number>();
    const refusals: { retryAfter: string | null; message: string }[] = [];
    const simulate = async () => {
      while (Date.now() < until) {
        const response = await fetch(new URL("/v1/clusters/web/simulate", fleet.url), {
          method: "POST",
          headers: { authorization: `Bearer ${hammer}`, "content-type": "application/json" },
          body: JSON.stringify(DEAR),
        });
        const body = (await response.json()) as any;
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 429) {
          refusals.push({ retryAfter: response.headers.get("retry-after"), message: body.error.message });
          // a short pause, not Retry-After: the point is to keep the pool full
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const health: { status: number; ms: number }[] = [];
    const probeHealth = async () => {
      while (Date.now() < until) {
        const started = performance.now();
        const response = await fetch(new URL("/v1/health", fleet.url));
        await response.text();
        health.push({ status: response.status, ms: performance.now() - started });
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const acks: { status: number; ms: number; text: string }[] = [];
    const probeChat = async () => {
      while (Date.now() < until) {
        const started = performance.now();
        const { status, reply } = await chat("status");
        acks.push({ status, ms: performance.now() - started, text: reply.text });
        await new Promise((r) => setTimeout(r, 1_500));
      }
    };
    await Promise.all([...Array.from({ length: 12 }, simulate), probeHealth(), probeChat()]);

    // the pool answered some and refused the rest at once, saying when to come back
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(statuses.get(429)).toBeGreaterThan(0);
    expect([...statuses.keys()].sort()).toEqual([200, 429]);
    for (const refusal of refusals) {
      expect(Number(refusal.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(refusal.message).toMatch(
        /^the server is already running \d+ simulations? with \d+ more waiting \(LVSFLEET_SIM_THREADS, LVSFLEET_SIM_QUEUE\); nothing was simulated: retry in \d+ s$/,
      );
    }
    // not a speed claim (bench/whatif-load measures that): nothing stalled the event loop
    expect(health.length).toBeGreaterThan(20);
    for (const h of health) {
      expect(h.status).toBe(200);
      expect(h.ms).toBeLessThan(2_000);
    }
    expect(acks.length).toBeGreaterThan(2);
    for (const ack of acks) {
      expect(ack.status).toBe(200);
      expect(ack.text).toContain("director lb-master");
      expect(ack.ms).toBeLessThan(2_000);
    }
    expect(await clusterSnapshot()).toEqual(before);
  });
});

describe("the drain the maintenance jobs will wait for", () => {
  it("held connections keep a weight-0 server busy until they are released", async () => {
    const response = await fleet.api.patch("/v1/clusters/web/services/http/real-servers/192.168.1.231:80", {
      weight: 0,
    });
    expect((await fleet.api.waitForJob(response.body.job.id)).state).toBe("completed");
    const web2 = async () => {
      const status = (await fleet.api.get("/v1/clusters/web/status")).body;
      return status.hosts
        .find((h: any) => h.host === "lb-master")
        .table.services[0].destinations.find((d: any) => d.address === "192.168.1.231");
    };
    const busy = await web2();
    expect(busy.activeConns).toBeGreaterThanOrEqual(10);
    const released = await master.setSimulatedTraffic({ load: { connectionsPerSecond: 0 }, releaseHeld: true });
    expect(released.held).toBe(0);
    expect(released.load.connectionsPerSecond).toBe(0);
    // the ten held ones closed at once (now InActConn); the load's own connections end over their lifetime
    const after = await web2();
    expect(after.activeConns).toBeLessThanOrEqual(busy.activeConns - 10);
    expect(after.inactConns).toBeGreaterThanOrEqual(10);
    expect(after.weight).toBe(0);
  });
});
