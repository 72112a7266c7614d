import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, type ProgramHandle, repoRoot, startServerProcess } from "@lvsfleet/devfleet";
import { requestApi } from "@lvsfleet/rpc/https";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";

/**
 * The HA deployment files: docker-compose.yml's `ha` profile read as compose reads it (no Docker
 * here), deploy/haproxy/haproxy.cfg checked by `haproxy -c`, then a real HAProxy with that file
 * (addresses moved to loopback) in front of three real HTTPS server replicas on one Redis sharing
 * one CA: one replica is SIGKILLed and every request through HAProxy still succeeds.
 */
const ROOT = repoRoot();
const HAPROXY = "/usr/sbin/haproxy";
const LVSCTL = join(ROOT, "packages/cli/dist/lvsctl.js");
const CONFIG = join(ROOT, "deploy/haproxy/haproxy.cfg");
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Service = Record<string, any>;
const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const HA = [
  "redis-master",
  "redis-replica",
  "sentinel-1",
  "sentinel-2",
  "sentinel-3",
  "server-1",
  "server-2",
  "server-3",
  "haproxy",
];
const SERVERS = ["server-1", "server-2", "server-3"];

describe("docker-compose.yml: the ha profile", () => {
  it("has the replicas, Redis master and replica, three sentinels and HAProxy, and only in the profile", () => {
    const ha = Object.entries(compose.services)
      .filter(([, s]) => s.profiles?.includes("ha"))
      .map(([name]) => name);
    expect(ha.sort()).toEqual([...HA].sort());
    for (const name of HA) expect(compose.services[name]?.profiles, name).toEqual(["ha"]);
    // the single-server stack is unchanged: no profile, so `docker compose up` starts it as before
    for (const name of ["redis", "server", "enroll", "lb-master", "lb-backup", "web1", "web2", "setup"])
      expect(compose.services[name]?.profiles, name).toBeUndefined();
  });

  it("every replica shares Redis (through the sentinels), the prefix, the token and the CA key; each has its own id and volume", () => {
    const envs = SERVERS.map((name) => compose.services[name]?.environment as Record<string, string>);
    for (const env of envs) {
      expect(env.REDIS_URL).toBe("redis+sentinel://sentinel-1:26379,sentinel-2:26379,sentinel-3:26379/mymaster");
      expect(env.LVSFLEET_PREFIX).toBe("lvsfleet");
      expect(env.LVSFLEET_API_TOKEN).toMatch(/^\$\{LVSFLEET_API_TOKEN:\?/);
      expect(env.LVSFLEET_CA_ENCRYPTION_KEY).toMatch(/^\$\{LVSFLEET_CA_ENCRYPTION_KEY:-\}$/);
      expect(env.LVSFLEET_TLS).toBe("ca");
      expect(env.LVSFLEET_BIND).toBe("0.0.0.0");
    }
    expect(envs.map((e) => e.LVSFLEET_REPLICA_ID)).toEqual(SERVERS);
    // each certificate names the replica and the proxy clients reach it through (TLS passthrough)
    for (const [i, env] of envs.entries())
      expect(env.LVSFLEET_TLS_NAMES?.split(",")).toEqual(expect.arrayContaining([SERVERS[i], "haproxy", "127.0.0.1"]));
    const volumes = SERVERS.map((name) => compose.services[name]?.volumes[0] as string);
    expect(new Set(volumes.map((v) => v.split(":")[0])).size).toBe(3);
    for (const v of volumes) expect(v).toMatch(/^server-\d-data:\/var\/lib\/lvsfleet$/);
  });

  it("the sentinels watch the master group REDIS_URL names, from a config file written at start", () => {
    for (const name of ["sentinel-1", "sentinel-2", "sentinel-3"]) {
      const service = compose.services[name] as Service;
      expect(service.image).toBe("redis:7-alpine");
      expect(service.user).toBe("redis"); // not root: the image's /data is the redis user's
      expect(service.environment.SENTINEL_NAME).toBe(name);
      const script = service.command.join(" ");
      expect(script).toContain("'sentinel monitor mymaster redis-master 6379 2'");
      expect(script).toContain('"sentinel announce-ip $$SENTINEL_NAME"'); // $$: compose passes one $ to sh
      expect(script).toMatch(/> \/data\/sentinel\.conf\n\s*exec redis-sentinel \/data\/sentinel\.conf/);
    }
    expect(compose.services["redis-replica"]?.command).toEqual(
      expect.arrayContaining(["--replicaof", "redis-master", "6379"]),
    );
  });

  it("every file it mounts exists, every named volume is declared, every dependency is a service", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of (service.volumes ?? []) as string[]) {
        const source = volume.split(":")[0] as string;
        if (source.startsWith("./")) expect(existsSync(join(ROOT, source)), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes, `${name}: ${source}`).toHaveProperty(source);
      }
      const dependsOn = service.depends_on ?? [];
      for (const dependency of Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn))
        expect(compose.services, `${name} depends on ${dependency}`).toHaveProperty(dependency);
    }
    expect(compose.services.haproxy?.volumes).toEqual([
      "./deploy/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro",
    ]);
  });

  it("HAProxy's backends are the replicas, on the port they listen on", () => {
    const servers = [...readFileSync(CONFIG, "utf8").matchAll(/^\s*server (\S+) (\S+):(\d+)$/gm)];
    expect(servers.map((m) => [m[1], m[2], m[3]])).toEqual(SERVERS.map((s) => [s, s, "8080"]));
  });
});

