import { X509Certificate } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
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
  PkiError,
  renewalDue,
  type TlsMaterial,
} from "../src/index.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let clock: Date;
let store: MemoryPkiStore;
let ca: CertificateAuthority;
let service: EnrollmentService;

beforeEach(async () => {
  clock = new Date("2026-03-01T12:00:00Z");
  store = new MemoryPkiStore({ now: () => clock.getTime() });
  ca = (await CertificateAuthority.create({ now: clock })).ca;
  service = new EnrollmentService({ ca, store, now: () => clock });
});

async function refusal(promise: Promise<unknown>): Promise<PkiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PkiError);
  return error as PkiError;
}

async function enrollHost(host: string, role?: "director" | "real-server"): Promise<TlsMaterial> {
  const ticket = await service.createJoinToken({ host, role });
  const { keyPem, request } = await createEnrollmentRequest({ host, role, token: ticket.token });
  const response = await service.enroll(request);
  const accepted = await acceptCertificateResponse({
    host,
    keyPem,
    response,
    trust: { caPin: ticket.caPin },
    now: clock,
  });
  return accepted.material;
}

describe("join tokens and enrollment", () => {
  it("issues a certificate whose identity is the host name, with the role marker", async () => {
    const ticket = await service.createJoinToken({ host: "LB-Master", role: "director", createdBy: "admin-token" });
    expect(ticket.token).toMatch(/^lvsj_[A-Za-z0-9_-]{43}$/);
    expect(ticket.host).toBe("lb-master");
    expect(ticket.caPin).toBe(ca.pin);
    const { keyPem, request } = await createEnrollmentRequest({
      host: "lb-master",
      role: "director",
      token: ticket.token,
    });
    expect(request.csr).toContain("BEGIN CERTIFICATE REQUEST");
    expect(JSON.stringify(request)).not.toContain("PRIVATE KEY");
    const response = await service.enroll(request);
    const { material, info, renewAt } = await acceptCertificateResponse({
      host: "lb-master",
      keyPem,
      response,
      trust: { caPin: ticket.caPin },
      now: clock,
    });
    expect(info.identity).toEqual({ kind: "agent", host: "lb-master", role: "director" });
    expect(info.dnsNames).toEqual(["lb-master"]);
    expect(info.uris).toEqual(["spiffe://lvsfleet/agent/lb-master"]);
    expect(info.notAfter.getTime() - clock.getTime()).toBe(30 * DAY);
    expect(renewAt.getTime()).toBe(
      info.notBefore.getTime() + ((info.notAfter.getTime() - info.notBefore.getTime()) * 2) / 3,
    );
    // Node's own X.509 reader agrees: signed by the CA, valid for the host name, not a CA.
    const node = new X509Certificate(material.certPem);
    expect(node.verify(new X509Certificate(ca.pem).publicKey)).toBe(true);
    expect(node.checkHost("lb-master")).toBe("lb-master");
    expect(node.ca).toBe(false);
    expect(node.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // serverAuth only
    expect((await store.issuedFor("lb-master")).map((r) => r.serial)).toEqual([info.serial]);
  });

  it("stores the token hashed, never the token itself", async () => {
    const ticket = await service.createJoinToken({ host: "web1" });
    const [record] = await store.listTokens();
    expect(JSON.stringify(await store.listTokens())).not.toContain(ticket.token);
    expect(JSON.stringify(await store.listTokens())).not.toContain(ticket.token.slice(5));
    expect(record!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await service.listJoinTokens()).toEqual([
      expect.objectContaining({ id: ticket.id, host: "web1", expiresAt: clock.getTime() + HOUR }),
    ]);
    expect(JSON.stringify(await service.listJoinTokens())).not.toContain(record!.tokenHash);
  });

  it("refuses a reused join token", async () => {
    const ticket = await service.createJoinToken({ host: "web1" });
    const first = await createEnrollmentRequest({ host: "web1", token: ticket.token });
    await service.enroll(first.request);
    const second = await createEnrollmentRequest({ host: "web1", token: ticket.token });
    const error = await refusal(service.enroll(second.request));
    expect(error.code).toBe("token-used");
    expect(error.field).toBe("token");
  });

  it("refuses an expired join token", async () => {
    const ticket = await service.createJoinToken({ host: "web1", ttlMs: 10 * 60_000 });
    const { request } = await createEnrollmentRequest({ host: "web1", token: ticket.token });
    clock = new Date(clock.getTime() + 10 * 60_000 + 1);
    const error = await refusal(service.enroll(request));
    expect(error.code).toBe("token-expired");
    expect(error.message).toContain("expired at 2026-03-01T12:10:00.000Z");
  });

  it("refuses an unknown, malformed or withdrawn token", async () => {
    const { request } = await createEnrollmentRequest({ host: "web1", token: `lvsj_${"A".repeat(43)}` });
    expect((await refusal(service.enroll(request))).code).toBe("unknown-token");
    expect((await refusal(service.enroll({ ...request, token: "hunter2" }))).code).toBe("unknown-token");
    const ticket = await service.createJoinToken({ host: "web1" });
    expect(await service.deleteJoinToken(ticket.id)).toBe(true);
    expect((await refusal(service.enroll({ ...request, token: ticket.token }))).code).toBe("unknown-token");
  });

  it("refuses a CSR whose identity differs from the token's host, and spends the token", async () => {
    const ticket = await service.createJoinToken({ host: "web1" });
    const impostor = await createEnrollmentRequest({ host: "lb-master", token: ticket.token });
    const error = await refusal(service.enroll(impostor.request));
    expect(error.code).toBe("identity-mismatch");
    expect(error.message).toContain("asks for host lb-master but the join token is for web1");
    const honest = await createEnrollmentRequest({ host: "web1", token: ticket.token });
    expect((await refusal(service.enroll(honest.request))).code).toBe("token-used");
  });

  it("refuses a malformed or forged CSR without spending the token", async () => {
    const ticket = await service.createJoinToken({ host: "web1" });
    const garbage = await refusal(service.enroll({ token: ticket.token, csr: "not a csr" }));
    expect(garbage.code).toBe("invalid-csr");
    expect(garbage.field).toBe("csr");
    // Flip one bit of the signature (the last byte of the DER): the self-signature no longer verifies.
    const { request } = await createEnrollmentRequest({ host: "web1", token: ticket.token });
    const der = Buffer.from(request.csr.replace(/-----[^-]+-----/g, "").replace(/\s/g, ""), "base64");
    der[der.length - 1]! ^= 1;
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
    const error = await refusal(service.enroll({ token: ticket.token, csr: forged }));
    expect(error.code).toBe("invalid-csr");
    expect((await service.enroll(request)).certificate).toContain("BEGIN CERTIFICATE");
  });

  it("validates request bodies field by field", async () => {
    const missing = await refusal(service.enroll({ token: "x" }));
    expect(missing).toMatchObject({ code: "invalid-input", field: "csr" });
    const extra = await refusal(service.enroll({ token: "x", csr: "y", admin: true }));
    expect(extra.code).toBe("invalid-input");
    const badHost = await refusal(service.createJoinToken({ host: "web 1" }));
    expect(badHost).toMatchObject({ code: "invalid-input", field: "host" });
    const longTtl = await refusal(service.createJoinToken({ host: "web1", ttlMs: 30 * DAY }));
    expect(longTtl).toMatchObject({ code: "invalid-input", field: "ttlMs" });
  });

  it("ignores everything in the CSR but the host and the public key", async () => {
    const ticket = await service.createJoinToken({ host: "web1", role: "real-server" });
    const key = await generateSigningKey();
    // The request asks for director; the token says real-server, and the token wins.
    const csr = await createCertificateRequest({ host: "web1", role: "director", key });
    const response = await service.enroll({ token: ticket.token, csr });
    const info = inspectCertificate(response.certificate);
    expect(info.identity).toEqual({ kind: "agent", host: "web1", role: "real-server" });
    expect(info.isCa).toBe(false);
  });

  it("the agent refuses an answer from a CA other than the pinned one, or for another host", async () => {
    const ticket = await service.createJoinToken({ host: "web1" });
    const { keyPem, request } = await createEnrollmentRequest({ host: "web1", token: ticket.token });
    const response = await service.enroll(request);
    const other = (await CertificateAuthority.create()).ca;
    const wrongPin = await refusal(
      acceptCertificateResponse({ host: "web1", keyPem, response, trust: { caPin: other.pin }, now: clock }),
    );
    expect(wrongPin.field).toBe("caCertificate");
    const wrongHost = await refusal(
      acceptCertificateResponse({ host: "web2", keyPem, response, trust: { caPin: ca.pin }, now: clock }),
    );
    expect(wrongHost.code).toBe("identity-mismatch");
    const otherKey = (await createEnrollmentRequest({ host: "web1", token: ticket.token })).keyPem;
    const wrongKey = await refusal(
      acceptCertificateResponse({ host: "web1", keyPem: otherKey, response, trust: { caPin: ca.pin }, now: clock }),
    );
    expect(wrongKey.message).toContain("does not carry this agent's public key");
  });
});

describe("renewal", () => {
  it("renews with a new key before expiry; old and new certificates are both valid during the overlap", async () => {
    const current = await enrollHost("lb-master", "director");
    clock = new Date(clock.getTime() + 20 * DAY + 1);
    expect(renewalDue(current.certPem, clock)).toBe(true);
    const { keyPem, request } = await createRenewalRequest({ host: "lb-master", current, now: clock });
    expect(keyPem).not.toBe(current.keyPem);
    const response = await service.renew(request);
    const renewed = await acceptCertificateResponse({
      host: "lb-master",
      keyPem,
      response,
      trust: { caPem: current.caPem },
      now: clock,
    });
    expect(renewed.info.identity).toEqual({ kind: "agent", host: "lb-master", role: "director" });
    const old = inspectCertificate(current.certPem);
    expect(old.notAfter > clock).toBe(true);
    expect(renewed.info.notBefore < clock).toBe(true);
    expect(renewed.info.serial).not.toBe(old.serial);
    expect(renewed.info.publicKeyPin).not.toBe(old.publicKeyPin);
    expect((await store.issuedFor("lb-master")).map((r) => r.via)).toEqual(["enroll", "renew"]);
  });

  it("renews with the same key when asked", async () => {
    const current = await enrollHost("web1");
    const { keyPem, request } = await createRenewalRequest({ host: "web1", current, rotateKey: false, now: clock });
    expect(keyPem).toBe(current.keyPem);
    const response = await service.renew(request);
    expect(inspectCertificate(response.certificate).publicKeyPin).toBe(
      inspectCertificate(current.certPem).publicKeyPin,
    );
  });

  it("refuses a renewal whose proof was not made with the current key", async () => {
    const current = await enrollHost("web1");
    const stranger = await enrollHost("web2");
    const { request } = await createRenewalRequest({
      host: "web1",
      current: { ...current, keyPem: stranger.keyPem },
      now: clock,
    });
    expect((await refusal(service.renew(request))).code).toBe("bad-proof");
    const honest = await createRenewalRequest({ host: "web1", current, now: clock });
    const swapped = await refusal(service.renew({ ...honest.request, signedAt: honest.request.signedAt + 1 }));
    expect(swapped.code).toBe("bad-proof");
  });

  it("refuses a stale proof, an expired certificate, a revoked host and a foreign CA", async () => {
    const current = await enrollHost("web1");
    const early = await createRenewalRequest({ host: "web1", current, now: clock });
    clock = new Date(clock.getTime() + 6 * 60_000);
    expect((await refusal(service.renew(early.request))).field).toBe("signedAt");
    clock = new Date(clock.getTime() + 31 * DAY);
    const late = await createRenewalRequest({ host: "web1", current, now: clock });
    expect((await refusal(service.renew(late.request))).code).toBe("expired");

    clock = new Date("2026-03-01T12:00:00Z");
    const fresh = await enrollHost("web3");
    await service.revokeHost({ host: "web3", reason: "decommissioned" });
    const revoked = await createRenewalRequest({ host: "web3", current: fresh, now: clock });
    const error = await refusal(service.renew(revoked.request));
    expect(error.code).toBe("revoked");

    const foreignService = new EnrollmentService({
      ca: (await CertificateAuthority.create()).ca,
      store: new MemoryPkiStore(),
    });
    const ticket = await foreignService.createJoinToken({ host: "web4" });
    const foreign = await createEnrollmentRequest({ host: "web4", token: ticket.token });
    const foreignCert = await foreignService.enroll(foreign.request);
    const material = { caPem: foreignCert.caCertificate, certPem: foreignCert.certificate, keyPem: foreign.keyPem };
    const renewal = await createRenewalRequest({ host: "web4", current: material, now: clock });
    expect((await refusal(service.renew(renewal.request))).code).toBe("invalid-certificate");
  });
});

describe("revocation", () => {
  it("revokes a host and every certificate issued to it; reinstating lets it enroll again but old serials stay revoked", async () => {
    const first = inspectCertificate((await enrollHost("web1")).certPem);
    const revoked = await service.revokeHost({ host: "web1", reason: "stolen disk", revokedBy: "alice" });
    expect(revoked.serials).toEqual([first.serial]);
    let list = await service.revocationList();
    expect(list.reasonRevoked({ kind: "agent", host: "web1" })).toContain(
      "web1 was revoked at 2026-03-01T12:00:00.000Z (stolen disk)",
    );
    expect(list.reasonRevoked({ kind: "agent", host: "web2" })).toBeUndefined();
    expect((await refusal(service.createJoinToken({ host: "web1" }))).code).toBe("revoked");

    expect(await service.reinstateHost("web1")).toBe(true);
    const second = inspectCertificate((await enrollHost("web1")).certPem);
    list = await service.revocationList();
    expect(list.reasonRevoked({ kind: "agent", host: "web1" }, second.serial)).toBeUndefined();
    expect(list.reasonRevoked({ kind: "agent", host: "web1" }, first.serial)).toContain(`certificate ${first.serial}`);
  });

  it("refuses enrollment of a host revoked after its token was issued", async () => {
    const ticket = await service.createJoinToken({ host: "web1" });
    await service.revokeHost({ host: "web1" });
    const { request } = await createEnrollmentRequest({ host: "web1", token: ticket.token });
    expect((await refusal(service.enroll(request))).code).toBe("revoked");
  });
});
