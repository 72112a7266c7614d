import { signSlackCommand } from "@lvsfleet/devfleet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directorWeights, responseUrlServer, SLACK_SECRET, startDemoFleet } from "./fleet.ts";

let fleet: Awaited<ReturnType<typeof startDemoFleet>>;
const RS1 = "/v1/clusters/web/services/http/real-servers/192.168.1.220:80";

beforeAll(async () => {
  fleet = await startDemoFleet();
});
afterAll(async () => {
  await fleet?.cleanup();
});

async function generation(): Promise<number> {
  return (await fleet.api.get("/v1/clusters/web")).body.generation;
}

async function postChat(fields: Record<string, string>, sign: { secret?: string; timestamp?: number } = {}) {
  const { body, headers } = signSlackCommand(sign.secret ?? SLACK_SECRET, fields, sign.timestamp);
  const response = await fetch(`${fleet.url}/v1/chat/slack/commands`, { method: "POST", headers, body });
  return { status: response.status, body: (await response.json()) as any };
}

describe("REST: a weight change goes through the queue to both director agents", () => {
  it("PATCH weight → 202 with a job → the job completes → both directors show it in status", async () => {
    const response = await fleet.api.patch(RS1, { weight: 5 });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({
      before: 3,
      after: 5,
      changed: true,
      job: { state: "queued", kind: "apply" },
    });
    const job = await fleet.api.waitForJob(response.body.job.id);
    expect(job.state).toBe("completed");
    expect(job.result.hosts.map((h: any) => h.host).sort()).toEqual(["lb-backup", "lb-master"]);
    for (const host of job.result.hosts)
      expect(host.changes).toEqual(["edit-destination TCP 192.168.1.229:80 -> 192.168.1.220:80 dr weight 5"]);
    expect(await directorWeights(fleet, "lb-master")).toEqual({ "192.168.1.220:80": 5, "192.168.1.231:80": 1 });
    expect(await directorWeights(fleet, "lb-backup")).toEqual({ "192.168.1.220:80": 5, "192.168.1.231:80": 1 });
    const text = await fleet.api.get("/v1/clusters/web/status?format=text");
    expect(text.text).toContain("  -> 192.168.1.220:80             Route   5      0          0         \n");
    expect(text.text).toMatch(/director lb-backup .* \(in sync\)/);
  });

  it("the same weight again changes nothing but still returns a job that completes", async () => {
    const before = await generation();
    const response = await fleet.api.patch(RS1, { weight: 5 });
    expect(response.body.changed).toBe(false);
    const job = await fleet.api.waitForJob(response.body.job.id);
    expect(job.state).toBe("completed");
    expect(job.result.summary).toMatch(/nothing to change/);
    expect(await generation()).toBe(before);
  });

  it("a burst of changes converges on the last one", async () => {
    const jobs = [];
    for (const weight of [7, 8, 9, 10]) jobs.push((await fleet.api.patch(RS1, { weight })).body.job.id);
    for (const id of jobs) expect((await fleet.api.waitForJob(id)).state).toBe("completed");
    expect((await directorWeights(fleet, "lb-master"))["192.168.1.220:80"]).toBe(10);
    expect((await directorWeights(fleet, "lb-backup"))["192.168.1.220:80"]).toBe(10);
  });
});

