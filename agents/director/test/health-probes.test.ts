import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttp, type Server } from "node:http";
import { createServer as createHttps } from "node:https";
import { type AddressInfo, createServer as createTcp } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type HealthCheck, ScriptsSection } from "@lvsfleet/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckLoop, type RoundResult } from "../src/health/check-loop.ts";
import { miscOutcome } from "../src/health/misc-probe.ts";
import type { CheckPolicy } from "../src/health/policy.ts";
import type { Prober } from "../src/health/probe.ts";
import { ProbeGuard } from "../src/health/probe-guard.ts";
import { realProber } from "../src/health/probers.ts";
import { SimulatedHealth } from "../src/health/sim-probe.ts";
import { checkTiming } from "../src/health/timing.ts";
import { DirectorScripts } from "../src/scripts/allowlist.ts";

/** Real checkers against servers on 127.0.0.1 (nothing else is ever dialled). */

const run = promisify(execFile);
/** The director's own allowlist: the only programs a misc check can run. */
const scripts = new DirectorScripts(
  "/etc/lvsfleet/actions.json",
  ScriptsSection.parse({
    ok: { command: ["/bin/true"] },
    "exit-1": { command: ["/bin/sh", "-c", "exit 1"] },
    "exit-5": { command: ["/bin/sh", "-c", "exit 5"] },
    missing: { command: ["/nonexistent/check"] },
    slow: { command: ["/bin/sleep", "5"] },
    "slow-own-timeout": { command: ["/bin/sleep", "5"], timeoutSeconds: 1 },
  }),
);
const prober = realProber(new ProbeGuard(), scripts);
const policy = (check: HealthCheck, port: number, address = "127.0.0.1"): CheckPolicy => ({
  id: "t",
  check,
  timing: checkTiming(check, { delayLoop: 1 }),
  address,
  port,
});
const probe = (check: HealthCheck, port: number, timeoutMs = 500, address = "127.0.0.1") =>
  prober(
    policy(check, port, address),
    { service: "http", address, port },
    {
      timeoutMs,
      signal: new AbortController().signal,
    },
  );

const listen = (server: Server | ReturnType<typeof createTcp>) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );

let web: Server;
let webPort: number;
let tls: Server;
let tlsPort: number;
let closedPort: number;
let dir: string;
const PAGE = "hello from rs1\n";

