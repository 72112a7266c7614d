import * as grpc from "@grpc/grpc-js";
import type { AgentEvent } from "@lvsfleet/model";
import {
  acceptCertificateResponse,
  CertificateAuthority,
  createCertificateRequest,
  createEnrollmentRequest,
  createRenewalRequest,
  EnrollmentService,
  generateSigningKey,
  inspectCertificate,
  MemoryPkiStore,
  privateKeyToPem,
  RevocationList,
  readCertificateRequest,
  type TlsMaterial,
} from "@lvsfleet/pki";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AgentApi,
  AgentCallError,
  AgentClient,
  GrpcStatus,
  RpcError,
  type RunningAgentServer,
  serveAgent,
} from "../src/index.ts";
import {
  agentChannelCredentials,
  agentChannelOptions,
  agentServerCredentials,
  type PeerInfo,
  TlsIdentitySource,
} from "../src/tls.ts";

const DAY = 86_400_000;

/** An agent that answers GetInfo and streams heartbeats; everything else is not needed here. */
function stubAgent(host: string): AgentApi {
  const unimplemented = async () => {
    throw new RpcError(grpc.status.UNIMPLEMENTED, "not in this test");
  };
  return {
    getInfo: async () => ({ host, role: "director", driver: "sim", version: "test", startedAt: 0 }),
    apply: unimplemented,
    getState: unimplemented,
    start: unimplemented,
    stop: unimplemented,
    setSimulatedTraffic: unimplemented,
    setSimulatedHealth: unimplemented,
    runAction: unimplemented,
    watchEvents({ heartbeatIntervalMs: intervalMs }, emit) {
      const timer = setInterval(() => {
        emit({
          type: "heartbeat",
          time: Date.now(),
          host,
          roleState: "running",
          generation: 1,
          services: 0,
          destinations: 0,
          activeConns: 0,
          inactConns: 0,
        });
      }, intervalMs);
      return { cancel: () => clearInterval(timer) };
    },
  };
}

let ca: CertificateAuthority;
let service: EnrollmentService;
let serverMaterial: TlsMaterial;
let foreignCa: CertificateAuthority;

async function serverIdentity(authority: CertificateAuthority, trust = ca.pem): Promise<TlsMaterial> {
  const key = await generateSigningKey();
  const issued = await authority.issueServerCertificate({ publicKey: key.keys.publicKey, now: new Date() });
  return { caPem: trust, certPem: issued.pem, keyPem: await privateKeyToPem(key.keys.privateKey) };
}

async function enroll(host: string, svc = service, authority = ca): Promise<TlsMaterial> {
  const ticket = await svc.createJoinToken({ host, role: "director" });
  const { keyPem, request } = await createEnrollmentRequest({ host, role: "director", token: ticket.token });
  const response = await svc.enroll(request);
  return (await acceptCertificateResponse({ host, keyPem, response, trust: { caPin: authority.pin } })).material;
}

beforeAll(async () => {
  ca = (await CertificateAuthority.create()).ca;
  service = new EnrollmentService({ ca, store: new MemoryPkiStore() });
  serverMaterial = await serverIdentity(ca);
  foreignCa = (await CertificateAuthority.create({ commonName: "someone else's CA" })).ca;
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startAgent(
  material: TlsMaterial,
  options: { authorize?: (peer: PeerInfo | undefined) => string | undefined; host?: string } = {},
): Promise<{ server: RunningAgentServer; source: TlsIdentitySource; endpoint: string }> {
  const source = new TlsIdentitySource(material);
  const server = await serveAgent(stubAgent(options.host ?? "lb-master"), {
    listen: "127.0.0.1:0",
    credentials: agentServerCredentials(source, options.authorize ? { authorize: options.authorize } : {}),
  });
  cleanups.push(() => server.close());
  return { server, source, endpoint: `127.0.0.1:${server.port}` };
}

function client(endpoint: string, credentials: grpc.ChannelCredentials, host = "lb-master"): AgentClient {
  const c = new AgentClient({
    host,
    endpoint,
    credentials,
    channelOptions: agentChannelOptions(host),
    deadlineMs: 3_000,
  });
  cleanups.push(() => c.close());
  return c;
}

function serverClient(
  endpoint: string,
  material = serverMaterial,
  expected: Parameters<typeof agentChannelCredentials>[1] = { host: "lb-master" },
) {
  return client(endpoint, agentChannelCredentials(new TlsIdentitySource(material), expected), expected.host);
}

async function failure(promise: Promise<unknown>): Promise<AgentCallError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentCallError);
  return error as AgentCallError;
}

