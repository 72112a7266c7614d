import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { signSlackBody, signSlackCommand } from "@lvsfleet/devfleet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directorWeights, SLACK_SECRET, startDemoFleet } from "./fleet.ts";

let fleet: Awaited<ReturnType<typeof startDemoFleet>>;
/** Every job id the server accepted in this file, with the channel it came through. */
const accepted: { job: string; channel: "rest" | "chat" }[] = [];
const secrets: string[] = [SLACK_SECRET];
const RS1 = "/v1/clusters/web/services/http/real-servers/192.168.1.220:80";

beforeAll(async () => {
  fleet = await startDemoFleet({ LVSFLEET_CONFIRM_TTL_SECONDS: "2" });
  secrets.push(fleet.api.token);
});
afterAll(async () => {
  await fleet?.cleanup();
});

function as(token: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${fleet.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = (await response.json().catch(() => undefined)) as any;
    if (response.status === 202 && parsed?.job?.id) accepted.push({ job: parsed.job.id, channel: "rest" });
    return { status: response.status, body: parsed };
  };
  return {
    get: (p: string) => call("GET", p),
    patch: (p: string, b: unknown) => call("PATCH", p, b),
    post: (p: string, b?: unknown) => call("POST", p, b),
  };
}

async function newToken(role: string, extra: Record<string, unknown> = {}) {
  const response = await fleet.api.post("/v1/tokens", {
    name: `${role}-${Math.random().toString(36).slice(2, 8)}`,
    role,
    ...extra,
  });
  expect(response.status).toBe(201);
  secrets.push(response.body.token);
  return response.body as { token: string; id: string; name: string };
}

async function chat(text: string, user = "U0001", extra: Record<string, string> = {}) {
  const { body, headers } = signSlackCommand(SLACK_SECRET, {
    text,
    user_id: user,
    user_name: `user-${user}`,
    ...extra,
  });
  const response = await fetch(`${fleet.url}/v1/chat/slack/commands`, { method: "POST", headers, body });
  const reply = (await response.json()) as any;
  const queued = /^Queued job (\d+)/.exec(reply.text ?? "");
  if (queued) accepted.push({ job: queued[1]!, channel: "chat" });
  return { status: response.status, reply, signed: { body, headers } };
}

async function generation(): Promise<number> {
  return (await fleet.api.get("/v1/clusters/web")).body.generation;
}

describe("API tokens and roles", () => {
  it("creates tokens shown once and stored hashed; lists them without secrets", async () => {
    const viewer = await newToken("viewer");
    expect(viewer.token).toMatch(/^lvsf_[A-Za-z0-9_-]{43}$/);
    const list = await fleet.api.get("/v1/tokens");
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(viewer.token);
    expect(list.body.tokens.map((t: any) => t.name)).toContain(viewer.name);
  });

  it("a viewer reads but gets 403 on a weight change, and nothing changes", async () => {
    const viewer = as((await newToken("viewer")).token);
    expect((await viewer.get("/v1/clusters/web/status")).status).toBe(200);
    const before = await generation();
    const denied = await viewer.patch(RS1, { weight: 9 });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toMatch(/has role viewer; changing a weight needs operator/);
    expect(await generation()).toBe(before);
  });

  it("an operator changes weights but gets 403 on start/stop and on specs", async () => {
    const operator = as((await newToken("operator")).token);
    const change = await operator.patch(RS1, { weight: 4 });
    expect(change.status).toBe(202);
    expect((await fleet.api.waitForJob(change.body.job.id)).state).toBe("completed");
    const stop = await operator.post("/v1/clusters/web/stop", { host: "web2" });
    expect(stop.status).toBe(403);
    expect(stop.body.error.message).toMatch(/needs admin/);
    expect((await operator.post("/v1/tokens", { name: "x", role: "admin" })).status).toBe(403);
  });

  it("a token limited to other clusters cannot touch this one", async () => {
    const limited = as((await newToken("operator", { clusters: ["shop"] })).token);
    expect((await limited.patch(RS1, { weight: 2 })).status).toBe(403);
    expect((await limited.get("/v1/clusters")).body.clusters).toEqual([]);
  });

  it("a revoked token is refused with 401", async () => {
    const token = await newToken("operator");
    expect((await as(token.token).get("/v1/clusters")).status).toBe(200);
    expect((await fleet.api.request("DELETE", `/v1/tokens/${token.id}`)).status).toBe(200);
    expect((await as(token.token).get("/v1/clusters")).status).toBe(401);
  });
});

