import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import {
  Api,
  type ProgramHandle,
  repoRoot,
  signSlackBody,
  signSlackCommand,
  startServerProcess,
} from "@lvsfleet/devfleet";
import { DEMO_CLUSTER } from "@lvsfleet/model";
import { CA_CERT_FILE, CA_KEY_FILE, loadIdentity, signRegistration } from "@lvsfleet/pki";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SLACK_SECRET, startDemoFleet } from "./fleet.ts";

/**
 * Issue 11: every authority boundary, attacked through the front door. Each test performs the attack
 * with the documented shapes (REST, signed chat, a second server process sharing the Redis), asserts
 * the refusal and its message, and that nothing changed (specs, tokens, owners, agents, audit shows
 * the denial). The demo cluster `web` owns lb-master, lb-backup, web1 and web2; cluster `shop` has
 * no host of its own at first.
 */

let fleet: Awaited<ReturnType<typeof startDemoFleet>>;
const TEAM = "T0LVSFLEET";
const PREFIX = `e2e-authority-${randomBytes(4).toString("hex")}`;

/** A second cluster with no directors: nothing is ever dialed for it (its addresses are labels). */
const SHOP = {
  name: "shop",
  vips: ["192.168.2.10"],
  services: [
    {
      name: "http",
      protocol: "tcp",
      address: "192.168.2.10",
      port: 80,
      scheduler: "rr",
      realServers: [{ address: "192.168.2.20", port: 80, weight: 1 }],
    },
  ],
};

beforeAll(async () => {
  fleet = await startDemoFleet({ LVSFLEET_PREFIX: PREFIX, LVSFLEET_JOB_ATTEMPTS: "2", LVSFLEET_CHAT_TEAM_ID: TEAM });
  expect((await fleet.api.put("/v1/clusters/shop", SHOP)).status).toBe(202);
});
afterAll(async () => {
  await fleet?.cleanup();
});

function as(token: string, base = fleet.url) {
  return new Api(base, token);
}

async function newToken(role: string, clusters?: string[]) {
  const response = await fleet.api.post("/v1/tokens", {
    name: `${role}-${Math.random().toString(36).slice(2, 8)}`,
    role,
    ...(clusters ? { clusters } : {}),
  });
  expect(response.status).toBe(201);
  return response.body as { token: string; id: string; name: string };
}

async function audit(): Promise<any[]> {
  const response = await fleet.api.get("/v1/audit?limit=1000");
  expect(response.status).toBe(200);
  return response.body.entries;
}

/** The denials of `actorName` audited since `since` (ms). */
async function deniedSince(since: number, actorName: string): Promise<any[]> {
  return (await audit()).filter((e) => e.time >= since && e.outcome === "denied" && e.actor.name === actorName);
}

async function tokenNames(): Promise<string[]> {
  return (await fleet.api.get("/v1/tokens")).body.tokens.map((t: any) => t.name).sort();
}

async function agents(api = fleet.api): Promise<any[]> {
  return (await api.get("/v1/agents")).body.agents;
}

async function generation(cluster: string): Promise<number> {
  return (await fleet.api.get(`/v1/clusters/${cluster}`)).body.generation;
}

