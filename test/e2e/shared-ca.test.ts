import { execFile } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Api,
  PROGRAM_FILES,
  type ProgramHandle,
  repoRoot,
  startAgentProcess,
  startServerProcess,
} from "@lvsfleet/devfleet";
import { CA_CERT_FILE, CA_KEY_FILE, loadIdentity, loadOrCreateCa, signRegistration } from "@lvsfleet/pki";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { directorWeights, startDemoFleet } from "./fleet.ts";

/**
 * Issue 13, one trust root: two server processes on one Redis with LVSFLEET_CA_ENCRYPTION_KEY share
 * one CA (sealed in Redis, on no disk), so an agent enrolled through one registers with and is called
 * by the other; a revocation made on one is enforced by the other at once; a server with another CA,
 * or a key that cannot open the fleet's, refuses to start.
 */
const ROOT = repoRoot();
const KEY = randomBytes(32).toString("base64");
const PREFIX = `e2e-shared-ca-${randomBytes(4).toString("hex")}`;
const RS1 = "/v1/clusters/web/services/http/real-servers/192.168.1.220:80";

let fleet: Awaited<ReturnType<typeof startDemoFleet>>;
let serverB: ProgramHandle<{ port: number }>;
let b: Api;
let work: string;
let redis: Redis;
const extra: ProgramHandle<unknown>[] = [];

const serverEnv = (dataDir: string, more: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  PORT: "0",
  REDIS_URL: inject("redisUrl"),
  LVSFLEET_PREFIX: PREFIX,
  LVSFLEET_API_TOKEN: fleet.api.token,
  LVSFLEET_DATA_DIR: dataDir,
  LVSFLEET_HEARTBEAT_MS: "300",
  LVSFLEET_AGENT_DEADLINE_MS: "1500",
  LOG_LEVEL: "info",
  ...more,
});

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "lvsfleet-shared-ca-"));
  redis = new Redis(inject("redisUrl"));
  fleet = await startDemoFleet({ LVSFLEET_PREFIX: PREFIX, LVSFLEET_CA_ENCRYPTION_KEY: KEY });
  serverB = await startServerProcess({
    root: ROOT,
    env: serverEnv(join(fleet.dataDir, "server-b"), { LVSFLEET_CA_ENCRYPTION_KEY: KEY }),
    logFile: join(fleet.dataDir, "logs", "server-b.log"),
  });
  b = new Api(`http://127.0.0.1:${serverB.ready.port}`, fleet.api.token);
});
afterAll(async () => {
  await Promise.all(extra.map((p) => p.stop()));
  await serverB?.stop();
  await fleet?.cleanup();
  redis?.disconnect();
  rmSync(work, { recursive: true, force: true });
});