describe("chat: roles, replays and confirmations", () => {
  it("an unmapped chat user is refused and changes nothing", async () => {
    const before = await generation();
    const { reply } = await chat("weight 192.168.1.220 7", "U9999");
    expect(reply.text).toMatch(/not allowed to use lvsfleet/);
    const status = await chat("status", "U9999");
    expect(status.reply.text).toMatch(/not allowed/);
    expect(await generation()).toBe(before);
  });

  it("a chat viewer cannot change a weight", async () => {
    const { reply } = await chat("weight 192.168.1.220 7", "U0003");
    expect(reply.text).toMatch(/:no_entry: chat user .*U0003.* has role viewer; changing a weight needs operator/);
  });

  it("a replayed Slack request (same signature and timestamp) is refused", async () => {
    const first = await chat("status");
    expect(first.status).toBe(200);
    const replay = await fetch(`${fleet.url}/v1/chat/slack/commands`, {
      method: "POST",
      headers: first.signed.headers,
      body: first.signed.body,
    });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as any).error.message).toMatch(/replayed/);
  });

  it("stopping a director waits for confirmation by the same user; others and late confirmations do nothing", async () => {
    const ask = await chat("stop web lb-backup");
    const code = /confirm (\d{6})/.exec(ask.reply.text)?.[1];
    expect(code).toBeDefined();
    expect(ask.reply.text).toMatch(/stops director lb-backup/);
    expect(ask.reply.blocks[1].elements.map((e: any) => e.action_id)).toEqual(["lvsfleet_confirm", "lvsfleet_cancel"]);
    const running = async () =>
      (await fleet.api.get("/v1/clusters/web/status")).body.hosts.find((h: any) => h.host === "lb-backup").roleState;
    expect(await running()).toBe("running");
    const other = await chat(`confirm ${code}`, "U0002");
    expect(other.reply.text).toMatch(/belongs to another user/);
    expect(await running()).toBe("running");
    await new Promise((r) => setTimeout(r, 2_300));
    const late = await chat(`confirm ${code}`);
    expect(late.reply.text).toMatch(/no pending change with that code/);
    expect(await running()).toBe("running");
  });

  it("a confirmed stop runs; a Slack button confirms too", async () => {
    const ask = await chat("stop web lb-backup");
    const code = /confirm (\d{6})/.exec(ask.reply.text)![1]!;
    const done = await chat(`confirm ${code}`);
    expect(done.reply.text).toMatch(/^Queued job \d+: stop web on lb-backup/);
    const id = /^Queued job (\d+)/.exec(done.reply.text)![1]!;
    expect((await fleet.api.waitForJob(id)).state).toBe("completed");
    const hosts = (await fleet.api.get("/v1/clusters/web/status")).body.hosts;
    expect(hosts.find((h: any) => h.host === "lb-backup").roleState).toBe("stopped");

    // Start it again (not dangerous), then stop it with the button.
    const start = await chat("start web lb-backup");
    await fleet.api.waitForJob(/^Queued job (\d+)/.exec(start.reply.text)![1]!);
    const again = await chat("stop web lb-backup");
    const buttonCode = /confirm (\d{6})/.exec(again.reply.text)![1]!;
    const payload = JSON.stringify({
      type: "block_actions",
      user: { id: "U0001", username: "user-U0001" },
      actions: [{ action_id: "lvsfleet_confirm", value: buttonCode }],
    });
    const signed = signSlackBody(SLACK_SECRET, new URLSearchParams({ payload }).toString());
    const interaction = await fetch(`${fleet.url}/v1/chat/slack/interactions`, {
      method: "POST",
      headers: signed.headers,
      body: signed.body,
    });
    expect(interaction.status).toBe(200);
    const message = (await interaction.json()) as any;
    const queued = /^Queued job (\d+)/.exec(message.text);
    expect(queued).not.toBeNull();
    accepted.push({ job: queued![1]!, channel: "chat" });
    expect((await fleet.api.waitForJob(queued![1]!)).state).toBe("completed");
    const restart = await chat("start web lb-backup");
    await fleet.api.waitForJob(/^Queued job (\d+)/.exec(restart.reply.text)![1]!);
  });

  it("leaving a service with no weight asks for confirmation first", async () => {
    const zero = await chat("weight 192.168.1.231 0");
    expect(zero.reply.text).toMatch(/^Queued job/);
    await fleet.api.waitForJob(/^Queued job (\d+)/.exec(zero.reply.text)![1]!);
    const before = await generation();
    const ask = await chat("weight 192.168.1.220 0");
    expect(ask.reply.text).toMatch(/leaves service web\/http with no weight/);
    expect(await generation()).toBe(before);
    expect((await directorWeights(fleet, "lb-master"))["192.168.1.220:80"]).toBeGreaterThan(0);
  });
});