describe("mutual TLS between the server and an agent", () => {
  it("connects the server's certificate to an enrolled agent, and the agent sees the server's identity", async () => {
    const peers: (PeerInfo | undefined)[] = [];
    const { endpoint } = await startAgent(await enroll("lb-master"), {
      authorize: (peer) => {
        peers.push(peer);
        return peer?.identity?.kind === "server" ? undefined : "not the server";
      },
    });
    const c = serverClient(endpoint);
    expect(await c.getInfo()).toMatchObject({ host: "lb-master", role: "director" });
    expect(await c.checkHealth()).toBe("SERVING");
    expect(peers.length).toBeGreaterThanOrEqual(2);
    expect(peers[0]).toMatchObject({
      identity: { kind: "server" },
      serial: inspectCertificate(serverMaterial.certPem).serial,
    });
  });

  it("refuses a client whose certificate comes from another CA", async () => {
    const { endpoint } = await startAgent(await enroll("lb-master"));
    const impostor = await serverIdentity(foreignCa, ca.pem);
    const error = await failure(serverClient(endpoint, impostor).getInfo());
    expect(error.code).toBe(GrpcStatus.UNAVAILABLE);
  });

  it("refuses a plaintext client and a TLS client without a certificate", async () => {
    const { endpoint } = await startAgent(await enroll("lb-master"));
    expect((await failure(client(endpoint, grpc.credentials.createInsecure()).getInfo())).code).toBe(
      GrpcStatus.UNAVAILABLE,
    );
    const anonymous = grpc.credentials.createSsl(Buffer.from(ca.pem), null, null, {
      checkServerIdentity: () => undefined,
    });
    expect((await failure(client(endpoint, anonymous).getInfo())).code).toBe(GrpcStatus.UNAVAILABLE);
  });

  it("accepts commands only from the server's identity, not from another certificate of the same CA", async () => {
    const { endpoint } = await startAgent(await enroll("lb-master"));
    // An agent certificate has no clientAuth usage: the handshake itself fails.
    const web1 = await enroll("web1");
    expect((await failure(serverClient(endpoint, web1).getInfo())).code).toBe(GrpcStatus.UNAVAILABLE);
    // Even a certificate with clientAuth is refused per call when its identity is not the server's.
    const key = await generateSigningKey();
    const sneaky = await ca.issue({
      identity: { kind: "agent", host: "web1" },
      publicKey: key.keys.publicKey,
      subject: "CN=web1",
      dnsNames: ["web1"],
      purposes: ["clientAuth", "serverAuth"],
      lifetimeMs: DAY,
      now: new Date(),
    });
    const material = { caPem: ca.pem, certPem: sneaky.pem, keyPem: await privateKeyToPem(key.keys.privateKey) };
    const error = await failure(serverClient(endpoint, material).getInfo());
    expect(error.code).toBe(GrpcStatus.PERMISSION_DENIED);
    expect(error.detail).toBe("agent web1 may not call an agent");
    const health = await serverClient(endpoint, material)
      .checkHealth()
      .catch((e: unknown) => e);
    expect((health as AgentCallError).code).toBe(GrpcStatus.PERMISSION_DENIED);
  });

  it("refuses an agent impostor: another CA, another host's certificate, or an expired certificate", async () => {
    const foreignService = new EnrollmentService({ ca: foreignCa, store: new MemoryPkiStore() });
    const foreignAgent = await startAgent({ ...(await enroll("lb-master", foreignService, foreignCa)), caPem: ca.pem });
    expect((await failure(serverClient(foreignAgent.endpoint).getInfo())).code).toBe(GrpcStatus.UNAVAILABLE);

    const wrongHost = await startAgent(await enroll("web1"), { host: "web1" });
    const error = await failure(serverClient(wrongHost.endpoint).getInfo());
    expect(error.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(error.detail).toContain("expected agent lb-master, the certificate is for agent web1");

    const key = await generateSigningKey();
    const request = await readCertificateRequest(await createCertificateRequest({ host: "lb-master", key }));
    const old = await ca.issueAgentCertificate({ request, lifetimeMs: DAY, now: new Date(Date.now() - 2 * DAY) });
    const expired = await startAgent({
      caPem: ca.pem,
      certPem: old.pem,
      keyPem: await privateKeyToPem(key.keys.privateKey),
    });
    const expiredError = await failure(serverClient(expired.endpoint).getInfo());
    expect(expiredError.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(expiredError.detail).toMatch(/expired/i);
  });

  it("refuses a revoked host at connection time", async () => {
    const { endpoint } = await startAgent(await enroll("lb-master"));
    let revocations = RevocationList.empty();
    const expected = { host: "lb-master", revocations: () => revocations };
    expect((await serverClient(endpoint, serverMaterial, expected).getInfo()).host).toBe("lb-master");
    await service.revokeHost({ host: "lb-master", reason: "test" });
    revocations = await service.revocationList();
    const error = await failure(serverClient(endpoint, serverMaterial, expected).getInfo());
    expect(error.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(error.detail).toContain("lb-master was revoked at");
    expect(await service.reinstateHost("lb-master")).toBe(true);
  });
});

describe("certificate rotation without a restart", () => {
  it("keeps a long-lived stream and later calls working while both sides renew, and new connections get the new certificates", async () => {
    const host = "rotor";
    const first = await enroll(host);
    const agent = await startAgent(first, { host });
    const serverSource = new TlsIdentitySource(serverMaterial);
    let revocations = RevocationList.empty();
    const expected = { host, revocations: () => revocations };
    const c = client(agent.endpoint, agentChannelCredentials(serverSource, expected), host);
    expect((await c.getInfo()).host).toBe(host);

    const events: AgentEvent[] = [];
    let ended: Error | undefined | "open" = "open";
    const stream = c.watchEvents(
      { heartbeatIntervalMs: 50, deadlineMs: 20_000 },
      (e) => events.push(e),
      (e) => {
        ended = e;
      },
    );
    cleanups.push(() => stream.cancel());
    await waitFor(() => events.length >= 2);

    // The agent renews with a new key and swaps its certificate in place.
    const renewal = await createRenewalRequest({ host, current: first });
    const renewed = await acceptCertificateResponse({
      host,
      keyPem: renewal.keyPem,
      response: await service.renew(renewal.request),
      trust: { caPem: first.caPem },
    });
    agent.source.update(renewed.material);
    // The server renews its own certificate too.
    const newServer = await serverIdentity(ca);
    serverSource.update(newServer);

    const before = events.length;
    await waitFor(() => events.length >= before + 3);
    expect(ended).toBe("open");
    expect((await c.getInfo()).host).toBe(host);

    // A new connection sees the new agent certificate: with the old serial revoked it still connects.
    revocations = new RevocationList({
      hosts: [],
      serials: [{ serial: inspectCertificate(first.certPem).serial, host, notAfter: Date.now() + DAY }],
    });
    const fresh = client(agent.endpoint, agentChannelCredentials(serverSource, expected), host);
    expect((await fresh.getInfo()).host).toBe(host);
    // Overlap: the old server certificate is still valid, so a client that has not rotated yet still gets in.
    const laggard = serverClient(agent.endpoint, serverMaterial, { host });
    expect((await laggard.getInfo()).host).toBe(host);
    // And the old agent certificate, now revoked by serial, is refused on a new connection elsewhere.
    const oldAgent = await startAgent(first, { host });
    expect(
      (await failure(client(oldAgent.endpoint, agentChannelCredentials(serverSource, expected), host).getInfo()))
        .detail,
    ).toContain("is revoked");
    expect(ended).toBe("open");
  });

  it("refuses an update whose key does not match its certificate, and keeps serving the old one", async () => {
    const material = await enroll("keeper");
    const agent = await startAgent(material, { host: "keeper" });
    const other = await enroll("other");
    expect(() => agent.source.update({ ...material, keyPem: other.keyPem })).toThrow(/TLS material is unusable/);
    expect(JSON.stringify(agent.source.current)).toBe(JSON.stringify(material));
    expect((await serverClient(agent.endpoint, serverMaterial, { host: "keeper" }).getInfo()).host).toBe("keeper");
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}
