import { execFile, spawn } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import {
  type AgentSpec,
  freePort,
  PROGRAM_FILES,
  type ProgramHandle,
  repoRoot,
  startAgentProcess,
  startServerProcess,
} from "@lvsfleet/devfleet";
import { generateSigningKey, loadOrCreateCa, privateKeyToPem } from "@lvsfleet/pki";
import { ApiConnectionError, requestApi } from "@lvsfleet/rpc/https";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

/**
 * HTTPS on the API, end to end: the real server from dist with LVSFLEET_TLS=ca, agents from dist
 * enrolling and registering over https with nothing but the CA pin and a join token, lvsctl from
 * dist, and an agent refusing plain http to a host that is not loopback.
 */
const ROOT = repoRoot();
const LVSCTL = join(ROOT, "packages/cli/dist/lvsctl.js");

let work: string;
let server: ProgramHandle<{ port: number }>;
let base: string;
let caFile: string;
let caPem: string;
let pin: string;
const token = randomBytes(18).toString("base64url");
const agents: ProgramHandle<unknown>[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "lvsfleet-api-tls-"));
  server = await startServerProcess({
    root: ROOT,
    env: {
      ...process.env,
      PORT: "0",
      REDIS_URL: inject("redisUrl"),
      LVSFLEET_API_TOKEN: token,
      LVSFLEET_DATA_DIR: join(work, "server"),
      LVSFLEET_PREFIX: `e2e-tls-${randomBytes(4).toString("hex")}`,
      LVSFLEET_TLS: "ca",
      LVSFLEET_TLS_NAMES: "127.0.0.1,localhost",
      LVSFLEET_HEARTBEAT_MS: "300",
      LVSFLEET_AGENT_DEADLINE_MS: "1500",
    },
    logFile: join(work, "logs", "server.log"),
  });
  base = `https://127.0.0.1:${server.ready.port}`;
  caFile = join(work, "server", "pki", "ca.crt");
  caPem = readFileSync(caFile, "utf8");
  pin = ((await api("GET", "/v1/pki/ca")).body as { pin: string }).pin;
});
afterAll(async () => {
  for (const agent of agents) await agent.stop();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A REST call over https trusting the lvsfleet CA, as the admin. */
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const answer = await requestApi(new URL(path, base), {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    timeoutMs: 10_000,
    trust: { roots: "public", caPem },
  });
  return { status: answer.status, body: answer.text ? JSON.parse(answer.text) : undefined };
}

async function agentView(host: string): Promise<any> {
  return (await api("GET", "/v1/agents")).body.agents.find((a: { host: string }) => a.host === host);
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts an agent from dist against the https server (first start: pin and join token only). */
async function startAgent(
  agent: AgentSpec,
  enrollment?: { caPin: string; joinToken: string },
  more: { serverUrl?: string; args?: string[]; env?: Record<string, string>; name?: string } = {},
): Promise<ProgramHandle<{ endpoint: string; host: string }>> {
  const name = more.name ?? agent.host;
  const handle = await startAgentProcess({
    root: ROOT,
    agent,
    serverUrl: more.serverUrl ?? base,
    stateDir: join(work, "agents", name),
    logFile: join(work, "logs", `${name}.log`),
    extraArgs: [...(enrollment ? ["--ca-pin", enrollment.caPin] : []), ...(more.args ?? [])],
    env: { ...(enrollment ? { LVSFLEET_JOIN_TOKEN: enrollment.joinToken } : {}), ...more.env },
  });
  agents.push(handle);
  return handle;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, nodeFlags: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...nodeFlags, file, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const lvsctl = (args: string[], env: Record<string, string> = {}) =>
  run(LVSCTL, args, { PATH: process.env.PATH, HOME: work, LVSFLEET_URL: base, LVSFLEET_TOKEN: token, ...env });

describe("the server serves its API over HTTPS with a certificate from the lvsfleet CA", () => {
  it("REST, /metrics and /docs answer over https to a client that trusts the CA", async () => {
    expect(await api("GET", "/v1/health")).toMatchObject({ status: 200, body: { status: "ok" } });
    expect((await api("GET", "/v1/clusters")).status).toBe(200);
    const metrics = await requestApi(new URL("/metrics", base), {
      method: "GET",
      headers: { authorization: `Bearer ${token}` },
      timeoutMs: 10_000,
      trust: { roots: "public", caPem },
    });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain("# TYPE");
    const docs = await requestApi(new URL("/docs", base), {
      method: "GET",
      timeoutMs: 10_000,
      trust: { roots: "public", caPem },
    });
    expect(docs.status).toBe(200);
  });

  it("presents the server's certificate for the names listed, which a client without the CA does not trust", async () => {
    const cert = await new Promise<X509Certificate>((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port: server.ready.port, servername: "localhost", ca: caPem }, () => {
        resolve(new X509Certificate(socket.getPeerCertificate().raw));
        socket.destroy();
      });
      socket.once("error", reject);
    });
    expect(cert.subjectAltName).toContain("DNS:localhost");
    expect(cert.subjectAltName).toContain("IP Address:127.0.0.1");
    expect(cert.subjectAltName).toContain("URI:spiffe://lvsfleet/server");
    expect(cert.checkIssued(new X509Certificate(caPem))).toBe(true);
    expect(cert.checkHost("lvsfleet.elsewhere.example")).toBeUndefined();
    // Node's default roots alone do not know the lvsfleet CA.
    const untrusted = await requestApi(new URL("/v1/health", base), { method: "GET", timeoutMs: 10_000 }).catch(
      (e: ApiConnectionError) => e,
    );
    expect(untrusted).toBeInstanceOf(ApiConnectionError);
    expect((untrusted as ApiConnectionError).message).toMatch(/certificate is not trusted/);
  });

  it("plain http to the HTTPS port gets no answer", async () => {
    const plain = `http://127.0.0.1:${server.ready.port}/v1/health`;
    await expect(fetch(plain, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
    const error = await requestApi(new URL(plain), { method: "GET", timeoutMs: 5_000 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(ApiConnectionError);
    expect((error as Error).message).toMatch(/use https:\/\//);
  });
});

describe("a server whose HTTPS settings cannot work does not start", () => {
  it("exits 2 naming the setting and the reason (a missing file, no names for the CA)", async () => {
    const server = join(ROOT, PROGRAM_FILES.server);
    const env = { PATH: process.env.PATH, LVSFLEET_API_TOKEN: token, LVSFLEET_DATA_DIR: join(work, "bad") };
    const missing = await run(server, [], {
      ...env,
      LVSFLEET_TLS_CERT: join(work, "no-such.crt"),
      LVSFLEET_TLS_KEY: join(work, "no-such.key"),
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("lvsfleet-server: bad configuration");
    expect(missing.stderr).toMatch(/LVSFLEET_TLS_CERT: .*no-such\.crt: no such file/);
    const nameless = await run(server, [], { ...env, LVSFLEET_TLS: "ca" });
    expect(nameless.code).toBe(2);
    expect(nameless.stderr).toMatch(/LVSFLEET_TLS_NAMES: is required with LVSFLEET_TLS=ca/);
    expect(missing.stdout + nameless.stdout).not.toContain('"ready"');
  });
});

describe("agents over https", () => {
  const web7: AgentSpec = { host: "web7", role: "real-server", address: "198.18.0.7/24" };

  it("an agent from dist enrolls and registers over https with only the CA pin and a join token, and is reachable", async () => {
    const ticket = (await api("POST", "/v1/pki/join-tokens", { host: "web7", role: "real-server" })).body;
    expect(ticket.caPin).toBe(pin);
    const agent = await startAgent(web7, { caPin: ticket.caPin, joinToken: ticket.token });
    const view = await eventually(async () => {
      const v = await agentView("web7");
      return v?.reachable ? v : undefined;
    });
    expect(view.endpoint).toBe(agent.ready.endpoint);
    // It keeps the CA it pinned: only that certificate.
    const stored = readFileSync(join(work, "agents", "web7", "tls", "ca.crt"), "utf8");
    expect(new X509Certificate(stored).fingerprint256).toBe(new X509Certificate(caPem).fingerprint256);

    // Restarted on another port without pin or token: it registers again over https, trusting the stored CA.
    await agent.stop();
    const again = await startAgentProcess({
      root: ROOT,
      agent: web7,
      serverUrl: base,
      stateDir: join(work, "agents", "web7"),
      logFile: join(work, "logs", "web7.log"),
      listen: `127.0.0.1:${await freePort()}`,
    });
    agents.push(again);
    await eventually(async () => {
      const v = await agentView("web7");
      return v?.reachable && v.endpoint === again.ready.endpoint ? v : undefined;
    });
  });

  it("an agent given another CA's pin refuses the server before it sends its join token", async () => {
    const { ca: otherCa } = await loadOrCreateCa(join(work, "other-ca"));
    const ticket = (await api("POST", "/v1/pki/join-tokens", { host: "web8", role: "real-server" })).body;
    const web8: AgentSpec = { host: "web8", role: "real-server", address: "198.18.0.8/24" };
    await expect(startAgent(web8, { caPin: otherCa.pin, joinToken: ticket.token })).rejects.toThrow(
      /exited \(1\) before it was ready/,
    );
    const log = readFileSync(join(work, "logs", "web8.log"), "utf8");
    expect(log).toMatch(/holds no CA certificate with the pin sha256:[0-9a-f]{64}/);
    expect(log).not.toContain(ticket.token);
    expect(existsSync(join(work, "agents", "web8", "tls", "agent.pem"))).toBe(false);
    // The token was never sent: it is still outstanding, and the right pin enrolls with it.
    const outstanding = (await api("GET", "/v1/pki/join-tokens")).body;
    expect(JSON.stringify(outstanding)).toContain(ticket.id);
    await startAgent(web8, { caPin: ticket.caPin, joinToken: ticket.token });
    await eventually(async () => ((await agentView("web8"))?.reachable ? true : undefined));
  });
});

/** What an impostor of the server saw: every request, with its headers and body. */
interface Seen {
  method: string;
  path: string;
  headers: string;
  body: string;
}

/**
 * An impostor of the lvsfleet server on 127.0.0.1 with a certificate for that address from ANOTHER CA
 * (as a public CA would issue one to whoever controls the name). It hands out the real server's CA
 * (public: anyone can GET it), so an agent's pin check passes, and records everything it receives.
 */
async function startImpostor(): Promise<{ base: string; caPem: string; seen: Seen[]; close(): Promise<void> }> {
  const { ca: impostorCa } = await loadOrCreateCa(join(work, "impostor-ca"));
  const key = await generateSigningKey();
  const cert = await impostorCa.issueServerCertificate({
    publicKey: key.keys.publicKey,
    ipAddresses: ["127.0.0.1"],
    dnsNames: ["localhost"],
    now: new Date(),
  });
  const seen: Seen[] = [];
  const genuine = JSON.stringify({ pem: caPem, pin });
  const server: Server = createServer(
    { key: await privateKeyToPem(key.keys.privateKey), cert: cert.pem },
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (c: Buffer) => chunks.push(c));
      request.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const headers = JSON.stringify(request.headers);
        seen.push({ method: request.method ?? "", path: request.url ?? "", headers, body });
        response.setHeader("content-type", "application/json");
        if (request.url === "/v1/pki/ca") response.end(genuine);
        else {
          response.statusCode = 503;
          response.end(JSON.stringify({ error: { message: "the impostor keeps what it got" } }));
        }
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caPem: impostorCa.pem,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * NODE_OPTIONS for an agent whose Node counts `pem` among its public roots (tls.rootCertificates,
 * Mozilla's list bundled with Node): as if a public CA had issued the impostor's certificate. An ESM
 * resolve hook (module.register) gives the agent's `node:tls` imports a module whose rootCertificates
 * end with `pem`; the enrollment child inherits it through the environment.
 */
function publicRootsWith(pem: string): Record<string, string> {
  const dir = join(work, "public-roots");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "tls.mjs"),
    `import tls from "node:tls";
export * from "node:tls";
export const rootCertificates = Object.freeze([...tls.rootCertificates, ${JSON.stringify(pem)}]);
export default tls;
`,
  );
  writeFileSync(
    join(dir, "hooks.mjs"),
    `const fake = new URL("./tls.mjs", import.meta.url).href;
export async function resolve(specifier, context, next) {
  if ((specifier === "node:tls" || specifier === "tls") && context.parentURL !== fake) return { url: fake, shortCircuit: true };
  return next(specifier, context);
}
`,
  );
  writeFileSync(
    join(dir, "register.mjs"),
    `import { register } from "node:module";\nregister("./hooks.mjs", import.meta.url);\n`,
  );
  return { NODE_OPTIONS: `--import=${join(dir, "register.mjs")}` };
}

describe("an agent trusts only the lvsfleet CA it pinned, not Node's public roots, unless its operator opts in", () => {
  let impostor: Awaited<ReturnType<typeof startImpostor>>;
  beforeAll(async () => {
    impostor = await startImpostor();
  });
  afterAll(async () => {
    await impostor?.close();
  });
  const sent = (path: string) => impostor.seen.filter((r) => r.path === path);

  it("first enrollment: an impostor with a publicly trusted certificate for the server's address never gets the join token", async () => {
    const ticket = (await api("POST", "/v1/pki/join-tokens", { host: "web11", role: "real-server" })).body;
    const web11: AgentSpec = { host: "web11", role: "real-server", address: "198.18.0.11/24" };
    await expect(
      startAgent(
        web11,
        { caPin: ticket.caPin, joinToken: ticket.token },
        { serverUrl: impostor.base, env: publicRootsWith(impostor.caPem) },
      ),
    ).rejects.toThrow(/exited \(1\) before it was ready/);
    const log = readFileSync(join(work, "logs", "web11.log"), "utf8");
    expect(log).toMatch(/enroll failed: .*the server's HTTPS certificate is not trusted/);
    expect(log).toMatch(
      /only the pinned lvsfleet CA and the CAs in NODE_EXTRA_CA_CERTS are trusted here, not public roots/,
    );
    // The impostor saw the unverified first contact (reading the public CA), and nothing else.
    expect(impostor.seen.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /v1/pki/ca"]);
    expect(JSON.stringify(impostor.seen)).not.toContain(ticket.token);
    expect(existsSync(join(work, "agents", "web11", "tls", "agent.pem"))).toBe(false);
    expect(JSON.stringify((await api("GET", "/v1/pki/join-tokens")).body)).toContain(ticket.id);
  });

  it("with --server-ca-roots public the same agent trusts the impostor and sends it the token (what the default prevents)", async () => {
    const ticket = (await api("POST", "/v1/pki/join-tokens", { host: "web12", role: "real-server" })).body;
    const web12: AgentSpec = { host: "web12", role: "real-server", address: "198.18.0.12/24" };
    await expect(
      startAgent(
        web12,
        { caPin: ticket.caPin, joinToken: ticket.token },
        { serverUrl: impostor.base, args: ["--server-ca-roots", "public"], env: publicRootsWith(impostor.caPem) },
      ),
    ).rejects.toThrow(/exited \(1\) before it was ready/);
    expect(readFileSync(join(work, "logs", "web12.log"), "utf8")).toMatch(
      /\/v1\/pki\/enroll: HTTP 503: the impostor keeps what it got/,
    );
    expect(sent("/v1/pki/enroll").filter((r) => r.body.includes(ticket.token))).toHaveLength(1);
  });

  it("an enrolled agent does not register with the impostor (stored CA), unless it opts into public roots", async () => {
    // web7's identity (enrolled above), copied: the same stored CA, in two more processes.
    const web7: AgentSpec = { host: "web7", role: "real-server", address: "198.18.0.7/24" };
    const started: Record<string, ProgramHandle<{ endpoint: string }>> = {};
    for (const [name, args] of [
      ["web7-pinned", []],
      ["web7-public", ["--server-ca-roots", "public"]],
    ] as const) {
      cpSync(join(work, "agents", "web7"), join(work, "agents", name), { recursive: true });
      started[name] = await startAgent(web7, undefined, {
        name,
        serverUrl: impostor.base,
        args: [...args],
        env: publicRootsWith(impostor.caPem),
      });
    }
    const endpoint = (name: string) => started[name]?.ready.endpoint as string;
    const registeredWith = (name: string) => sent("/v1/pki/register").filter((r) => r.body.includes(endpoint(name)));
    await eventually(async () => (registeredWith("web7-public").length > 0 ? true : undefined));
    const pinnedLog = () => readFileSync(join(work, "logs", "web7-pinned.log"), "utf8");
    await eventually(async () => (pinnedLog().includes("registration failed; retrying") ? true : undefined));
    expect(pinnedLog()).toMatch(/the server's HTTPS certificate is not trusted .*not public roots/);
    expect(registeredWith("web7-pinned")).toEqual([]);
  });
});

describe("lvsctl over https", () => {
  it("works with the CA from --ca-file, LVSFLEET_CA_FILE or NODE_EXTRA_CA_CERTS, and says what to do without it", async () => {
    await eventually(async () => ((await agentView("web7"))?.reachable ? true : undefined));
    for (const [args, env] of [
      [["agents", "--ca-file", caFile], {}],
      [["agents"], { LVSFLEET_CA_FILE: caFile }],
      [["agents"], { NODE_EXTRA_CA_CERTS: caFile }],
    ] as const) {
      const result = await lvsctl([...args], env);
      expect(result.stderr, JSON.stringify(env)).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/web7/);
    }
    const config = await lvsctl(["config"], { LVSFLEET_CA_FILE: caFile });
    expect(config.stdout).toContain(`ca file  ${caFile} (from LVSFLEET_CA_FILE)`);

    const untrusted = await lvsctl(["agents"]);
    expect(untrusted.code).toBe(3);
    expect(untrusted.stderr).toMatch(
      /cannot reach the lvsfleet server at https:\/\/127\.0\.0\.1:\d+: the server's HTTPS certificate is not trusted/,
    );
    expect(untrusted.stderr).toMatch(/--ca-file, LVSFLEET_CA_FILE/);
    const missing = await lvsctl(["agents", "--ca-file", join(work, "nope.crt")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the CA file .*nope\.crt \(from --ca-file\)/);
  });
});

describe("an agent refuses plain http to a server that is not on loopback", () => {
  /** Preloaded into the agent: reports every outgoing connection and every listening socket on stderr. */
  const probe = () => {
    const file = join(work, "socket-probe.cjs");
    writeFileSync(
      file,
      `const net = require("node:net");
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) { process.stderr.write("SOCKET-CONNECT\\n"); return connect.apply(this, args); };
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) { process.stderr.write("SOCKET-LISTEN\\n"); return listen.apply(this, args); };
`,
    );
    return ["--require", file];
  };
  const agentArgs = (host: string, server: string, extra: string[] = []) => [
    "--host",
    host,
    "--address",
    "198.18.0.9/24",
    "--state-dir",
    join(work, "agents", host),
    "--server",
    server,
    ...extra,
  ];

  it("--server http://198.18.0.1:8080 exits 2 with the reason, before opening any socket", async () => {
    const started = Date.now();
    const result = await run(
      join(ROOT, PROGRAM_FILES["real-server"]),
      // Everything a first start needs (pin, token): only the URL rule stands between it and enrolling.
      agentArgs("web9", "http://198.18.0.1:8080", ["--ca-pin", `sha256:${"0".repeat(64)}`]),
      { PATH: process.env.PATH, LVSFLEET_JOIN_TOKEN: "lvsj_not-a-real-token" },
      probe(),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /--server: http:\/\/198\.18\.0\.1:8080 is plain HTTP to a host that is not this one \(loopback\): the join token and the registration would cross the network unencrypted/,
    );
    expect(result.stderr).toMatch(/Use https:\/\/ .*or start the agent with --insecure in a lab/);
    expect(result.stderr).not.toMatch(/SOCKET-(CONNECT|LISTEN)/);
    expect(result.stdout).not.toContain('"ready"');
    expect(existsSync(join(work, "agents", "web9"))).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("the probe sees the sockets of an agent that does start (http on loopback, --insecure)", async () => {
    // For contrast, so the test above can fail: nothing listens on this loopback port.
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        ...probe(),
        join(ROOT, PROGRAM_FILES["real-server"]),
        ...agentArgs("web10", `http://127.0.0.1:${port}`, ["--insecure"]),
      ],
      { env: { PATH: process.env.PATH }, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no sockets seen: ${stderr}`)), 15_000);
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes("SOCKET-LISTEN") && stderr.includes("SOCKET-CONNECT")) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    } finally {
      child.kill("SIGKILL");
    }
    expect(stderr).toMatch(/SOCKET-LISTEN/);
  });
});