describe("the audit trail", () => {
  it("has exactly one entry per accepted mutation and one per job run, and answers chat 'audit'", async () => {
    for (const { job } of accepted) await fleet.api.waitForJob(job);
    await new Promise((r) => setTimeout(r, 300));
    const entries = (await fleet.api.get("/v1/audit?limit=1000")).body.entries as any[];
    for (const { job, channel } of accepted) {
      const requests = entries.filter((e) => e.job === job && e.actor.type !== "job");
      expect(requests, `request entries for job ${job}`).toHaveLength(1);
      expect(requests[0].channel).toBe(channel);
      expect(requests[0].outcome).toBe("accepted");
      const runs = entries.filter((e) => e.job === job && e.actor.type === "job");
      expect(runs, `run entries for job ${job}`).toHaveLength(1);
      expect(runs[0].outcome).toBe("completed");
    }
    const weight = entries.find((e) => e.command === "weight 4");
    expect(weight).toMatchObject({
      channel: "rest",
      cluster: "web",
      before: { weight: expect.any(Number) },
      after: { weight: 4 },
    });
    expect(entries.some((e) => e.outcome === "denied" && /viewer/.test(e.detail))).toBe(true);
    const filtered = (await fleet.api.get("/v1/audit?actor=U0001&since=1h")).body.entries as any[];
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((e) => e.actor.name.includes("U0001"))).toBe(true);
    expect((await fleet.api.get("/v1/audit?since=yesterday")).status).toBe(400);
    const { reply } = await chat("audit web");
    expect(reply.text).toMatch(/chat:user-U0001 \(U0001\) via chat: weight 0/);
  });

  it("no token, signing secret or key appears in the audit trail or any log", async () => {
    const audit = (await fleet.api.get("/v1/audit?limit=1000")).text;
    const logDir = join(fleet.dataDir, "logs");
    const logs = readdirSync(logDir)
      .map((f) => readFileSync(join(logDir, f), "utf8"))
      .join("\n");
    expect(logs.length).toBeGreaterThan(1000);
    for (const secret of secrets) {
      expect(audit).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    // Nor any API token, join token (the agents enrolled with some) or private key, by shape.
    for (const pattern of [/lvsf_[A-Za-z0-9_-]{43}/, /lvsj_[A-Za-z0-9_-]{43}/, /PRIVATE KEY/]) {
      expect(audit).not.toMatch(pattern);
      expect(logs).not.toMatch(pattern);
    }
  });
});