describe("2. a token limited to some clusters acts only on those clusters", () => {
  it("a cluster-limited admin cannot reach anything fleet-wide: tokens, PKI, agents, the queue dashboard, metrics", async () => {
    const limited = await newToken("admin", ["shop"]);
    const attacker = as(limited.token);
    const tokensBefore = await tokenNames();
    const agentsBefore = await agents();
    const joinBefore = (await fleet.api.get("/v1/pki/join-tokens")).body;
    const count = Date.now();

    const escalate = await attacker.post("/v1/tokens", { name: "root", role: "admin" });
    expect(escalate.status).toBe(403);
    expect(escalate.body.error.message).toMatch(
      /limited to clusters shop; creating tokens reaches the whole fleet and needs a token without a cluster list/,
    );
    expect((await attacker.post("/v1/tokens", { name: "other", role: "viewer", clusters: ["web"] })).status).toBe(403);
    expect((await attacker.get("/v1/tokens")).status).toBe(403);
    expect((await attacker.request("DELETE", `/v1/tokens/${limited.id}`)).status).toBe(403);

    const join = await attacker.post("/v1/pki/join-tokens", { host: "lb-master", role: "director" });
    expect(join.status).toBe(403);
    expect(join.body.error.message).toMatch(/issuing join tokens reaches the whole fleet/);
    expect((await attacker.get("/v1/pki/join-tokens")).status).toBe(403);

    const revoke = await attacker.post("/v1/pki/revocations", { host: "web2", reason: "attack" });
    expect(revoke.status).toBe(403);
    expect(revoke.body.error.message).toMatch(/revoking hosts reaches the whole fleet/);

    const hijack = await attacker.put("/v1/agents/lb-master", { endpoint: "127.0.0.1:1", role: "director" });
    expect(hijack.status).toBe(403);
    expect(hijack.body.error.message).toMatch(/registering an agent reaches the whole fleet/);

    const dashboard = await fetch(`${fleet.url}/admin/queues`, {
      headers: { authorization: `Bearer ${limited.token}` },
    });
    expect(dashboard.status).toBe(403);
    expect(((await dashboard.json()) as any).error.message).toMatch(/the queue dashboard reaches the whole fleet/);
    const metrics = await fetch(`${fleet.url}/metrics`, { headers: { authorization: `Bearer ${limited.token}` } });
    expect(metrics.status).toBe(403);

    // Nothing changed: tokens, join tokens, agents (lb-master still where it was, web2 not revoked).
    expect(await tokenNames()).toEqual(tokensBefore);
    expect((await fleet.api.get("/v1/pki/join-tokens")).body).toEqual(joinBefore);
    const after = await agents();
    expect(after.map((a) => [a.host, a.endpoint])).toEqual(agentsBefore.map((a) => [a.host, a.endpoint]));
    expect(after.find((a) => a.host === "web2").reachable).toBe(true);
    // Every refusal is in the audit trail as a denial by that token.
    const denied = await deniedSince(count, limited.name);
    expect(denied.map((e) => e.command)).toEqual(
      expect.arrayContaining([
        "create token",
        "list tokens",
        "revoke token",
        "create join token",
        "list join tokens",
        "revoke host",
        "register agent",
        "open queue dashboard",
        "scrape metrics",
      ]),
    );
  });
});