beforeAll(async () => {
  web = createHttp((req, res) => {
    if (req.url === "/slow") return void setTimeout(() => res.end("late"), 2_000);
    if (req.url === "/host") return void res.end(req.headers.host ?? "");
    res.statusCode = req.url === "/missing" ? 404 : 200;
    res.end(PAGE);
  });
  webPort = await listen(web);
  dir = mkdtempSync(join(tmpdir(), "lvsfleet-probe-"));
  // biome-ignore format: one option per line
  await run("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=rs1",
    "-days", "1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ]);
  tls = createHttps(
    { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
    (req, res) => res.end(`tls ${req.url}`),
  );
  tlsPort = await listen(tls);
  const spare = createTcp();
  closedPort = await listen(spare);
  await new Promise((r) => spare.close(r));
});

afterAll(() => {
  web.close();
  tls.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("TCP_CHECK", () => {
  it("is up when the connection completes, down when it is refused", async () => {
    const ok = await probe({ type: "tcp" }, webPort);
    expect(ok.ok).toBe(true);
    expect(ok.detail).toMatch(/^connected in/);
    const refused = await probe({ type: "tcp" }, closedPort);
    expect(refused).toMatchObject({ ok: false, detail: "connect ECONNREFUSED" });
  });

  it("opens no socket outside the allowed networks", async () => {
    const refused = await probe({ type: "tcp" }, 80, 500, "192.168.1.220");
    expect(refused.ok).toBe(false);
    expect(refused.ms).toBe(0);
    expect(refused.detail).toContain("not probed: 192.168.1.220 is outside the networks");
    expect(new ProbeGuard().allows("198.19.3.4")).toBe(true);
    expect(new ProbeGuard().allows("198.20.0.1")).toBe(false);
    expect(ProbeGuard.fromEnv("10.0.0.0/8").allows("10.1.2.3")).toBe(true);
    expect(() => ProbeGuard.fromEnv("10.0.0.0/40")).toThrow(/LVSFLEET_PROBE_NETWORKS: "10.0.0.0\/40" is not a network/);
  });
});

describe("HTTP_GET and SSL_GET", () => {
  it("accepts the expected status codes and digest, refuses others", async () => {
    const digest = createHash("md5").update(PAGE).digest("hex");
    expect((await probe({ type: "http", urls: [{ path: "/", digest }] }, webPort)).ok).toBe(true);
    const wrongDigest = await probe({ type: "http", urls: [{ path: "/", digest: "0".repeat(32) }] }, webPort);
    expect(wrongDigest).toMatchObject({ ok: false, detail: `digest ${digest} of / is not ${"0".repeat(32)}` });
    expect(await probe({ type: "http", urls: [{ path: "/missing" }] }, webPort)).toMatchObject({
      ok: false,
      detail: "HTTP 404 from /missing",
    });
    expect((await probe({ type: "http", urls: [{ path: "/missing", statusCodes: ["404"] }] }, webPort)).ok).toBe(true);
    // every URL must pass
    expect((await probe({ type: "http", urls: [{ path: "/" }, { path: "/missing" }] }, webPort)).ok).toBe(false);
  });

  it("sends the virtualhost as the Host header", async () => {
    const digest = createHash("md5").update("www.example.test").digest("hex");
    const check: HealthCheck = { type: "http", virtualhost: "www.example.test", urls: [{ path: "/host", digest }] };
    expect((await probe(check, webPort)).ok).toBe(true);
  });

  it("cuts an attempt at the timeout", async () => {
    const started = performance.now();
    const slow = await probe({ type: "http", urls: [{ path: "/slow" }] }, webPort, 150);
    expect(slow).toMatchObject({ ok: false, detail: "/slow: no answer within 150 ms" });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("SSL_GET speaks TLS without verifying the certificate (as keepalived)", async () => {
    const digest = createHash("md5").update("tls /").digest("hex");
    expect((await probe({ type: "https", urls: [{ path: "/", digest }] }, tlsPort)).ok).toBe(true);
    expect((await probe({ type: "http", urls: [{ path: "/" }] }, tlsPort)).ok).toBe(false);
  });
});

describe("MISC_CHECK", () => {
  it("decides by the exit status of the allowlisted script; misc_dynamic turns 2-255 into a weight", async () => {
    expect(miscOutcome(0, false)).toEqual({ ok: true });
    expect(miscOutcome(3, false)).toEqual({ ok: false });
    expect(miscOutcome(1, true)).toEqual({ ok: false });
    expect(miscOutcome(7, true)).toEqual({ ok: true, weight: 5 });
    expect(await probe({ type: "misc", script: "ok" }, 0)).toMatchObject({ ok: true, detail: "ok: exit status 0" });
    expect(await probe({ type: "misc", script: "exit-1" }, 0)).toMatchObject({ ok: false });
    expect(await probe({ type: "misc", script: "exit-5", dynamic: true }, 0)).toMatchObject({
      ok: true,
      weight: 3,
      detail: "exit-5: exit status 5 (weight 3)",
    });
    expect((await probe({ type: "misc", script: "missing" }, 0)).detail).toBe(
      "missing: cannot run /nonexistent/check: ENOENT",
    );
  });

  it("runs nothing for a name the allowlist lacks, or when scripts are off, and fails the attempt", async () => {
    expect(await probe({ type: "misc", script: "check-web" }, 0)).toEqual({
      ok: false,
      detail:
        "not run: script check-web is not in this director's allowlist (/etc/lvsfleet/actions.json); it has: ok, exit-1, exit-5, missing, slow, slow-own-timeout",
      ms: 0,
    });
    const off = realProber(new ProbeGuard(), new DirectorScripts(undefined, undefined));
    const result = await off(
      policy({ type: "misc", script: "ok" }, 0),
      { service: "http", address: "127.0.0.1", port: 0 },
      {
        timeoutMs: 500,
        signal: new AbortController().signal,
      },
    );
    expect(result.detail).toMatch(/^not run: scripts are off on this director: start it with --actions-file FILE/);
  });

  it("kills a script that outlives the check's timeout, or its own timeoutSeconds, and fails the attempt", async () => {
    let started = performance.now();
    const result = await probe({ type: "misc", script: "slow" }, 0, 200);
    expect(result).toMatchObject({ ok: false, detail: "slow: still running after 200 ms: killed" });
    expect(performance.now() - started).toBeLessThan(1_000);
    started = performance.now();
    const own = await probe({ type: "misc", script: "slow-own-timeout" }, 0, 10_000);
    expect(own).toMatchObject({ ok: false, detail: "slow-own-timeout: still running after 1000 ms: killed" });
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("check loop", () => {
  const loopPolicy = (timing: Partial<CheckPolicy["timing"]>): CheckPolicy => ({
    ...policy({ type: "tcp" }, 1),
    timing: { ...checkTiming({ type: "tcp" }, {}), warmupMs: 0, ...timing },
  });

  it("retries a failed attempt while the server is up, delay_before_retry apart, and rounds never overlap", async () => {
    let attempts = 0;
    let inFlight = 0;
    let overlap = false;
    const flaky: Prober = async () => {
      inFlight++;
      if (inFlight > 1) overlap = true;
      attempts++;
      await new Promise((r) => setTimeout(r, 30));
      inFlight--;
      return { ok: attempts % 3 === 0, detail: `attempt ${attempts}`, ms: 30 };
    };
    const rounds: RoundResult[] = [];
    const loop = new CheckLoop(
      loopPolicy({ intervalMs: 40, timeoutMs: 40, retries: 2, retryDelayMs: 10 }),
      { service: "s", address: "127.0.0.1", port: 1 },
      flaky,
      () => true,
      (r) => rounds.push(r),
    );
    loop.start();
    await new Promise((r) => setTimeout(r, 400));
    loop.stop();
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    expect(rounds[0]).toMatchObject({ ok: true, attempts: 3, detail: "attempt 3" });
    expect(overlap).toBe(false);
  });

  it("does not retry while the server is down, and holds a prober that hangs to the timeout", async () => {
    const hang: Prober = () => new Promise(() => undefined);
    const rounds: RoundResult[] = [];
    const loop = new CheckLoop(
      loopPolicy({ intervalMs: 60, timeoutMs: 50, retries: 3, retryDelayMs: 1 }),
      { service: "s", address: "127.0.0.1", port: 1 },
      hang,
      () => false,
      (r) => rounds.push(r),
    );
    loop.start();
    await new Promise((r) => setTimeout(r, 500));
    loop.stop();
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    expect(rounds.every((r) => r.attempts === 1 && !r.ok && r.detail === "no result within 50 ms")).toBe(true);
  });
});

describe("simulated health (sim driver)", () => {
  it("fails and restores a real server per service or everywhere, without any socket", () => {
    const sim = new SimulatedHealth();
    const rs1 = { service: "http", address: "192.168.1.220", port: 80 };
    expect(sim.probe(rs1).ok).toBe(true);
    sim.set({ address: "192.168.1.220", port: 80, healthy: false });
    expect(sim.probe(rs1)).toMatchObject({ ok: false, detail: "simulated failure (SetSimulatedHealth)" });
    expect(sim.probe({ ...rs1, service: "https" }).ok).toBe(false);
    sim.set({ address: "192.168.1.220", port: 80, healthy: true });
    sim.set({ address: "192.168.1.220", port: 80, healthy: false, service: "https" });
    expect(sim.probe(rs1).ok).toBe(true);
    expect(sim.probe({ ...rs1, service: "https" }).ok).toBe(false);
    sim.set({ address: "192.168.1.220", port: 80, healthy: true });
    expect(sim.probe({ ...rs1, service: "https" }).ok).toBe(true);
  });
});
