import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import {
  type CertificateAuthority,
  createEnrollmentRequest,
  EnrollmentService,
  ensureServerIdentity,
  loadCaFiles,
  loadOrCreateCa,
  MemoryPkiStore,
} from "@lvsfleet/pki";
import type { TlsMaterial } from "@lvsfleet/pki/light";
import { type AgentApi, AgentClient, type RunningAgentServer, serveAgent } from "@lvsfleet/rpc";
import { agentChannelOptions, agentServerCredentials, TlsIdentitySource } from "@lvsfleet/rpc/tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoFleet } from "./fleet.ts";

let fleet: Awaited<ReturnType<typeof startDemoFleet>>;
let scratch: string;
const servers: RunningAgentServer[] = [];

beforeAll(async () => {
  fleet = await startDemoFleet();
  scratch = mkdtempSync(join(tmpdir(), "lvsfleet-tls-"));
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await fleet?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

/** A certificate for an agent host issued by `ca`, valid from `now` for `lifetimeMs`. */
async function agentMaterial(
  ca: CertificateAuthority,
  host: string,
  options: { now?: Date; lifetimeMs?: number } = {},
): Promise<TlsMaterial> {
  const service = new EnrollmentService({
    ca,
    store: new MemoryPkiStore(),
    ...(options.now ? { now: () => options.now! } : {}),
    ...(options.lifetimeMs ? { certificateLifetimeMs: options.lifetimeMs } : {}),
  });
  const ticket = await service.createJoinToken({ host, role: "director" });
  const { keyPem, request } = await createEnrollmentRequest({ host, role: "director", token: ticket.token });
  const response = await service.enroll(request);
  return { keyPem, certPem: response.certificate, caPem: response.caCertificate };
}

/** The fleet's own CA (the test plays an operator with access to the server's data directory). */
async function fleetCa(): Promise<CertificateAuthority> {
  const dir = join(fleet.dataDir, "server", "pki");
  return (await loadCaFiles(join(dir, "ca.crt"), join(dir, "ca.key"))).ca;
}

/** A fake agent answering GetInfo/Health with the given TLS identity. */
async function fakeAgent(host: string, material: TlsMaterial): Promise<string> {
  const handlers = {
    getInfo: async () => ({ host, role: "director" as const, driver: "fake", version: "0", startedAt: Date.now() }),
    // Heartbeats, so that the server can tell whether it reached this agent.
    watchEvents: ({ heartbeatIntervalMs: intervalMs }: { heartbeatIntervalMs: number }, emit: (e: unknown) => void) => {
      const beat = () =>
        emit({
          type: "heartbeat",
          time: Date.now(),
          host,
          roleState: "stopped",
          generation: 0,
          services: 0,
          destinations: 0,
          activeConns: 0,
          inactConns: 0,
        });
      beat();
      const timer = setInterval(beat, intervalMs);
      return { cancel: () => clearInterval(timer) };
    },
  } as unknown as AgentApi;
  const server = await serveAgent(handlers, {
    listen: "127.0.0.1:0",
    credentials: agentServerCredentials(new TlsIdentitySource(material)),
  });
  servers.push(server);
  return `127.0.0.1:${server.port}`;
}

async function agentStatus(host: string): Promise<any> {
  return (await fleet.api.get("/v1/agents")).body.agents.find((a: any) => a.host === host);
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("agents only talk to the server, over mutual TLS", () => {
  it("a plaintext client cannot reach an agent", async () => {
    const endpoint = fleet.agents.get("lb-master")!.ready.endpoint;
    const client = new AgentClient({ host: "lb-master", endpoint, deadlineMs: 2_000 });
    await expect(client.getInfo()).rejects.toThrow(/unreachable|UNAVAILABLE|deadline/);
    client.close();
  });

  it("a server impostor with a certificate from another CA is refused in the handshake", async () => {
    const { ca: otherCa } = await loadOrCreateCa(join(scratch, "other-ca"));
    const { material } = await ensureServerIdentity({ dir: join(scratch, "other-ca"), ca: otherCa });
    const endpoint = fleet.agents.get("lb-master")!.ready.endpoint;
    const source = new TlsIdentitySource(material);
    const client = new AgentClient({
      host: "lb-master",
      endpoint,
      deadlineMs: 2_000,
      credentials: grpc.experimental.createCertificateProviderChannelCredentials(source, source, {
        checkServerIdentity: () => undefined,
      }),
      channelOptions: agentChannelOptions("lb-master"),
    });
    await expect(client.getInfo()).rejects.toThrow();
    client.close();
  });

  it("another agent's certificate cannot command an agent (agent certificates are not client certificates)", async () => {
    const web1 = readFileSync(join(fleet.dataDir, "agents", "web1", "tls", "agent.pem"), "utf8");
    const caPem = readFileSync(join(fleet.dataDir, "agents", "web1", "tls", "ca.crt"), "utf8");
    const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(web1)![0];
    const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(web1)![0];
    const source = new TlsIdentitySource({ keyPem, certPem, caPem });
    const client = new AgentClient({
      host: "lb-master",
      endpoint: fleet.agents.get("lb-master")!.ready.endpoint,
      deadlineMs: 2_000,
      credentials: grpc.experimental.createCertificateProviderChannelCredentials(source, source, {
        checkServerIdentity: () => undefined,
      }),
      channelOptions: agentChannelOptions("lb-master"),
    });
    const error = await client.getInfo().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/Failed to connect|ECONNRESET|may not call an agent|PERMISSION_DENIED/);
    // lb-master itself is up: the server still reaches it.
    expect((await agentStatus("lb-master")).reachable).toBe(true);
    client.close();
  });

  it("the server refuses an agent with a certificate from another CA, and an expired one", async () => {
    const { ca: otherCa } = await loadOrCreateCa(join(scratch, "rogue-ca"));
    const rogue = await fakeAgent("rogue1", await agentMaterial(otherCa, "rogue1"));
    const day = 86_400_000;
    const expired = await fakeAgent(
      "stale1",
      await agentMaterial(await fleetCa(), "stale1", { now: new Date(Date.now() - 3 * day), lifetimeMs: day }),
    );
    for (const [host, endpoint] of [
      ["rogue1", rogue],
      ["stale1", expired],
    ] as const) {
      expect((await fleet.api.put(`/v1/agents/${host}`, { endpoint, role: "director", driver: "fake" })).status).toBe(
        200,
      );
      // The supervisor dials it: the handshake fails, so it never becomes reachable.
      await new Promise((r) => setTimeout(r, 1_500));
      const status = await agentStatus(host);
      expect(status.reachable).toBe(false);
    }
    // For contrast: the same fake agent with a valid certificate from the fleet's CA is reachable.
    const good = await fakeAgent("good1", await agentMaterial(await fleetCa(), "good1"));
    await fleet.api.put("/v1/agents/good1", { endpoint: good, role: "director", driver: "fake" });
    await eventually(async () => ((await agentStatus("good1"))?.reachable ? true : undefined));
  });

  it("a revoked host is refused from then on, and jobs touching it fail with the reason", async () => {
    const revoke = await fleet.api.post("/v1/pki/revocations", { host: "web2", reason: "decommissioned" });
    expect(revoke.status).toBe(200);
    expect(revoke.body.serials.length).toBeGreaterThan(0);
    const status = await agentStatus("web2");
    expect(status.reachable).toBe(false);
    expect(status.lastError).toMatch(/revoked/);
    const start = await fleet.api.post("/v1/clusters/web/start", { host: "web2" });
    const job = await fleet.api.waitForJob(start.body.job.id, 60_000);
    expect(job.state).not.toBe("completed");
    // Registration with its (valid but revoked) certificate is refused too: restart the agent.
    await fleet.restartAgent("web2").catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await agentStatus("web2")).reachable).toBe(false);
    const log = readFileSync(join(fleet.dataDir, "logs", "web2.log"), "utf8");
    expect(log).toMatch(/revoked/);
  });

  it("join tokens are admin-only, single-use, and the CA endpoint is public", async () => {
    const ca = await fetch(`${fleet.url}/v1/pki/ca`).then((r) => r.json() as Promise<any>);
    expect(ca.pin).toMatch(/^sha256:[0-9a-f]{64}$/);
    const viewer = (await fleet.api.post("/v1/tokens", { name: "tls-viewer", role: "viewer" })).body.token;
    const denied = await fetch(`${fleet.url}/v1/pki/join-tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${viewer}`, "content-type": "application/json" },
      body: JSON.stringify({ host: "web9" }),
    });
    expect(denied.status).toBe(403);
    const ticket = (await fleet.api.post("/v1/pki/join-tokens", { host: "web9", role: "real-server" })).body;
    const { request } = await createEnrollmentRequest({ host: "web9", role: "real-server", token: ticket.token });
    const first = await fetch(`${fleet.url}/v1/pki/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    expect(first.status).toBe(200);
    const again = await fetch(`${fleet.url}/v1/pki/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    expect(again.status).toBe(401);
    expect(((await again.json()) as any).error).toMatchObject({
      field: "token",
      message: expect.stringMatching(/already used/),
    });
  });
});
