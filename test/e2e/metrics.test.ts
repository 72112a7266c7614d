// First, so that zod is extended with .openapi before any schema module loads (the app is built in-process below).
import "@hono/zod-openapi";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import {
  DEMO_AGENTS,
  type Fleet,
  type ProgramHandle,
  repoRoot,
  startAgentProcess,
  startFleet,
} from "@lvsfleet/devfleet";
import { type ClusterSpecInput, DEMO_CLUSTER } from "@lvsfleet/model";
import parsePrometheus from "parse-prometheus-text-format";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type SlackSettings, slackRoutes } from "../../server/src/chat/slack.ts";
import type { CommandContext } from "../../server/src/commands/context.ts";
import { createHttpApp, type HttpSettings } from "../../server/src/http/app.ts";

/**
 * GET /metrics on the server and --metrics on an agent, parsed as Prometheus exposition; the values
 * follow a weight change; a request id follows a command into the agents' logs; the OpenAPI document
 * validates and lists every route the app serves; /docs serves Swagger UI without a CDN.
 */
let fleet: Fleet;
let dataDir: string;
let extra: ProgramHandle<{ endpoint: string; host: string; metrics?: string }>;

/** A second cluster with one director whose agent serves --metrics. */
const EXTRA: ClusterSpecInput = {
  name: "extra",
  vips: ["192.168.1.241"],
  directors: [{ host: "lb-extra", address: "192.168.1.240", role: "master", priority: 100, interface: "eth0" }],
  services: [
    {
      name: "web",
      protocol: "tcp",
      address: "192.168.1.241",
      port: 8080,
      scheduler: "wlc",
      forwarding: "dr",
      realServers: [
        { address: "192.168.1.242", port: 8080, weight: 2 },
        { address: "192.168.1.243", port: 8080, weight: 5 },
      ],
    },
  ],
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "lvsfleet-e2e-metrics-"));
  const token = randomBytes(18).toString("base64url");
  fleet = await startFleet({
    redisUrl: inject("redisUrl"),
    token,
    dataDir,
    agents: DEMO_AGENTS,
    env: {
      LVSFLEET_PREFIX: `e2e-${randomBytes(4).toString("hex")}`,
      LVSFLEET_HEARTBEAT_MS: "300",
      LVSFLEET_JOB_BACKOFF_MS: "100",
      LVSFLEET_AGENT_DEADLINE_MS: "1500",
    },
  });
  extra = await launchExtra(true);
  for (const spec of [DEMO_CLUSTER, EXTRA]) {
    const put = await fleet.api.put(`/v1/clusters/${spec.name}`, spec);
    if (put.status !== 202) throw new Error(`PUT ${spec.name}: ${put.status} ${put.text}`);
    const job = await fleet.api.waitForJob((await fleet.api.post(`/v1/clusters/${spec.name}/start`)).body.job.id);
    if (job.state !== "completed") throw new Error(`start ${spec.name} failed: ${job.error}`);
  }
});
afterAll(async () => {
  await extra?.stop();
  await fleet?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The extra director's agent with --metrics; the first start enrolls it (mutual TLS) with a join token. */
async function launchExtra(first: boolean): Promise<typeof extra> {
  let enrollment: { args: string[]; env: NodeJS.ProcessEnv } = { args: [], env: {} };
  if (first) {
    const ticket = await fleet.api.post("/v1/pki/join-tokens", { host: "lb-extra", role: "director" });
    if (ticket.status !== 201) throw new Error(`join token: ${ticket.status} ${ticket.text}`);
    enrollment = { args: ["--ca-pin", ticket.body.caPin], env: { LVSFLEET_JOIN_TOKEN: ticket.body.token } };
  }
  const handle = await startAgentProcess({
    root: repoRoot(),
    agent: { host: "lb-extra", role: "director", address: "192.168.1.240/24" },
    serverUrl: fleet.url,
    stateDir: join(dataDir, "agents", "lb-extra"),
    logFile: join(dataDir, "logs", "lb-extra.log"),
    extraArgs: ["--metrics", "127.0.0.1:0", ...enrollment.args],
    env: enrollment.env,
  });
  await fleet.waitForAgents(["lb-extra"]);
  return handle;
}

type Families = ReturnType<typeof parsePrometheus> & { text: string };

/** Scrapes and parses (the parser throws on anything that is not exposition format). */
async function scrape(url: string, token?: string): Promise<Families> {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const text = await response.text();
  return Object.assign(parsePrometheus(text), { text });
}

/**
 * A histogram's `_count` for the series whose labels include `labels`. parse-prometheus-text-format
 * keeps no labels on histograms (it folds every series into one), so the `_count` sample lines are
 * read here; the parser has already checked the document's syntax.
 */
function histogramCount(families: Families, name: string, labels: Record<string, string>): number | undefined {
  for (const line of families.text.split("\n")) {
    const match = new RegExp(`^${name}_count\\{(.*)\\} (\\S+)$`).exec(line);
    if (!match) continue;
    const found = Object.fromEntries(
      [...(match[1] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[2]);
  }
  return undefined;
}

/** The value of the one sample of `name` whose labels include `labels`. */
function value(families: Families, name: string, labels: Record<string, string>): number | undefined {
  const family = families.find((f) => f.name === name);
  const samples = (family?.metrics ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (samples.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${samples.length} samples`);
  return samples[0]?.value === undefined ? undefined : Number(samples[0].value);
}

/** Scrapes until `check` passes (the server reuses a fleet read for 1 s), or fails with the last error. */
async function eventually<T>(read: () => Promise<T>, check: (t: T) => void, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await read();
    try {
      check(got);
      return got;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const RS1 = { cluster: "web", service: "http", real_server: "192.168.1.220:80" };

describe("GET /metrics on the server", () => {
  it("needs a token: none is 401 in the API's error shape; a cluster-limited token is 403", async () => {
    const none = await fetch(`${fleet.url}/metrics`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      error: { message: "missing bearer token: send Authorization: Bearer <token>" },
    });
    const limited = await fleet.api.post("/v1/tokens", { name: "web-only", role: "viewer", clusters: ["web"] });
    const denied = await fetch(`${fleet.url}/metrics`, { headers: { authorization: `Bearer ${limited.body.token}` } });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { message: string } }).error.message).toMatch(
      /metrics cover every cluster/,
    );
    const viewer = await fleet.api.post("/v1/tokens", { name: "prometheus", role: "viewer" });
    await scrape(`${fleet.url}/metrics`, viewer.body.token);
  });

  it("parses as Prometheus exposition and shows configured and effective weights, connections, directors and agents", async () => {
    const families = await scrape(`${fleet.url}/metrics`, fleet.api.token);
    const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      lvsfleet_real_server_weight: "GAUGE",
      lvsfleet_real_server_configured_weight: "GAUGE",
      lvsfleet_real_server_active_connections: "GAUGE",
      lvsfleet_real_server_inactive_connections: "GAUGE",
      lvsfleet_real_server_connections_total: "COUNTER",
      lvsfleet_director_in_sync: "GAUGE",
      lvsfleet_agent_up: "GAUGE",
      lvsfleet_jobs_finished_total: "COUNTER",
      lvsfleet_job_duration_seconds: "HISTOGRAM",
      lvsfleet_http_request_duration_seconds: "HISTOGRAM",
      lvsfleet_agent_rpc_duration_seconds: "HISTOGRAM",
      lvsfleet_agent_rpc_errors_total: "COUNTER",
      process_resident_memory_bytes: "GAUGE",
    });
    expect(value(families, "lvsfleet_real_server_configured_weight", RS1)).toBe(3);
    for (const director of ["lb-master", "lb-backup"]) {
      expect(value(families, "lvsfleet_real_server_weight", { ...RS1, director })).toBe(3);
      expect(value(families, "lvsfleet_real_server_active_connections", { ...RS1, director })).toBe(0);
      expect(value(families, "lvsfleet_real_server_in_table", { ...RS1, director })).toBe(1);
      expect(value(families, "lvsfleet_director_up", { cluster: "web", director })).toBe(1);
      expect(value(families, "lvsfleet_director_in_sync", { cluster: "web", director })).toBe(1);
    }
    expect(
      value(families, "lvsfleet_real_server_weight", { cluster: "extra", real_server: "192.168.1.243:8080" }),
    ).toBe(5);
    for (const host of ["lb-master", "lb-backup", "web1", "web2", "lb-extra"])
      expect(value(families, "lvsfleet_agent_up", { host })).toBe(1);
    expect(value(families, "lvsfleet_jobs_finished_total", { kind: "start", outcome: "completed" })).toBe(2);
  });

  it("follows a weight change: configured at once, effective once the directors applied it; job and request latency recorded", async () => {
    const before = await scrape(`${fleet.url}/metrics`, fleet.api.token);
    const applied = value(before, "lvsfleet_jobs_finished_total", { kind: "apply", outcome: "completed" }) ?? 0;
    const patch = await fleet.api.patch("/v1/clusters/web/services/http/real-servers/192.168.1.220:80", { weight: 8 });
    expect(patch.status).toBe(202);
    expect((await fleet.api.waitForJob(patch.body.job.id)).state).toBe("completed");
    const after = await eventually(
      () => scrape(`${fleet.url}/metrics`, fleet.api.token),
      (f) => expect(value(f, "lvsfleet_real_server_weight", { ...RS1, director: "lb-backup" })).toBe(8),
    );
    expect(value(after, "lvsfleet_real_server_configured_weight", RS1)).toBe(8);
    expect(value(after, "lvsfleet_real_server_weight", { ...RS1, director: "lb-master" })).toBe(8);
    expect(
      value(after, "lvsfleet_real_server_weight", { ...RS1, real_server: "192.168.1.231:80", director: "lb-master" }),
    ).toBe(1);
    expect(value(after, "lvsfleet_jobs_finished_total", { kind: "apply", outcome: "completed" })).toBe(applied + 1);
    const route = "/v1/clusters/:cluster/services/:service/real-servers/:server";
    expect(
      histogramCount(after, "lvsfleet_http_request_duration_seconds", { method: "PATCH", route, status: "202" }),
    ).toBe(1);
    expect(
      histogramCount(after, "lvsfleet_agent_rpc_duration_seconds", { method: "Apply", code: "OK" }),
    ).toBeGreaterThanOrEqual(2);
    expect(histogramCount(after, "lvsfleet_job_duration_seconds", { kind: "apply", outcome: "completed" })).toBe(
      applied + 1,
    );
  });

  it("a stopped agent shows as down, and the failed calls to it as gRPC errors", async () => {
    await extra.stop();
    const families = await eventually(
      () => scrape(`${fleet.url}/metrics`, fleet.api.token),
      (f) => expect(value(f, "lvsfleet_director_up", { cluster: "extra", director: "lb-extra" })).toBe(0),
    );
    const errors = families.find((f) => f.name === "lvsfleet_agent_rpc_errors_total");
    expect(errors?.metrics.some((m) => m.labels?.host === "lb-extra" && m.labels.code === "UNAVAILABLE")).toBe(true);
    // The table of a director that did not answer is not reported as if it were empty.
    expect(
      value(families, "lvsfleet_real_server_weight", { cluster: "extra", real_server: "192.168.1.243:8080" }),
    ).toBe(undefined);
    expect(
      value(families, "lvsfleet_real_server_configured_weight", {
        cluster: "extra",
        real_server: "192.168.1.243:8080",
      }),
    ).toBe(5);
    extra = await launchExtra(false);
  });
});

describe("--metrics on an agent", () => {
  it("serves its own table (effective weights, connections), role and served gRPC calls, and follows a weight change", async () => {
    const url = `http://${extra.ready.metrics}/metrics`;
    const labels = { protocol: "tcp", vip: "192.168.1.241:8080", real_server: "192.168.1.242:8080" };
    const families = await scrape(url);
    expect(value(families, "lvsfleet_real_server_weight", labels)).toBe(2);
    expect(value(families, "lvsfleet_real_server_active_connections", labels)).toBe(0);
    expect(value(families, "lvsfleet_agent_role_running", { role: "director", cluster: "extra" })).toBe(1);
    const patch = await fleet.api.patch("/v1/clusters/extra/services/web/real-servers/192.168.1.242:8080", {
      weight: 0,
    });
    expect((await fleet.api.waitForJob(patch.body.job.id)).state).toBe("completed");
    const after = await scrape(url);
    expect(value(after, "lvsfleet_real_server_weight", labels)).toBe(0);
    expect(value(after, "lvsfleet_agent_grpc_requests_total", { method: "Apply", code: "OK" })).toBeGreaterThanOrEqual(
      1,
    );
    expect((await fetch(url.replace("/metrics", "/other"))).status).toBe(404);
  });
});

describe("the Grafana dashboard", () => {
  it("queries only metrics that the server or the agents expose", async () => {
    const dashboard = readFileSync(join(repoRoot(), "docs/grafana/lvsfleet.json"), "utf8");
    const used = new Set(
      [...dashboard.matchAll(/\b(lvsfleet_[a-z_]+)/g)].map((m) => (m[1] as string).replace(/_(bucket|count|sum)$/, "")),
    );
    const exposed = new Set([
      ...(await scrape(`${fleet.url}/metrics`, fleet.api.token)).map((f) => f.name),
      ...(await scrape(`http://${extra.ready.metrics}/metrics`)).map((f) => f.name),
    ]);
    expect(used.size).toBeGreaterThan(15);
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
  });
});

describe("request ids", () => {
  it("X-Request-Id comes back, is stored with the job, and is in the server's and both directors' log lines", async () => {
    const id = `e2e-${randomBytes(6).toString("hex")}`;
    const response = await fetch(`${fleet.url}/v1/clusters/web/services/http/real-servers/192.168.1.231:80`, {
      method: "PATCH",
      headers: {
        authorization: `Bearer ${fleet.api.token}`,
        "content-type": "application/json",
        "x-request-id": id,
      },
      body: JSON.stringify({ weight: 2 }),
    });
    expect(response.status).toBe(202);
    expect(response.headers.get("x-request-id")).toBe(id);
    const job = await fleet.api.waitForJob(((await response.json()) as { job: { id: string } }).job.id);
    expect(job.requestId).toBe(id);
    const logs = join(dataDir, "logs");
    const lines = (file: string) =>
      readFileSync(join(logs, file), "utf8")
        .split("\n")
        .filter((l) => l.includes(`"reqId":"${id}"`))
        .map((l) => JSON.parse(l));
    await eventually(
      async () => readdirSync(logs),
      () => {
        expect(lines("server.log").map((l) => l.msg)).toContain("request");
        for (const director of ["lb-master", "lb-backup"])
          expect(lines(`${director}.log`)).toEqual([
            expect.objectContaining({ msg: "Apply", cluster: "web", operations: 1, host: director }),
          ]);
      },
    );
    // One the server made up when the caller sent none (or a bad one).
    const made = await fetch(`${fleet.url}/v1/health`, { headers: { "x-request-id": "has spaces" } });
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});

describe("the OpenAPI document and /docs", () => {
  it("validates as OpenAPI 3 and lists every route the app serves", async () => {
    const doc = (await (await fetch(`${fleet.url}/openapi.json`)).json()) as { paths: Record<string, object> };
    await SwaggerParser.validate(structuredClone(doc) as never);
    // The same app, built in this process, says which routes exist.
    const ctx = { log: pino({ level: "silent" }) } as unknown as CommandContext;
    const app = createHttpApp(ctx, {
      apiToken: "x".repeat(16),
      chat: slackRoutes(ctx, { roles: { users: new Map(), channels: new Map() } } as unknown as SlackSettings),
    } as unknown as HttpSettings);
    const served = app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`);
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method} ${path}`),
    );
    expect(served.length).toBeGreaterThan(15);
    expect([...new Set(served)].filter((r) => !documented.includes(r))).toEqual([]);
    expect(documented).toEqual(
      expect.arrayContaining(["get /metrics", "post /v1/clusters/{cluster}/plan", "get /docs"]),
    );
  });

  it("/docs is Swagger UI whose assets come from this server, without a token", async () => {
    const page = await fetch(`${fleet.url}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("/openapi.json");
    expect(html).not.toContain("cdn.jsdelivr.net");
    const script = /src="([^"]+swagger-ui-bundle\.js)"/.exec(html)?.[1];
    expect(script).toBe("/docs/assets/swagger-ui-dist/swagger-ui-bundle.js");
    const asset = await fetch(`${fleet.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toContain("javascript");
    expect((await asset.text()).length).toBeGreaterThan(100_000);
  });
});
