// First, so that zod is extended with .openapi before the schema module loads.
import "@hono/zod-openapi";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "@lvsfleet/devfleet";
import createClient from "openapi-fetch";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterStatus, WeightChangeResult } from "../../server/src/http/schemas.ts";
import { directorWeights, startDemoFleet } from "./fleet.ts";
import type { paths } from "./golden/lvsfleet-api.d.ts";

/**
 * The contract clients generate from: the /openapi.json a running fleet serves passes
 * `@redocly/cli lint` (recommended rules, redocly.yaml); the TypeScript types openapi-typescript
 * generates from it are the checked-in golden/lvsfleet-api.d.ts (tsc checks this file against them);
 * and a typed openapi-fetch client drives the fleet with them.
 */
let fleet: Awaited<ReturnType<typeof startDemoFleet>>;
let doc: OpenApiDocument;
let workDir: string;

interface Operation {
  operationId?: string;
  summary?: string;
  responses: Record<string, unknown>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  [key: string]: unknown;
}

beforeAll(async () => {
  fleet = await startDemoFleet();
  doc = (await (await fetch(`${fleet.url}/openapi.json`)).json()) as OpenApiDocument;
  workDir = mkdtempSync(join(tmpdir(), "lvsfleet-e2e-openapi-"));
});
afterAll(async () => {
  await fleet?.cleanup();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const run = promisify(execFile);

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
}

/** `redocly lint --format=json` of a document, with the repository's redocly.yaml; it exits 1 on errors. */
async function redoclyLint(document: unknown, name: string): Promise<LintReport> {
  const file = join(workDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(document));
  const cli = join(repoRoot(), "node_modules", "@redocly", "cli", "bin", "cli.js");
  const args = [
    cli,
    "lint",
    file,
    "--config",
    join(repoRoot(), "redocly.yaml"),
    "--format=json",
    "--max-problems=1000",
  ];
  const options = {
    cwd: workDir,
    maxBuffer: 32 * 1024 * 1024,
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
  };
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, args, options));
  } catch (error) {
    stdout = (error as { stdout?: string }).stdout ?? "";
    if (!stdout.trim()) throw error;
  }
  return JSON.parse(stdout) as LintReport;
}

const describeProblems = (report: LintReport) =>
  report.problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method, path, operation })),
  );

describe("the OpenAPI document is lint-clean", () => {
  it("@redocly/cli lint (recommended rules, redocly.yaml): no error, no warning", async () => {
    const report = await redoclyLint(doc, "openapi");
    expect(describeProblems(report)).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
  });

  it("the same lint fails a document with the old faults (no operationId, no summary, nullable without a type)", async () => {
    const broken = structuredClone(doc);
    const weight = broken.paths["/v1/clusters/{cluster}/services/{service}/real-servers/{server}"]!.patch!;
    delete weight.operationId;
    delete weight.summary;
    const job = (broken.components as { schemas: { Job: { properties: Record<string, unknown> } } }).schemas.Job;
    job.properties.error = { nullable: true };
    delete broken.servers;
    const report = await redoclyLint(broken, "broken");
    expect(new Set(report.problems.map((p) => p.ruleId))).toEqual(
      new Set(["operation-operationId", "operation-summary", "nullable-type-sibling", "no-empty-servers"]),
    );
    expect(report.totals.errors).toBe(3);
  });

  it("every operation: a unique camelCase operationId and a summary; a 4XX answer unless it takes no input and no token", () => {
    const all = operations();
    expect(all.length).toBeGreaterThan(40);
    const ids = all.map((o) => o.operation.operationId);
    for (const { method, path, operation } of all) {
      expect(operation.operationId, `${method} ${path}`).toMatch(/^[a-z][a-zA-Z0-9]+$/);
      expect(operation.summary?.trim(), `${method} ${path}`).toBeTruthy();
    }
    expect(new Set(ids).size).toBe(ids.length);
    // redocly.yaml turns operation-4xx-response off for these three; every other operation keeps the rule.
    const without4xx = all
      .filter(({ operation }) => !Object.keys(operation.responses).some((code) => /^4(\d\d|XX)$/.test(code)))
      .map(({ operation }) => operation.operationId);
    expect(without4xx.sort()).toEqual(["getDocs", "getHealth", "getOpenApiDocument"]);
    // Generated clients name their methods after these: they do not change.
    expect(
      Object.fromEntries(all.map(({ method, path, operation }) => [`${method} ${path}`, operation.operationId])),
    ).toMatchObject({
      "get /v1/clusters": "listClusters",
      "get /v1/clusters/{cluster}": "getCluster",
      "put /v1/clusters/{cluster}": "putCluster",
      "get /v1/clusters/{cluster}/status": "getClusterStatus",
      "patch /v1/clusters/{cluster}/services/{service}/real-servers/{server}": "setRealServerWeight",
      "get /v1/jobs/{id}": "getJob",
      "post /v1/clusters/{cluster}/jobs": "submitJob",
      "post /v1/clusters/{cluster}/simulate": "simulateChange",
    });
  });
});