describe("3. a cluster owns its hosts", () => {
  const withDirector = (host: string) => ({
    ...SHOP,
    directors: [{ host, address: "192.168.2.2", role: "master", priority: 100 }],
  });

  it("GET /v1/agents names each host's cluster and shows a limited token only its clusters' hosts", async () => {
    const all = await agents();
    expect(all.map((a) => [a.host, a.cluster])).toEqual([
      ["lb-backup", "web"],
      ["lb-master", "web"],
      ["web1", "web"],
      ["web2", "web"],
    ]);
    expect(await agents(as((await newToken("viewer", ["shop"])).token))).toEqual([]);
    expect((await agents(as((await newToken("viewer", ["web"])).token))).length).toBe(4);
  });

  it("a spec naming another cluster's director is refused with 400 naming the host and its owner; nothing changes", async () => {
    const shopAdmin = await newToken("admin", ["shop"]);
    const attacker = as(shopAdmin.token);
    const before = await generation("shop");
    const count = Date.now();
    const takeover = await attacker.put("/v1/clusters/shop", withDirector("lb-master"));
    expect(takeover.status).toBe(400);
    expect(takeover.body.error.field).toBe("directors[0].host");
    expect(takeover.body.error.message).toMatch(/lb-master belongs to cluster web/);
    // asking for the move needs admin of web too
    const move = await attacker.request("PUT", "/v1/clusters/shop?moveHosts=lb-master", withDirector("lb-master"));
    expect(move.status).toBe(403);
    expect(move.body.error.message).toMatch(/may not act on cluster web/);
    // a global admin is refused too without asking for the move, e.g. for a real server's host
    const viaRealServer = await fleet.api.put("/v1/clusters/shop", {
      ...SHOP,
      services: [{ ...SHOP.services[0], realServers: [{ address: "192.168.2.20", port: 80, host: "web1" }] }],
    });
    expect(viaRealServer.status).toBe(400);
    expect(viaRealServer.body.error.field).toBe("services[0].realServers[0].host");
    expect(viaRealServer.body.error.message).toMatch(/web1 belongs to cluster web/);

    expect(await generation("shop")).toBe(before);
    expect((await agents()).find((a) => a.host === "lb-master").cluster).toBe("web");
    expect(
      (await fleet.api.get("/v1/clusters/web/status")).body.hosts.find((h: any) => h.host === "lb-master"),
    ).toMatchObject({ roleState: "running" });
    const denied = await deniedSince(count, shopAdmin.name);
    expect(denied.map((e) => e.detail).join("\n")).toMatch(/lb-master belongs to cluster web/);
  });

  it("POST …/plan does not let a viewer of one cluster read another cluster's director tables", async () => {
    const viewer = as((await newToken("viewer", ["shop"])).token);
    const peek = await viewer.post("/v1/clusters/shop/plan", withDirector("lb-master"));
    expect(peek.status).toBe(400);
    expect(peek.body.error.message).toMatch(/lb-master belongs to cluster web/);
    expect(JSON.stringify(peek.body)).not.toContain("192.168.1.229");
    // its own cluster's plan still works
    const own = await viewer.post("/v1/clusters/shop/plan", SHOP);
    expect(own.status).toBe(200);
    expect(own.body.specChanged).toBe(false);
  });

  it("lvsctl: diff and apply name the owner; --move-hosts plans the move; agents shows each host's cluster", async () => {
    const spec = JSON.stringify(withDirector("lb-master"));
    const before = await generation("shop");
    const refused = await lvsctl(["apply", "-f", "-"], spec);
    expect(refused.code).toBe(6); // the server refused the request; nothing changed
    expect(refused.stderr).toMatch(/directors\[0\]\.host: lb-master belongs to cluster web/);
    expect((await lvsctl(["diff", "-f", "-"], spec)).code).toBe(6);
    const planned = await lvsctl(["diff", "-f", "-", "--move-hosts", "lb-master"], spec);
    expect(planned.code).toBe(1);
    // the plan now asks lb-master, whose agent says it still serves web (stop it there before moving it)
    expect(planned.stdout).toMatch(/director lb-master: not asked: .*host lb-master serves cluster web, not shop/);
    expect(await generation("shop")).toBe(before);
    const listed = await lvsctl(["agents"]);
    expect(listed.stdout).toMatch(/^HOST\s+CLUSTER\s+ROLE/);
    expect(listed.stdout).toMatch(/lb-master\s+web\s+director/);
  });

  it("an admin of both moves a host explicitly; the old cluster then neither reads nor changes it, and it moves back", async () => {
    const spec = {
      ...SHOP,
      services: [{ ...SHOP.services[0], realServers: [{ address: "192.168.2.20", port: 80, host: "web2" }] }],
    };
    const moved = await fleet.api.request("PUT", "/v1/clusters/shop?moveHosts=web2", spec);
    expect(moved.status).toBe(202);
    expect((await agents()).find((a) => a.host === "web2").cluster).toBe("shop");
    const entry = (await audit()).findLast((e) => e.command.startsWith("put cluster shop (moving web2)"));
    expect(entry).toMatchObject({ before: { owners: { web2: "web" } }, after: { owners: { web2: "shop" } } });

    // web's view of web2: not read, and a stop of web2 through web fails without touching it
    const status = (await fleet.api.get("/v1/clusters/web/status")).body;
    expect(status.hosts.find((h: any) => h.host === "web2").error).toMatch(/web2 belongs to cluster shop/);
    const stop = await fleet.api.post("/v1/clusters/web/stop", { host: "web2" });
    const job = await fleet.api.waitForJob(stop.body.job.id);
    expect(job.state).toBe("failed");
    expect(job.error).toMatch(/web2 belongs to cluster shop/);
    const shopStatus = (await fleet.api.get("/v1/clusters/shop/status")).body;
    expect(shopStatus.hosts.find((h: any) => h.host === "web2").roleState).toBe("running");

    // 4. retrying that failed stop needs admin on the job's cluster: an operator is refused
    const operator = await newToken("operator");
    const count = Date.now();
    const retry = await as(operator.token).post(`/v1/jobs/${stop.body.job.id}/retry`);
    expect(retry.status).toBe(403);
    expect(retry.body.error.message).toMatch(/has role operator; retrying a stop job .* needs admin/);
    expect((await fleet.api.get(`/v1/jobs/${stop.body.job.id}`)).body.state).toBe("failed");
    expect((await deniedSince(count, operator.name)).map((e) => e.command)).toEqual(["retry job"]);
    // an admin limited to another cluster may not retry it either
    const elsewhere = await as((await newToken("admin", ["shop"])).token).post(`/v1/jobs/${stop.body.job.id}/retry`);
    expect(elsewhere.status).toBe(404);

    // back to web, so the other tests find the demo as it was
    expect((await fleet.api.request("PUT", "/v1/clusters/shop", SHOP)).status).toBe(202);
    // web2 is nobody's now: the next PUT of a spec that names it claims it
    expect((await agents()).find((a) => a.host === "web2").cluster).toBeUndefined();
    const back = await fleet.api.put("/v1/clusters/web", DEMO_CLUSTER);
    expect(back.status).toBe(202);
    expect((await fleet.api.waitForJob(back.body.job.id)).state).toBe("completed");
    expect((await agents()).find((a) => a.host === "web2").cluster).toBe("web");
  });
});