describe("chat: a signed slash command does the same and reports to response_url", () => {
  it("weight via chat → ephemeral reply at once → outcome posted to the response_url → status shows it", async () => {
    const hook = await responseUrlServer();
    try {
      const started = Date.now();
      const reply = await postChat({ text: "weight 192.168.1.231 2", response_url: hook.url });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(reply.status).toBe(200);
      expect(reply.body.response_type).toBe("ephemeral");
      expect(reply.body.text).toMatch(/^Queued job \d+: weight 192\.168\.1\.231:80 in web\/http 1 → 2\./);
      const outcome = await hook.next();
      expect(outcome.text).toMatch(/Job \d+ completed/);
      expect(outcome.text).toContain(
        "lb-master: edit-destination TCP 192.168.1.229:80 -> 192.168.1.231:80 dr weight 2",
      );
      expect(outcome.text).toContain("  -> 192.168.1.231:80             Route   2 ");
      expect((await directorWeights(fleet, "lb-backup"))["192.168.1.231:80"]).toBe(2);
    } finally {
      hook.close();
    }
  });

  it("status via chat shows the table in a code block", async () => {
    const reply = await postChat({ text: "status" });
    expect(reply.body.text).toMatch(/^```\ncluster web/);
    expect(reply.body.text).toContain("TCP  192.168.1.229:80 wrr persistent 60");
  });

  it("an unknown or ambiguous target gets the candidates; a malformed command gets the right form", async () => {
    const unknown = await postChat({ text: "weight 192.168.1.99 4" });
    expect(unknown.body.text).toContain("no real server 192.168.1.99");
    expect(unknown.body.text).toContain("• 192.168.1.220:80 in web/http");
    const malformed = await postChat({ text: "weight 192.168.1.220 lots" });
    expect(malformed.body.text).toContain('the weight must be a whole number from 0 to 65535, got "lots"');
    expect(malformed.body.text).toContain("Usage: `weight <real-server-ip>[:port] <0-65535> [cluster] [service]`");
  });
});

describe("refusals change nothing", () => {
  async function snapshot() {
    return { generation: await generation(), weights: await directorWeights(fleet, "lb-master") };
  }

  it("a bad signature and a stale timestamp are refused with 401", async () => {
    const before = await snapshot();
    const forged = await postChat({ text: "weight 192.168.1.220 0" }, { secret: "not-the-secret" });
    expect(forged.status).toBe(401);
    expect(forged.body.error.message).toMatch(/signature does not match/);
    const stale = await postChat(
      { text: "weight 192.168.1.220 0" },
      { timestamp: Math.floor(Date.now() / 1000) - 600 },
    );
    expect(stale.status).toBe(401);
    expect(stale.body.error.message).toMatch(/more than 5 minutes/);
    expect(await snapshot()).toEqual(before);
  });

  it("a missing or wrong token is refused with 401", async () => {
    const before = await snapshot();
    const none = await fetch(`${fleet.url}${RS1}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: '{"weight":0}',
    });
    expect(none.status).toBe(401);
    const wrong = await fetch(`${fleet.url}${RS1}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", authorization: "Bearer wrong-token-wrong-token" },
      body: '{"weight":0}',
    });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${fleet.url}/v1/clusters`)).status).toBe(401);
    expect((await fetch(`${fleet.url}/v1/health`)).status).toBe(200);
    expect(await snapshot()).toEqual(before);
  });

  it("an out-of-range weight is a 400 naming the field, and changes nothing", async () => {
    const before = await snapshot();
    for (const weight of [65536, -1, 1.5, "5"]) {
      const response = await fleet.api.patch(RS1, { weight });
      expect(response.status).toBe(400);
      expect(response.body.error.field).toBe("weight");
      expect(response.body.error.message).toMatch(/between 0 and 65535|integer|number/);
    }
    const notJson = await fleet.api.request("PATCH", RS1, "{weight:", {});
    expect(notJson.status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });

  it("unknown cluster, service and real server are 404s that say what exists", async () => {
    expect(
      (await fleet.api.patch("/v1/clusters/shop/services/http/real-servers/192.168.1.220:80", { weight: 1 })).status,
    ).toBe(404);
    const service = await fleet.api.patch("/v1/clusters/web/services/https/real-servers/192.168.1.220:80", {
      weight: 1,
    });
    expect(service.status).toBe(404);
    expect(service.body.error.message).toBe("no service https in cluster web; services: http");
    const server = await fleet.api.patch("/v1/clusters/web/services/http/real-servers/192.168.1.221:80", { weight: 1 });
    expect(server.status).toBe(404);
    expect(server.body.error.message).toContain("real servers: 192.168.1.220:80, 192.168.1.231:80");
    const bad = await fleet.api.patch("/v1/clusters/web/services/http/real-servers/web1:80", { weight: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("server");
    expect((await fleet.api.get("/v1/jobs/999999")).status).toBe(404);
  });

  it("PUT with an invalid spec is a 400 naming the field, and the stored spec is unchanged", async () => {
    const before = (await fleet.api.get("/v1/clusters/web")).body;
    const spec = structuredClone(before.spec);
    spec.services[0].scheduler = "fastest";
    const response = await fleet.api.put("/v1/clusters/web", spec);
    expect(response.status).toBe(400);
    expect(response.body.error.field).toBe("services[0].scheduler");
    expect((await fleet.api.get("/v1/clusters/web")).body).toEqual(before);
  });
});

describe("API surface", () => {
  it("GET /openapi.json describes every route", async () => {
    const doc = (await fetch(`${fleet.url}/openapi.json`).then((r) => r.json())) as any;
    const paths = Object.keys(doc.paths);
    for (const path of [
      "/v1/health",
      "/v1/clusters",
      "/v1/clusters/{cluster}",
      "/v1/clusters/{cluster}/status",
      "/v1/clusters/{cluster}/services/{service}/real-servers/{server}",
      "/v1/clusters/{cluster}/start",
      "/v1/clusters/{cluster}/stop",
      "/v1/jobs/{id}",
      "/v1/agents",
      "/v1/chat/slack/commands",
    ])
      expect(paths).toContain(path);
    expect(doc.paths["/v1/clusters/{cluster}"].put).toBeDefined();
    expect(doc.components.schemas.ClusterSpec).toBeDefined();
  });

  it("GET /v1/agents lists the four agents, reachable, with their role and a recent heartbeat", async () => {
    const { body } = await fleet.api.get("/v1/agents");
    expect(body.agents.map((a: any) => [a.host, a.role, a.reachable])).toEqual([
      ["lb-backup", "director", true],
      ["lb-master", "director", true],
      ["web1", "real-server", true],
      ["web2", "real-server", true],
    ]);
    for (const agent of body.agents) expect(Date.now() - Date.parse(agent.lastHeartbeat)).toBeLessThan(5_000);
  });
});
