import { execFile, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, repoRoot } from "@lvsfleet/devfleet";
import { renderSave } from "@lvsfleet/ipvs";
import { importKeepalivedText } from "@lvsfleet/keepalived";
import { ClusterSpec, DEMO_CLUSTER, desiredTable, validate } from "@lvsfleet/model";
import { requestApi } from "@lvsfleet/rpc/https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify } from "yaml";
import { directorWeights, startDemoFleet } from "./fleet.ts";

/**
 * lvsctl end to end: the bundled executable (packages/cli/dist/lvsctl.js, built by the tier's
 * setup) against a real server with real agent processes, as an operator's shell runs it.
 */
const LVSCTL = join(repoRoot(), "packages/cli/dist/lvsctl.js");
const GUIDE = readFileSync(join(repoRoot(), "packages/keepalived/test/fixtures/guide-keepalived.conf"), "utf8");

let fleet: Awaited<ReturnType<typeof startDemoFleet>>;
let work: string;

beforeAll(async () => {
  fleet = await startDemoFleet();
  work = mkdtempSync(join(tmpdir(), "lvsctl-e2e-"));
});
afterAll(async () => {
  await fleet?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs lvsctl with the fleet's URL and token in the environment (and no config file), unless overridden. */
function lvsctl(args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<Run> {
  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: work,
    LVSFLEET_URL: fleet.url,
    LVSFLEET_TOKEN: fleet.api.token,
  };
  const merged = Object.fromEntries(
    Object.entries({ ...base, ...env }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [LVSCTL, ...args],
      { env: merged, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

const generation = async () => (await fleet.api.get("/v1/clusters/web")).body.generation as number;
const file = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

describe("lvsctl against a running server", () => {
  it("status prints every director's table as ipvsadm -Ln does; -o json gives the same data", async () => {
    const run = await lvsctl(["status"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/director lb-master 192\.168\.1\.252 master priority 100 — agent up .* \(in sync\)/);
    expect(run.stdout).toMatch(/director lb-backup 192\.168\.1\.230 backup priority 90/);
    expect(run.stdout).toContain("TCP  192.168.1.229:80 wrr persistent 60\n");
    expect(run.stdout).toContain("  -> 192.168.1.220:80             Route   3      0          0");
    const json = await lvsctl(["status", "web", "-o", "json"]);
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout);
    expect(status.cluster).toBe("web");
    expect(status.hosts.map((h: { host: string }) => h.host).sort()).toEqual([
      "lb-backup",
      "lb-master",
      "web1",
      "web2",
    ]);
  });

  it("get -o yaml → diff (exit 0, nothing) → edit → diff (exit 1, per director, nothing applied) → apply → diff (exit 0)", async () => {
    const got = await lvsctl(["get", "web", "-o", "yaml"]);
    expect(got.code).toBe(0);
    const specFile = file("web.yaml", got.stdout);
    const same = await lvsctl(["diff", "-f", specFile]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("the spec is unchanged");
    expect(same.stdout).toContain("director lb-master (running): nothing to change");

    const spec = parseYaml(got.stdout);
    spec.services[0].realServers[1].weight = 4;
    writeFileSync(specFile, stringify(spec));
    const before = await generation();
    const diff = await lvsctl(["diff", "-f", specFile]);
    expect(diff.code).toBe(1);
    const edit = "edit-destination TCP 192.168.1.229:80 -> 192.168.1.231:80 dr weight 4";
    expect(diff.stdout).toContain(`director lb-master (running): 1 operation(s)\n  ${edit}`);
    expect(diff.stdout).toContain(`director lb-backup (running): 1 operation(s)\n  ${edit}`);
    // A dry run: nothing stored, nothing applied.
    expect(await generation()).toBe(before);
    expect(await directorWeights(fleet, "lb-master")).toEqual({ "192.168.1.220:80": 3, "192.168.1.231:80": 1 });

    const apply = await lvsctl(["apply", "-f", specFile]);
    expect(apply.stderr).toBe("");
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/^cluster web updated from .*web\.yaml \(generation \d+\)\njob \d+ completed/);
    expect(apply.stdout).toContain(`lb-backup: ${edit}`);
    expect(await generation()).toBe(before + 1);
    expect(await directorWeights(fleet, "lb-backup")).toEqual({ "192.168.1.220:80": 3, "192.168.1.231:80": 4 });
    expect((await lvsctl(["diff", "-f", specFile])).code).toBe(0);
  });

  it("apply reads JSON from standard input too, and refuses a bad spec with the field before sending it", async () => {
    const bad = structuredClone(DEMO_CLUSTER) as any;
    bad.services[0].scheduler = "fastest";
    const before = await generation();
    const run = await lvsctl(["apply", "-f", "-"], {}, JSON.stringify(bad));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("lvsctl: (stdin) is not a valid cluster spec");
    expect(run.stderr).toMatch(/services\[0\]\.scheduler: /);
    const broken = await lvsctl(["diff", "-f", file("broken.yaml", "name: web\nservices: [\n  - {name: http\n")]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.yaml:\d+:\d+: /);
    expect(await generation()).toBe(before);
  });

  it("weight changes a real server on both directors and waits for the job; -o json gives the job", async () => {
    const run = await lvsctl(["weight", "192.168.1.220", "7"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^web\/http 192\.168\.1\.220: weight 3 -> 7\njob \d+ completed/);
    expect(run.stdout).toContain("lb-master: edit-destination TCP 192.168.1.229:80 -> 192.168.1.220:80 dr weight 7");
    expect(await directorWeights(fleet, "lb-master")).toEqual({ "192.168.1.220:80": 7, "192.168.1.231:80": 4 });
    const json = await lvsctl(["weight", "192.168.1.220:80", "3", "--service", "http", "-o", "json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ state: "completed", kind: "apply", cluster: "web" });
    expect(await directorWeights(fleet, "lb-backup")).toEqual({ "192.168.1.220:80": 3, "192.168.1.231:80": 4 });
  });

  it("weight: an unknown real server is exit 5 with what exists; a bad weight exit 2; nothing changes", async () => {
    const before = await generation();
    const missing = await lvsctl(["weight", "192.168.1.99", "2"]);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain("lvsctl: no real server 192.168.1.99");
    expect(missing.stderr).toContain("192.168.1.220:80 in web/http");
    const bad = await lvsctl(["weight", "192.168.1.220", "70000"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("must be a whole number from 0 to 65535");
    expect(await generation()).toBe(before);
  });

  it("import: the guide's keepalived.conf (master and backup) becomes the cluster, repairs reported with file:line:column", async () => {
    const master = file("master.conf", GUIDE);
    const backup = file(
      "backup.conf",
      GUIDE.replace("state MASTER", "state BACKUP").replace("priority 100", "priority 90"),
    );
    const run = await lvsctl([
      "import",
      master,
      backup,
      "--name",
      "web",
      "--director",
      "lb-master=192.168.1.252",
      "--director",
      "lb-backup=192.168.1.230",
      "--real-server-host",
      "192.168.1.220=web1",
      "--real-server-host",
      "192.168.1.231=web2",
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `${master}:11:19: warning: read '//备份服务器设置为backup' after 'state' as a comment`,
    );
    expect(run.stderr).toMatch(/backup\.conf:\d+:\d+: warning: 'nb_get_retry' is the pre-2\.0 name of 'retry'/);
    expect(run.stdout).toMatch(
      /^cluster web updated from .*master\.conf, .*backup\.conf \(generation \d+\)\njob \d+ completed/,
    );
    // The import brought the guide's weights back (3 and 1) on both directors, and its health checks into the spec.
    expect(await directorWeights(fleet, "lb-master")).toEqual({ "192.168.1.220:80": 3, "192.168.1.231:80": 1 });
    expect(await directorWeights(fleet, "lb-backup")).toEqual({ "192.168.1.220:80": 3, "192.168.1.231:80": 1 });
    const spec = (await fleet.api.get("/v1/clusters/web")).body.spec;
    expect(spec.services[0].realServers.map((r: any) => [r.host, r.healthChecks?.[0]?.type])).toEqual([
      ["web1", "tcp"],
      ["web2", "tcp"],
    ]);
    expect(spec.vrrp.instances[0]).toMatchObject({ name: "VI_1", virtualRouterId: 51 });
  });

  it("import: --strict refuses the same damage, and a malformed file is refused with line and column; nothing is sent", async () => {
    const before = await generation();
    const strict = await lvsctl(["import", file("strict.conf", GUIDE), "--name", "web", "--strict"]);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/strict\.conf:11:19: error: read '\/\/备份服务器设置为backup'/);
    expect(strict.stderr).toContain("lvsctl: import refused:");
    const unbalanced = file(
      "unbalanced.conf",
      "virtual_server 192.168.1.229 80 {\n    lb_algo wrr\n    real_server 192.168.1.220 80 {\n        weight 3\n}\n",
    );
    const broken = await lvsctl(["import", unbalanced, "--name", "web"]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/unbalanced\.conf:\d+:\d+: error: /);
    expect(await generation()).toBe(before);
  });

  it("import --print shows the spec without a server; import --diff asks the directors", async () => {
    const printed = await lvsctl(["import", file("print.conf", GUIDE), "--name", "web", "--print"], {
      LVSFLEET_URL: "http://127.0.0.1:9",
    });
    expect(printed.code).toBe(0);
    const spec = validate(ClusterSpec, parseYaml(printed.stdout));
    expect(spec.services[0]?.realServers.map((r) => r.weight)).toEqual([3, 1]);
    const diff = await lvsctl([
      "import",
      file("diff.conf", GUIDE),
      "--name",
      "web",
      "--diff",
      "--director",
      "lb-master=192.168.1.252",
    ]);
    // One file means one director: the backup would go, and the spec changes.
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain("remove director lb-backup");
  });

  it("export --format ipvsadm is ipvsadm -Sn of the desired table; --format keepalived re-imports to the same services", async () => {
    const spec = validate(ClusterSpec, (await fleet.api.get("/v1/clusters/web")).body.spec);
    const ipvsadm = await lvsctl(["export", "web", "--format", "ipvsadm"]);
    expect(ipvsadm.code).toBe(0);
    expect(ipvsadm.stdout).toBe(renderSave(desiredTable(spec)));
    expect(ipvsadm.stdout).toContain("-A -t 192.168.1.229:80 -s wrr -p 60");
    expect(ipvsadm.stdout).toContain("-a -t 192.168.1.229:80 -r 192.168.1.220:80 -g -w 3");

    const out = join(work, "exported.conf");
    const keepalived = await lvsctl(["export", "--format", "keepalived", "--director", "lb-master", "--out", out]);
    expect(keepalived.code).toBe(0);
    expect(keepalived.stderr).toContain(`wrote ${out}`);
    const back = importKeepalivedText(readFileSync(out, "utf8"), {
      name: "web",
      director: { host: "lb-master", address: "192.168.1.252" },
    });
    if (!back.ok) throw new Error(back.diagnostics.map((d) => d.message).join("\n"));
    const strip = (s: ClusterSpec) =>
      s.services.map((x) => ({ ...x, realServers: x.realServers.map(({ host: _, ...r }) => r) }));
    expect(strip(back.spec)).toEqual(strip(spec));
    const unknown = await lvsctl(["export", "--format", "keepalived", "--director", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("nope is not one of the cluster's directors");
  });

  it("a bad token is exit 4 with a clear message; a viewer token reads but may not change weights", async () => {
    const bad = await lvsctl(["status"], { LVSFLEET_TOKEN: "not-a-real-token-at-all" });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain("lvsctl: not authenticated: invalid or revoked bearer token");
    expect(bad.stderr).toMatch(/request id: [0-9a-f-]{36}/);
    const none = await lvsctl(["get"], { LVSFLEET_TOKEN: undefined });
    expect(none.code).toBe(4);
    expect(none.stderr).toContain("missing bearer token");

    const created = await lvsctl(["tokens", "create", "e2e-viewer", "--role", "viewer", "-o", "json"]);
    expect(created.code).toBe(0);
    const token = JSON.parse(created.stdout);
    expect(token).toMatchObject({ name: "e2e-viewer", role: "viewer" });
    expect((await lvsctl(["status"], { LVSFLEET_TOKEN: token.token })).code).toBe(0);
    const denied = await lvsctl(["weight", "192.168.1.220", "2"], { LVSFLEET_TOKEN: token.token });
    expect(denied.code).toBe(4);
    expect(denied.stderr).toMatch(/^lvsctl: not allowed: /);

    const list = await lvsctl(["tokens", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${token.id}\\s+e2e-viewer\\s+viewer\\s`, "m"));
    expect(list.stdout).not.toContain(token.token);
    const revoked = await lvsctl(["tokens", "revoke", token.id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toBe(`token e2e-viewer (id ${token.id}) revoked\n`);
    expect((await lvsctl(["status"], { LVSFLEET_TOKEN: token.token })).code).toBe(4);
  });

  it("server down: a clear message naming the URL and exit 3", async () => {
    const port = await freePort();
    const run = await lvsctl(["status"], { LVSFLEET_URL: `http://127.0.0.1:${port}` });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `lvsctl: cannot reach the lvsfleet server at http://127.0.0.1:${port}: connection refused`,
    );
    expect(run.stdout).toBe("");
  });

  it("a config file (url, tokenFile, cluster) works without environment variables; a loose one is warned about", async () => {
    const tokenFile = file("token", `${fleet.api.token}\n`);
    const config = file("config.yaml", `url: ${fleet.url}\ntokenFile: ${tokenFile}\ncluster: web\n`);
    const run = await lvsctl(["get", "-o", "json"], {
      LVSFLEET_URL: undefined,
      LVSFLEET_TOKEN: undefined,
      LVSFLEET_CONFIG: config,
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).clusters.map((c: { name: string }) => c.name)).toContain("web");
    const shown = await lvsctl(["config"], {
      LVSFLEET_URL: undefined,
      LVSFLEET_TOKEN: undefined,
      LVSFLEET_CONFIG: config,
    });
    expect(shown.stdout).toContain(`token    set (from ${tokenFile})`);
    expect(shown.stdout).not.toContain(fleet.api.token);
    const loose = file("loose.yaml", `url: ${fleet.url}\ntoken: ${fleet.api.token}\n`);
    chmodSync(loose, 0o644);
    const warned = await lvsctl(["get"], {
      LVSFLEET_URL: undefined,
      LVSFLEET_TOKEN: undefined,
      LVSFLEET_CONFIG: loose,
    });
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain(`holds a token and can be read by others: chmod 600 ${loose}`);
    const bad = await lvsctl(["get"], { LVSFLEET_CONFIG: file("bad.yaml", "url: not a url\n") });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("url: must be the server's URL");
  });

  it("diff against a stopped director shows what start would do to the table it holds", async () => {
    const stop = await lvsctl(["stop", "web", "--host", "lb-backup"]);
    expect(stop.code).toBe(0);
    const specFile = file("current.yaml", (await lvsctl(["get", "web", "-o", "yaml"])).stdout);
    const diff = await lvsctl(["diff", "-f", specFile]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain("director lb-master (running): nothing to change");
    expect(diff.stdout).toContain(
      "director lb-backup (stopped): nothing changes until it starts; these are what start would do to the table it holds\n  add-service TCP 192.168.1.229:80 wrr persistent 60\n",
    );
    expect((await lvsctl(["start", "web", "--host", "lb-backup"])).code).toBe(0);
    expect((await lvsctl(["diff", "-f", specFile])).code).toBe(0);
  });

  it("start and stop one host go through jobs", async () => {
    const stop = await lvsctl(["stop", "web", "--host", "web2"]);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/^stop web: web2\njob \d+ completed: stop web web2/);
    const start = await lvsctl(["start", "--host", "web2"]);
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(/job \d+ completed: start web web2/);
    expect(start.stdout).toContain("web2: ip addr add 192.168.1.229/32 dev lo label lo:0");
  });
});

describe("lvsctl with several servers (replicas): fail-over without applying a change twice", () => {
  const stubs: Server[] = [];
  const requests: Record<string, string[]> = {};
  /** An HTTP listener on 127.0.0.1 that records each request's method and path under `name`. */
  async function stub(name: string, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    requests[name] = [];
    const server = createServer((req, res) => {
      requests[name]?.push(`${req.method} ${req.url}`);
      handle(req, res);
    });
    stubs.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  afterAll(() => {
    for (const s of stubs) s.close();
  });

  it("a dead first server and a proxy answering 503 are skipped; the weight change reaches the fleet once", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const proxy = await stub("proxy", (_req, res) => {
      res.writeHead(503, { "content-type": "text/html" });
      res.end("<html><body><h1>503 Service Unavailable</h1></body></html>");
    });
    const before = await generation();
    const status = await lvsctl(["status"], { LVSFLEET_URL: `${proxy},${fleet.url}` });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/director lb-master 192\.168\.1\.252 master/);
    expect(requests.proxy?.length).toBeGreaterThan(0);

    const start = (await directorWeights(fleet, "lb-master"))["192.168.1.220:80"];
    const target = start === 5 ? 6 : 5;
    try {
      const weight = await lvsctl(["weight", "192.168.1.220", String(target)], {
        LVSFLEET_URL: `${dead},${fleet.url}`,
      });
      expect(weight.stderr).toBe("");
      expect(weight.code).toBe(0);
      expect(weight.stdout).toMatch(
        new RegExp(`^web/http 192\\.168\\.1\\.220: weight ${start} -> ${target}\njob \\d+ completed`),
      );
      expect(await generation()).toBe(before + 1);
      expect(await directorWeights(fleet, "lb-master")).toMatchObject({ "192.168.1.220:80": target });
    } finally {
      expect((await lvsctl(["weight", "192.168.1.220", String(start)])).code).toBe(0);
    }
  });

  it("a change whose connection is reset after the server read it is not sent to the next server: exit 3, nothing applied", async () => {
    // A replica that serves reads (passing them to the real server) and dies in the middle of a change.
    const dying = await stub("dying", (req, res) => {
      if (req.method !== "GET") {
        req.resume();
        req.on("end", () => req.socket.resetAndDestroy());
        return;
      }
      requestApi(new URL(req.url ?? "/", fleet.url), {
        method: "GET",
        headers: { authorization: req.headers.authorization ?? "" },
        timeoutMs: 10_000,
      }).then((answer) => {
        res.writeHead(answer.status, { "content-type": answer.headers["content-type"] ?? "application/json" });
        res.end(answer.text);
      });
    });
    const before = await generation();
    const weights = await directorWeights(fleet, "lb-master");
    const run = await lvsctl(["weight", "192.168.1.220", "9"], { LVSFLEET_URL: `${dying},${fleet.url}` });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      new RegExp(
        `^lvsctl: PATCH /v1/clusters/web/\\S+ failed at ${dying} \\(.*\\) after it may have reached the server: not sent to another one, it could apply twice\n`,
      ),
    );
    expect(run.stderr).toContain(`  ${fleet.url}: not tried\n`);
    expect(requests.dying?.filter((r) => !r.startsWith("GET "))).toHaveLength(1);
    expect(requests.dying?.filter((r) => r.startsWith("PATCH "))).toHaveLength(1);
    expect(await generation()).toBe(before);
    expect(await directorWeights(fleet, "lb-master")).toEqual(weights);
  });

  it("a bad URL in the list is a usage error naming it (exit 2); nothing is sent", async () => {
    const watched = await stub("watched", (_req, res) => res.end());
    const run = await lvsctl(["status"], { LVSFLEET_URL: `${watched},127.0.0.1:8080` });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "lvsctl: 127.0.0.1:8080 (entry 2 of LVSFLEET_URL) is not a server URL: must be the server's URL, http:// or https://",
    );
    expect(requests.watched).toEqual([]);
  });
});

describe("lvsctl against a server without the maintenance-jobs and what-if endpoints", () => {
  let stub: Server;
  let url: string;
  beforeAll(async () => {
    // Answers the way lvsfleet's server answers a route it does not have.
    stub = createServer((req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url?.split("?")[0]}` } }));
    });
    await new Promise<void>((r) => stub.listen(0, "127.0.0.1", r));
    const address = stub.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(() => stub?.close());

  it("jobs, cancel, drain and whatif say plainly that the server does not support them (exit 7)", async () => {
    for (const [args, route] of [
      [["jobs", "--cluster", "web"], "GET /v1/jobs"],
      [["cancel", "42"], "POST /v1/jobs/42/cancel"],
    ] as const) {
      const run = await lvsctl([...args], { LVSFLEET_URL: url });
      expect(run.code).toBe(7);
      expect(run.stderr).toContain(`lvsctl: this server does not support ${route} (${url})`);
    }
    // drain and whatif first look the real server up (GET /v1/clusters): the same answer.
    for (const args of [
      ["drain", "192.168.1.220"],
      ["whatif", "weight", "192.168.1.220", "0"],
    ]) {
      const run = await lvsctl(args, { LVSFLEET_URL: url });
      expect(run.code).toBe(7);
      expect(run.stderr).toContain("this server does not support GET /v1/clusters");
    }
  });
});

describe("lvsctl without a server", () => {
  it("--help lists the commands, examples and exit codes; a missing argument is exit 2", async () => {
    const help = await lvsctl(["--help"]);
    expect(help.code).toBe(0);
    for (const command of [
      "status",
      "get",
      "apply",
      "diff",
      "weight",
      "start",
      "stop",
      "jobs",
      "cancel",
      "drain",
      "whatif",
      "import",
      "export",
      "tokens",
      "completion",
    ])
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    expect(help.stdout).toContain("Exit codes:");
    expect(help.stdout).toContain("lvsctl export web --format ipvsadm | ipvsadm -R");
    const weightHelp = await lvsctl(["weight", "--help"]);
    expect(weightHelp.stdout).toContain("lvsctl weight 192.168.1.220:80 5");
    const missing = await lvsctl(["weight", "192.168.1.220"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'weight'");
    const format = await lvsctl(["get", "-o", "xml"]);
    expect(format.code).toBe(2);
  });

  it("completion: the bash script is valid and completes commands, subcommands and option values", async () => {
    const script = file("lvsctl.bash", (await lvsctl(["completion", "bash"])).stdout);
    expect(spawnSync("bash", ["-n", script]).status).toBe(0);
    const complete = (words: string[]) => {
      const bash = spawnSync(
        "bash",
        [
          "-c",
          `source "$1"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _lvsctl; echo "\${COMPREPLY[*]}"`,
          "bash",
          script,
        ],
        { encoding: "utf8" },
      );
      expect(bash.stderr).toBe("");
      return bash.stdout.trim().split(/\s+/);
    };
    expect(complete(["lvsctl", "we"])).toEqual(["weight"]);
    expect(complete(["lvsctl", "tokens", ""]).slice(0, 3)).toEqual(["create", "list", "revoke"]);
    expect(complete(["lvsctl", "export", "--format", ""])).toEqual(["keepalived", "ipvsadm"]);
    expect(complete(["lvsctl", "-o", "y"])).toEqual(["yaml"]);
    expect(complete(["lvsctl", "tokens", "create", "--r"])).toEqual(["--role"]);
    const fish = await lvsctl(["completion", "fish"]);
    expect(fish.stdout).toContain("complete -c lvsctl -n '__fish_use_subcommand' -a status");
    expect((await lvsctl(["completion", "tcsh"])).code).toBe(2);
  });
});