describe("3. a name alone claims no host", () => {
  it("a cluster-limited admin cannot squat a host name before it is enrolled: a join token reserves it for its cluster", async () => {
    const shopAdmin = as((await newToken("admin", ["shop"])).token);
    const squat = {
      ...SHOP,
      services: [{ ...SHOP.services[0], realServers: [{ address: "192.168.2.21", port: 80, host: "web9" }] }],
    };
    // web9 has no agent yet: the spec is stored, but the name is nobody's
    expect((await shopAdmin.put("/v1/clusters/shop", squat)).status).toBe(202);
    const reserve = await fleet.api.post("/v1/pki/join-tokens", { host: "web9", role: "real-server", cluster: "web" });
    expect(reserve.status).toBe(201);
    // from now on web9 is web's: shop's spec that names it is refused, and so is a join token for shop
    const again = await shopAdmin.put("/v1/clusters/shop", squat);
    expect(again.status).toBe(400);
    expect(again.body.error.message).toMatch(/web9 belongs to cluster web/);
    const other = await fleet.api.post("/v1/pki/join-tokens", { host: "web9", role: "real-server", cluster: "shop" });
    expect(other.status).toBe(409);
    expect(other.body.error.message).toMatch(/web9 belongs to cluster web/);
    expect((await fleet.api.request("DELETE", `/v1/pki/join-tokens/${reserve.body.id}`)).status).toBe(204);
    expect((await fleet.api.put("/v1/clusters/shop", SHOP)).status).toBe(202);
  });

  it("a drain that takes a real server out of the spec does not give its host away", async () => {
    const drain = await fleet.api.post("/v1/clusters/web/jobs", {
      kind: "drain",
      targets: ["192.168.1.231:80"],
      options: { remove: true, timeout: "20s" },
    });
    expect(drain.status).toBe(202);
    const drained = await finished(drain.body.job.id);
    expect(drained.state).toBe("completed");
    const spec = (await fleet.api.get("/v1/clusters/web")).body.spec;
    expect(spec.services[0].realServers.map((r: any) => r.host)).not.toContain("web2");
    expect((await agents()).find((a) => a.host === "web2").cluster).toBe("web");
    // so another cluster cannot take it meanwhile, and the undrain puts it back
    const grab = await fleet.api.put("/v1/clusters/shop", {
      ...SHOP,
      services: [{ ...SHOP.services[0], realServers: [{ address: "192.168.2.22", port: 80, host: "web2" }] }],
    });
    expect(grab.status).toBe(400);
    const undrain = await fleet.api.post("/v1/clusters/web/jobs", { kind: "undrain", targets: ["192.168.1.231:80"] });
    expect((await finished(undrain.body.job.id)).state).toBe("completed");
    expect((await fleet.api.get("/v1/clusters/web")).body.spec.services[0].realServers).toHaveLength(2);
  });

  it("a job queued for later does not run once its creator's token is revoked", async () => {
    const operator = await newToken("operator");
    const runAt = new Date(Date.now() + 1_500).toISOString();
    const queued = await as(operator.token).post("/v1/clusters/web/jobs", {
      kind: "drain",
      targets: ["192.168.1.231:80"],
      runAt,
    });
    expect(queued.status).toBe(202);
    expect((await fleet.api.request("DELETE", `/v1/tokens/${operator.id}`)).status).toBe(200);
    const job = await finished(queued.body.job.id);
    expect(job.state).toBe("cancelled");
    expect(job.result?.summary).toMatch(/did not run: the authority of token .* is gone/);
    const denial = (await audit()).findLast((e) => e.outcome === "denied" && e.actor.name === operator.name);
    expect(denial?.detail).toMatch(/did not run/);
    const weights = (await fleet.api.get("/v1/clusters/web")).body.spec.services[0].realServers.map(
      (r: any) => r.weight,
    );
    expect(weights).toEqual([3, 1]);
  });
});