async function agents(api: Api): Promise<any[]> {
  return (await api.get("/v1/agents")).body.agents;
}

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${check.toString().slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function run(file: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { env, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

const fingerprint = (pem: string) => `SHA256 ${new X509Certificate(pem).fingerprint256}`;

describe("two servers, one CA", () => {
  it("both serve the same CA, whose key is on neither disk and only sealed in Redis", async () => {
    const [fromA, fromB] = await Promise.all([fleet.api.get("/v1/pki/ca"), b.get("/v1/pki/ca")]);
    expect(fromA.status).toBe(200);
    expect(fromB.body).toEqual(fromA.body);
    expect(existsSync(join(fleet.dataDir, "server", "pki", CA_KEY_FILE))).toBe(false);
    expect(existsSync(join(fleet.dataDir, "server-b", "pki", CA_KEY_FILE))).toBe(false);
    // the public certificate is kept where clients found it before (curl --cacert)
    expect(readFileSync(join(fleet.dataDir, "server-b", "pki", CA_CERT_FILE), "utf8")).toBe(fromA.body.pem);
    const stored = JSON.parse((await redis.get(`${PREFIX}:pki:ca`))!);
    expect(stored.certificate).toBe(fromA.body.pem);
    expect(stored.sealedKey.alg).toBe("aes-256-gcm");
    expect(JSON.stringify(stored)).not.toContain("PRIVATE KEY");
  });

  it("an agent enrolled through A registers with B and B applies a weight change to it (A stopped)", async () => {
    // lb-master enrolled through A (startDemoFleet); it now starts against B with its certificate from A
    const master = fleet.agents.get("lb-master")!;
    await master.stop();
    const moved = await startAgentProcess({
      root: ROOT,
      agent: { host: "lb-master", role: "director", address: "192.168.1.252/24" },
      serverUrl: b.baseUrl,
      stateDir: join(fleet.dataDir, "agents", "lb-master"),
      logFile: join(fleet.dataDir, "logs", "lb-master-b.log"),
      listen: master.ready.endpoint,
    });
    fleet.agents.set("lb-master", moved);
    // a new host: its join token and CA pin from A, its enrollment and registration through B
    const ticket = await fleet.api.post("/v1/pki/join-tokens", { host: "web3", role: "real-server" });
    expect(ticket.status).toBe(201);
    const web3 = await startAgentProcess({
      root: ROOT,
      agent: { host: "web3", role: "real-server", address: "192.168.1.233/24" },
      serverUrl: b.baseUrl,
      stateDir: join(work, "web3"),
      logFile: join(fleet.dataDir, "logs", "web3.log"),
      extraArgs: ["--ca-pin", ticket.body.caPin],
      env: { LVSFLEET_JOIN_TOKEN: ticket.body.token },
    });
    extra.push(web3);
    await fleet.server.stop();
    await until(async () => {
      const seen = await agents(b);
      return ["lb-master", "lb-backup", "web3"].every((h) => seen.find((a) => a.host === h)?.reachable);
    });
    const change = await b.patch(RS1, { weight: 6 });
    expect(change.status).toBe(202);
    const job = await b.waitForJob(change.body.job.id);
    expect(job.state, JSON.stringify(job.error)).toBe("completed");
    expect(job.result.hosts.map((h: any) => h.host).sort()).toEqual(["lb-backup", "lb-master"]);
    const viaB = { ...fleet, api: b };
    expect(await directorWeights(viaB, "lb-master")).toEqual({ "192.168.1.220:80": 6, "192.168.1.231:80": 1 });
  });

  it("A started again loads the fleet's CA from Redis and calls the agents B enrolled", async () => {
    await fleet.restartServer();
    const fromA = await fleet.api.get("/v1/pki/ca");
    expect(fromA.body).toEqual((await b.get("/v1/pki/ca")).body);
    await until(async () => {
      const seen = await agents(fleet.api);
      return ["lb-master", "web3"].every((h) => seen.find((a) => a.host === h)?.reachable);
    });
    expect(await directorWeights(fleet, "lb-master")).toEqual({ "192.168.1.220:80": 6, "192.168.1.231:80": 1 });
  });

  it("a host revoked on B is refused by A at once: no call, no registration", async () => {
    const web2 = () =>
      fleet.api.get("/v1/clusters/web/status").then((r) => r.body.hosts.find((h: any) => h.host === "web2"));
    await until(async () => (await web2())?.roleState === "running");
    const revoke = await b.post("/v1/pki/revocations", { host: "web2", reason: "stolen disk" });
    expect(revoke.status).toBe(200);
    const revokedAt = Date.now();
    await until(async () => /revoked/.test((await web2()).error ?? ""), 2_000);
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    const identity = await loadIdentity(join(fleet.dataDir, "agents", "web2", "tls"), "agent");
    const request = signRegistration(identity!.keyPem, identity!.certPem, {
      host: "web2",
      endpoint: fleet.agents.get("web2")!.ready.endpoint,
      role: "real-server",
      driver: "sim",
    });
    const register = await fetch(`${fleet.url}/v1/pki/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    expect(register.status).toBe(403);
    expect(((await register.json()) as any).error.message).toMatch(/web2 was revoked/);
    expect((await agents(fleet.api)).find((a) => a.host === "web2").reachable).toBe(false);
  });
});

describe("a server that would split the trust root does not start", () => {
  const server = join(ROOT, PROGRAM_FILES.server);

  it("another CA's files: exit 1 naming both fingerprints; the fleet's CA is unchanged", async () => {
    const before = await redis.get(`${PREFIX}:pki:ca`);
    const fleetPem = (await b.get("/v1/pki/ca")).body.pem;
    const foreign = await loadOrCreateCa(join(work, "foreign-ca"));
    const refused = await run(
      server,
      serverEnv(join(work, "server-c"), {
        LVSFLEET_CA_ENCRYPTION_KEY: KEY,
        LVSFLEET_CA_CERT: foreign.certFile,
        LVSFLEET_CA_KEY: foreign.keyFile,
      }),
    );
    expect(refused.code).toBe(1);
    expect(refused.stdout).not.toContain('"ready"');
    expect(refused.stderr).toContain(
      `lvsfleet-server: cannot start: fleet CA: this server's CA from LVSFLEET_CA_CERT (${foreign.certFile}) (${fingerprint(foreign.ca.pem)}) is not the CA the servers sharing this Redis already use (${fingerprint(fleetPem)})`,
    );
    expect(await redis.get(`${PREFIX}:pki:ca`)).toBe(before);
    expect((await b.get("/v1/pki/ca")).body.pem).toBe(fleetPem);
  });

  it("a key that cannot open the fleet's CA: exit 1 saying so, the key not printed", async () => {
    const wrong = randomBytes(32).toString("base64");
    const refused = await run(server, serverEnv(join(work, "server-d"), { LVSFLEET_CA_ENCRYPTION_KEY: wrong }));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /lvsfleet-server: cannot start: LVSFLEET_CA_ENCRYPTION_KEY: cannot decrypt the fleet's CA key kept in Redis/,
    );
    expect(refused.stdout + refused.stderr).not.toContain(wrong);
    expect(refused.stdout + refused.stderr).not.toContain(KEY);
    expect(existsSync(join(work, "server-d", "pki", CA_KEY_FILE))).toBe(false);
  });

  it("no key and no CA files: exit 1 telling what to set; a malformed key: exit 2 naming the variable", async () => {
    const bare = await run(server, serverEnv(join(work, "server-e")));
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(
      /already use a CA \(SHA256 [0-9A-F:]+\) and this server has none: set LVSFLEET_CA_ENCRYPTION_KEY/,
    );
    expect(existsSync(join(work, "server-e", "pki", CA_KEY_FILE))).toBe(false);
    const malformed = await run(server, serverEnv(join(work, "server-f"), { LVSFLEET_CA_ENCRYPTION_KEY: "c2hvcnQ=" }));
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("lvsfleet-server: bad configuration");
    expect(malformed.stderr).toMatch(/LVSFLEET_CA_ENCRYPTION_KEY: must be 32 random bytes in base64/);
    expect(malformed.stderr).not.toContain("c2hvcnQ=");
  });

  it("Redis lost the CA record: a server that used the fleet's CA refuses to start a new one; the record is put back by an operator", async () => {
    const before = (await redis.get(`${PREFIX}:pki:ca`))!;
    const fleetPem = (await b.get("/v1/pki/ca")).body.pem;
    await redis.del(`${PREFIX}:pki:ca`); // a flush, or a restore from an older backup
    try {
      // server B's data directory holds the copy of the fleet's certificate (never its key)
      const refused = await run(
        server,
        serverEnv(join(fleet.dataDir, "server-b"), {
          LVSFLEET_CA_ENCRYPTION_KEY: KEY,
          LVSFLEET_REPLICA_ID: "server-b-again",
        }),
      );
      expect(refused.code).toBe(1);
      expect(refused.stdout).not.toContain('"ready"');
      expect(refused.stderr).toContain(
        `${PREFIX}:pki:ca is missing from Redis, but this server used the fleet's CA before (${fingerprint(fleetPem)}`,
      );
      expect(await redis.exists(`${PREFIX}:pki:ca`)).toBe(0);
    } finally {
      await redis.set(`${PREFIX}:pki:ca`, before);
    }
  });
});