describe("a client generated from the document", () => {
  it("golden/lvsfleet-api.d.ts is what openapi-typescript generates from it (update: vitest -u)", async () => {
    const types = COMMENT_HEADER + astToString(await openapiTS(structuredClone(doc) as never));
    await expect(types).toMatchFileSnapshot("./golden/lvsfleet-api.d.ts");
  });

  it("openapi-fetch with those types: list, get, set a weight, follow the job, read the director's table", async () => {
    const api = createClient<paths>({ baseUrl: fleet.url, headers: { authorization: `Bearer ${fleet.api.token}` } });
    const web = { params: { path: { cluster: "web" } } };

    const clusters = await api.GET("/v1/clusters");
    expect(clusters.response.status).toBe(200);
    expect(clusters.data?.clusters.map((c) => c.name)).toEqual(["web"]);

    const cluster = await api.GET("/v1/clusters/{cluster}", web);
    expect(cluster.response.status).toBe(200);
    const http = cluster.data?.spec.services.find((s) => s.name === "http");
    expect(http?.realServers.find((r) => r.address === "192.168.1.231")?.weight).toBe(1);

    const change = await api.PATCH("/v1/clusters/{cluster}/services/{service}/real-servers/{server}", {
      params: { path: { cluster: "web", service: "http", server: "192.168.1.231:80" } },
      body: { weight: 4 },
    });
    expect(change.response.status).toBe(202);
    // The answers are what the document says (the zod schemas it is generated from), not only what the types say.
    expect(WeightChangeResult.safeParse(change.data).error).toBeUndefined();
    expect(change.data).toMatchObject({ before: 1, after: 4, changed: true, target: { port: 80 } });
    expect(change.data?.generation).toBeGreaterThan(cluster.data?.generation ?? Number.POSITIVE_INFINITY);

    const id = change.data?.job.id ?? "";
    let job = (await api.GET("/v1/jobs/{id}", { params: { path: { id } } })).data;
    for (const deadline = Date.now() + 30_000; job?.state !== "completed" && job?.state !== "failed"; ) {
      if (Date.now() > deadline) throw new Error(`job ${id} still ${job?.state}`);
      await new Promise((r) => setTimeout(r, 50));
      job = (await api.GET("/v1/jobs/{id}", { params: { path: { id } } })).data;
    }
    expect(job.state).toBe("completed");
    expect(job.result?.summary).toBeTruthy();

    const status = await api.GET("/v1/clusters/{cluster}/status", web);
    expect(status.response.status).toBe(200);
    // The route answers JSON or (?format=text) the ipvsadm-style table: the type says so.
    if (typeof status.data !== "object") throw new Error(`status is not JSON: ${status.data}`);
    expect(ClusterStatus.safeParse(status.data).error).toBeUndefined();
    for (const director of ["lb-master", "lb-backup"]) {
      const host = status.data.hosts.find((h) => h.host === director);
      expect(host?.inSync).toBe(true);
      const destination = host?.table?.services
        .find((s) => s.address === "192.168.1.229" && s.port === 80)
        ?.destinations.find((d) => d.address === "192.168.1.231" && d.port === 80);
      expect(destination?.weight).toBe(4);
      // The same table as the untyped helper reads it.
      expect((await directorWeights(fleet, director))["192.168.1.231:80"]).toBe(4);
    }
  });

  it("a refusal comes back as the typed Error body, and changes nothing", async () => {
    const api = createClient<paths>({ baseUrl: fleet.url, headers: { authorization: `Bearer ${fleet.api.token}` } });
    const before = (await api.GET("/v1/clusters/{cluster}", { params: { path: { cluster: "web" } } })).data;
    const refused = await api.PATCH("/v1/clusters/{cluster}/services/{service}/real-servers/{server}", {
      params: { path: { cluster: "web", service: "http", server: "192.168.1.231:80" } },
      body: { weight: 70_000 },
    });
    expect(refused.response.status).toBe(400);
    expect(refused.error?.error.field).toBe("weight");
    expect(refused.error?.error.message).toMatch(/65535/);
    const after = (await api.GET("/v1/clusters/{cluster}", { params: { path: { cluster: "web" } } })).data;
    expect(after?.generation).toBe(before?.generation);
    expect((await directorWeights(fleet, "lb-master"))["192.168.1.231:80"]).toBe(4);
  });
});