describe("5. chat identity is the user id", () => {
  async function chat(fields: Record<string, string>) {
    const { body, headers } = signSlackCommand(SLACK_SECRET, { team_id: TEAM, ...fields });
    const response = await fetch(`${fleet.url}/v1/chat/slack/commands`, { method: "POST", headers, body });
    return ((await response.json()) as any).text as string;
  }

  it("an unmapped user who calls themselves by an admin's id or name gets nothing", async () => {
    const before = await generation("web");
    for (const name of ["U0001", "user-U0001", "admin"]) {
      const reply = await chat({ text: "weight 192.168.1.231 5", user_id: "U9999", user_name: name });
      expect(reply).toMatch(/is not allowed to use lvsfleet: an admin must map your Slack user id \(U9999\)/);
    }
    // a viewer who calls themselves an admin stays a viewer
    const viewer = await chat({ text: "weight 192.168.1.231 5", user_id: "U0003", user_name: "U0001" });
    expect(viewer).toMatch(/has role viewer; changing a weight needs operator/);
    // the same through a button press
    const payload = JSON.stringify({
      type: "block_actions",
      user: { id: "U9999", username: "U0001", team_id: TEAM },
      team: { id: TEAM },
      actions: [{ action_id: "lvsfleet_confirm", value: "123456" }],
    });
    const signed = signSlackBody(SLACK_SECRET, new URLSearchParams({ payload }).toString());
    const button = await fetch(`${fleet.url}/v1/chat/slack/interactions`, {
      method: "POST",
      headers: signed.headers,
      body: signed.body,
    });
    expect(((await button.json()) as any).text).toMatch(/is not allowed to use lvsfleet/);
    expect(await generation("web")).toBe(before);
  });

  it("a mapped user id from another Slack workspace is refused when the workspace is configured", async () => {
    const before = await generation("web");
    const reply = await chat({ text: "weight 192.168.1.231 5", user_id: "U0001", team_id: "T0OTHER" });
    expect(reply).toMatch(/answers the Slack workspace T0LVSFLEET only \(the request came from T0OTHER\)/);
    expect(await generation("web")).toBe(before);
    expect(await chat({ text: "status web", user_id: "U0001" })).toMatch(/director lb-master/);
  });
});