describe("deploy/haproxy/haproxy.cfg", () => {
  it("is a valid HAProxy configuration (haproxy -c)", async () => {
    // haproxy is in scripts/os-packages.txt: CI installs it, so this runs everywhere
    const { stdout, stderr } = await run(HAPROXY, ["-c", "-f", CONFIG]);
    expect(`${stdout}${stderr}`).toContain("Configuration file is valid");
  });
});

/** The repo's haproxy.cfg with its addresses moved to loopback ports (and no Docker DNS). */
function onLoopback(text: string, port: number, statsPort: number, replicas: number[]): string {
  let i = 0;
  const adapted = text
    .replace(/^resolvers docker\n(?:[ \t]+.*\n)+/m, "")
    .replace(/ resolvers docker init-addr \S+/, "")
    .replace(/^(\s*bind) :8443$/m, `$1 127.0.0.1:${port}`)
    .replace(/^(\s*bind) :8404$/m, `$1 127.0.0.1:${statsPort}`)
    .replace(/^(\s*server \S+) \S+:8080$/gm, (_m, head: string) => `${head} 127.0.0.1:${replicas[i++]}`);
  expect(i).toBe(replicas.length);
  expect(adapted).not.toContain("resolvers");
  return adapted;
}

describe("a real HAProxy with deploy/haproxy/haproxy.cfg in front of three real replicas", () => {
  const prefix = `e2e-haproxy-${randomBytes(4).toString("hex")}`;
  const token = randomBytes(18).toString("base64url");
  const key = randomBytes(32).toString("base64");
  const work = mkdtempSync(join(tmpdir(), "lvsfleet-e2e-haproxy-"));
  const replicas: ProgramHandle<{ port: number }>[] = [];
  let proxy: ChildProcess | undefined;
  let proxyUrl: string;
  let statsUrl: string;
  let caPem: string;

  beforeAll(async () => {
    for (const name of SERVERS) {
      const dataDir = join(work, name);
      mkdirSync(dataDir, { recursive: true });
      replicas.push(
        await startServerProcess({
          root: ROOT,
          env: {
            PATH: process.env.PATH,
            PORT: "0",
            REDIS_URL: inject("redisUrl"),
            LVSFLEET_PREFIX: prefix,
            LVSFLEET_API_TOKEN: token,
            LVSFLEET_CA_ENCRYPTION_KEY: key,
            LVSFLEET_DATA_DIR: dataDir,
            LVSFLEET_REPLICA_ID: name,
            LVSFLEET_TLS: "ca",
            LVSFLEET_TLS_NAMES: "127.0.0.1,localhost",
            LOG_LEVEL: "info",
          },
          logFile: join(work, "logs", `${name}.log`),
        }),
      );
    }
    caPem = readFileSync(join(work, "server-1", "pki", "ca.crt"), "utf8");
    writeFileSync(join(work, "ca.crt"), caPem);
    const [port, statsPort] = [await freePort(), await freePort()];
    const config = join(work, "haproxy.cfg");
    writeFileSync(
      config,
      onLoopback(
        readFileSync(CONFIG, "utf8"),
        port,
        statsPort,
        replicas.map((r) => r.ready.port),
      ),
    );
    proxyUrl = `https://127.0.0.1:${port}`;
    statsUrl = `http://127.0.0.1:${statsPort}/;csv`;
    proxy = spawn(HAPROXY, ["-db", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    proxy.stderr?.on("data", (chunk) => {
      log += chunk;
    });
    // ready when HAProxy's checks have found every replica up
    const deadline = Date.now() + 15_000;
    while ((await upReplicas().catch(() => [])).length < 3) {
      if (Date.now() > deadline || proxy.exitCode !== null) throw new Error(`HAProxy did not come up:\n${log}`);
      await sleep(100);
    }
  }, 60_000);

  afterAll(async () => {
    if (proxy?.pid && proxy.exitCode === null) {
      proxy.kill("SIGTERM");
      await new Promise((r) => proxy?.once("exit", r));
    }
    await Promise.all(replicas.map((r) => r.stop()));
    rmSync(work, { recursive: true, force: true });
  });

  /** The replicas HAProxy's checks see up, from its stats page (CSV). */
  async function upReplicas(): Promise<string[]> {
    const answer = await requestApi(new URL(statsUrl), { method: "GET", timeoutMs: 2000 });
    return answer.text
      .split("\n")
      .map((line) => line.split(","))
      .filter((f) => f[0] === "lvsfleet_replicas" && f[1]?.startsWith("server-") && f[17] === "UP")
      .map((f) => f[1] as string);
  }

  /** GET /v1/health through HAProxy, verifying the replica's certificate against the fleet's CA. */
  async function health(): Promise<{ status: number; replica?: string }> {
    const answer = await requestApi(new URL("/v1/health", proxyUrl), {
      method: "GET",
      timeoutMs: 5000,
      trust: { roots: "pinned", caPem },
    });
    return { status: answer.status, replica: answer.ok ? JSON.parse(answer.text).replica : undefined };
  }

  it("spreads requests over the replicas (round robin), TLS end to end with the fleet's one CA", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const answer = await health();
      expect(answer.status).toBe(200);
      seen.add(answer.replica as string);
    }
    expect([...seen].sort()).toEqual(SERVERS);
  });

  it("a replica killed with SIGKILL: every request through HAProxy still succeeds, reads and changes", async () => {
    const victim = replicas[1] as ProgramHandle<{ port: number }>;
    await victim.kill();
    const killedAt = Date.now();
    const answered: string[] = [];
    // right after the kill, before the checks notice: a refused connection is redispatched
    while (Date.now() - killedAt < 3000) {
      const answer = await health();
      expect(answer.status).toBe(200);
      answered.push(answer.replica as string);
      await sleep(20);
    }
    expect(answered.length).toBeGreaterThan(10);
    expect(answered).not.toContain("server-2");
    expect(new Set(answered)).toEqual(new Set(["server-1", "server-3"]));
    // and HAProxy's checks have marked it down (2 failed checks 1 s apart)
    const deadline = Date.now() + 5000;
    while ((await upReplicas()).join() !== "server-1,server-3" && Date.now() < deadline) await sleep(100);
    expect(await upReplicas()).toEqual(["server-1", "server-3"]);

    // a change through HAProxy (lvsctl from dist, trusting the fleet's CA): created once
    const created = await run(
      process.execPath,
      [LVSCTL, "tokens", "create", "ha-viewer", "--role", "viewer", "-o", "json"],
      {
        env: {
          PATH: process.env.PATH,
          HOME: work,
          LVSFLEET_URL: proxyUrl,
          LVSFLEET_TOKEN: token,
          LVSFLEET_CA_FILE: join(work, "ca.crt"),
        },
      },
    );
    expect(JSON.parse(created.stdout)).toMatchObject({ name: "ha-viewer", role: "viewer" });
    const listed = await run(process.execPath, [LVSCTL, "tokens", "list", "-o", "json"], {
      env: {
        PATH: process.env.PATH,
        HOME: work,
        LVSFLEET_URL: proxyUrl,
        LVSFLEET_TOKEN: token,
        LVSFLEET_CA_FILE: join(work, "ca.crt"),
      },
    });
    expect(JSON.parse(listed.stdout).tokens.filter((t: { name: string }) => t.name === "ha-viewer")).toHaveLength(1);

    // lvsctl given the replicas themselves: the killed one refuses the connection, so even the
    // change goes on to the next one, once
    const direct = `https://127.0.0.1:${victim.ready.port},https://127.0.0.1:${replicas[2]?.ready.port}`;
    const env = {
      PATH: process.env.PATH,
      HOME: work,
      LVSFLEET_URL: direct,
      LVSFLEET_TOKEN: token,
      LVSFLEET_CA_FILE: join(work, "ca.crt"),
    };
    const again = await run(
      process.execPath,
      [LVSCTL, "tokens", "create", "ha-direct", "--role", "viewer", "-o", "json"],
      { env },
    );
    expect(again.stderr).toBe("");
    expect(JSON.parse(again.stdout)).toMatchObject({ name: "ha-direct" });
    const tokens = JSON.parse(
      (await run(process.execPath, [LVSCTL, "tokens", "list", "-o", "json"], { env })).stdout,
    ).tokens;
    expect(tokens.filter((t: { name: string }) => t.name === "ha-direct")).toHaveLength(1);
  });
});