describe("6. schedules belong to their cluster and fire only while their creator may", () => {
  const later = { cron: "0 3 * * *", timeZone: "UTC" };

  it("the same idempotency key in another cluster makes another schedule; it never replaces this cluster's", async () => {
    const created = await fleet.api.post("/v1/clusters/web/jobs", {
      kind: "maintenance",
      targets: ["192.168.1.231:80"],
      options: { for: "5m" },
      ...later,
      idempotencyKey: "nightly",
    });
    expect(created.status).toBe(201);
    expect(created.body.schedule.id).toBe("s-web.nightly");
    const webBefore = (await fleet.api.get("/v1/schedules/s-web.nightly")).body;

    const shopOperator = as((await newToken("operator", ["shop"])).token);
    const other = await shopOperator.post("/v1/clusters/shop/jobs", {
      kind: "maintenance",
      targets: ["192.168.2.20:80"],
      options: { for: "1m" },
      cron: "* * * * *",
      idempotencyKey: "nightly",
    });
    expect(other.status).toBe(201);
    expect(other.body.schedule.id).toBe("s-shop.nightly");
    expect((await fleet.api.get("/v1/schedules/s-web.nightly")).body).toEqual(webBefore);
    // the same key and cluster with another request is a conflict, and changes nothing
    const clash = await fleet.api.post("/v1/clusters/web/jobs", {
      kind: "maintenance",
      targets: ["192.168.1.220:80"],
      options: { for: "5m" },
      ...later,
      idempotencyKey: "nightly",
    });
    expect(clash.status).toBe(409);
    expect(clash.body.error.message).toMatch(/schedule s-web.nightly already exists with another request/);
    expect((await fleet.api.get("/v1/schedules/s-web.nightly")).body).toEqual(webBefore);
    for (const id of ["s-web.nightly", "s-shop.nightly"])
      expect((await fleet.api.request("DELETE", `/v1/schedules/${id}`)).status).toBe(200);
  });

  it("a firing is audited as the schedule's creator; once its token is revoked, it no longer fires and each firing is a denial", async () => {
    const operator = await newToken("operator");
    const created = await as(operator.token).post("/v1/clusters/web/jobs", {
      kind: "maintenance",
      targets: ["192.168.1.231:80"],
      options: { for: "100ms" },
      cron: "*/1 * * * * *",
      idempotencyKey: "every-second",
    });
    expect(created.status).toBe(201);
    const id = created.body.schedule.id;
    const firedBy = async () =>
      (await fleet.api.get("/v1/jobs?cluster=web")).body.jobs.filter((j: any) => j.scheduleId === id);
    await until(async () => (await firedBy()).length > 0);
    const entry = (await audit()).find((e) => e.command === `maintenance job (schedule ${id})`);
    expect(entry).toMatchObject({ actor: { type: "token", name: operator.name }, channel: "job", outcome: "accepted" });

    expect((await fleet.api.request("DELETE", `/v1/tokens/${operator.id}`)).status).toBe(200);
    const revokedAt = Date.now();
    await until(async () =>
      (await audit()).some(
        (e) => e.outcome === "denied" && e.command === `maintenance job (schedule ${id})` && e.time > revokedAt,
      ),
    );
    await new Promise((r) => setTimeout(r, 1_500));
    const late = (await firedBy()).filter((j: any) => Date.parse(j.createdAt) > revokedAt + 200);
    expect(late).toEqual([]);
    const denial = (await audit()).findLast((e) => e.command === `maintenance job (schedule ${id})`);
    expect(denial).toMatchObject({ outcome: "denied", actor: { name: operator.name } });
    expect(denial.detail).toMatch(/did not fire: the authority of token .* is gone/);
    expect((await fleet.api.request("DELETE", `/v1/schedules/${id}`)).status).toBe(200);
    await until(async () => {
      const jobs = (await fleet.api.get("/v1/jobs?cluster=web&state=queued,scheduled,waiting,active")).body.jobs;
      return jobs.length === 0;
    });
  });
});

describe("7. revocation takes effect on every server sharing the Redis", () => {
  let second: ProgramHandle<{ port: number }>;
  let other: Api;

  beforeAll(async () => {
    const pki = join(fleet.dataDir, "server", "pki");
    second = await startServerProcess({
      root: repoRoot(),
      env: {
        ...process.env,
        PORT: "0",
        REDIS_URL: inject("redisUrl"),
        LVSFLEET_PREFIX: PREFIX,
        LVSFLEET_API_TOKEN: fleet.api.token,
        LVSFLEET_DATA_DIR: join(fleet.dataDir, "server-b"),
        LVSFLEET_CA_CERT: join(pki, CA_CERT_FILE),
        LVSFLEET_CA_KEY: join(pki, CA_KEY_FILE),
        LVSFLEET_HEARTBEAT_MS: "300",
        LVSFLEET_AGENT_DEADLINE_MS: "1500",
        LOG_LEVEL: "info",
      },
      logFile: join(fleet.dataDir, "logs", "server-b.log"),
    });
    other = new Api(`http://127.0.0.1:${second.ready.port}`, fleet.api.token);
    await until(async () => (await agents(other)).every((a) => a.reachable));
  });
  afterAll(async () => {
    await second?.stop();
  });

  it("a token revoked through one server is refused by the other at once, and its open event stream ends", async () => {
    const operator = await newToken("operator");
    expect((await as(operator.token, other.baseUrl).get("/v1/clusters")).status).toBe(200);
    const job = await as(operator.token).post("/v1/clusters/web/jobs", {
      kind: "maintenance",
      targets: ["192.168.1.220:80"],
      options: { for: "30s" },
    });
    expect(job.status).toBe(202);
    const stream = await fetch(`${other.baseUrl}/v1/jobs/${job.body.job.id}/events`, {
      headers: { authorization: `Bearer ${operator.token}` },
    });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const ended = (async () => {
      let text = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return { at: Date.now(), text };
        text += new TextDecoder().decode(value);
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    expect((await fleet.api.request("DELETE", `/v1/tokens/${operator.id}`)).status).toBe(200);
    const revokedAt = Date.now();
    expect((await as(operator.token, other.baseUrl).get("/v1/clusters")).status).toBe(401);
    const end = await ended;
    expect(end.at - revokedAt).toBeLessThan(1_000);
    expect(end.text).toMatch(/event: error\ndata: .*is gone \(revoked\)/);
    await fleet.api.post(`/v1/jobs/${job.body.job.id}/cancel`);
  });

  it("a host revoked through one server is cut off by the other within a second: no call, no registration", async () => {
    const web2 = () =>
      other.get("/v1/clusters/web/status").then((r) => r.body.hosts.find((h: any) => h.host === "web2"));
    expect((await web2()).roleState).toBe("running");
    const revoke = await fleet.api.post("/v1/pki/revocations", { host: "web2", reason: "stolen disk" });
    expect(revoke.status).toBe(200);
    const revokedAt = Date.now();
    await until(async () => /revoked/.test((await web2()).error ?? ""), 2_000);
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    // the agent's own registration (signed with its still-valid key) is refused by the other server
    const stateDir = join(fleet.dataDir, "agents", "web2");
    const identity = await loadIdentity(join(stateDir, "tls"), "agent");
    const request = signRegistration(identity!.keyPem, identity!.certPem, {
      host: "web2",
      endpoint: fleet.agents.get("web2")!.ready.endpoint,
      role: "real-server",
      driver: "sim",
    });
    const register = await fetch(`${other.baseUrl}/v1/pki/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    expect(register.status).toBe(403);
    expect(((await register.json()) as any).error.message).toMatch(/web2 was revoked/);
    const seen = (await agents(other)).find((a) => a.host === "web2");
    expect(seen.reachable).toBe(false);
  });
});

/** The bundled lvsctl with the fleet's URL and the bootstrap token; the spec on standard input. */
function lvsctl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(repoRoot(), "packages/cli/dist/lvsctl.js"), "-c", "shop", ...args],
      {
        env: { PATH: process.env.PATH, HOME: fleet.dataDir, LVSFLEET_URL: fleet.url, LVSFLEET_TOKEN: fleet.api.token },
        timeout: 30_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input ?? "");
  });
}

/** Polls a maintenance job until it has finished (completed, failed or cancelled). */
async function finished(id: string): Promise<any> {
  let job: any;
  await until(async () => {
    job = (await fleet.api.get(`/v1/jobs/${id}`)).body;
    return ["completed", "failed", "cancelled"].includes(job.state);
  }, 30_000);
  return job;
}

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${check.toString().slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
