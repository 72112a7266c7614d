import type { AgentRole } from "@lvsfleet/model";
import { z } from "zod";
import { type CertificateAuthority, DEFAULT_LEAF_LIFETIME_MS, type IssuedCertificate } from "./ca.ts";
import { inspectCertificate, parseCertificate, verifyIssuedBy } from "./certificate.ts";
import { MAX_CSR_PEM_LENGTH, readCertificateRequest } from "./csr.ts";
import { PkiError } from "./errors.ts";
import { AgentHost, AgentRoleSchema } from "./identity.ts";
import {
  DEFAULT_JOIN_TOKEN_TTL_MS,
  generateJoinToken,
  hashJoinToken,
  isJoinTokenShape,
  joinTokenId,
  MAX_JOIN_TOKEN_TTL_MS,
} from "./join-token.ts";
import {
  DEFAULT_RENEW_FRACTION,
  RENEWAL_PROOF_WINDOW_MS,
  renewalProofMessage,
  renewalTime,
  verifyRenewalProof,
} from "./renewal.ts";
import { RevocationList } from "./revocation.ts";
import type { JoinTokenRecord, PkiStore, RevokedHost } from "./store.ts";

const Pem = (max: number) =>
  z
    .string({ error: "must be a PEM string" })
    .min(1, { error: "must not be empty" })
    .max(max, { error: `must be at most ${max} characters` });

/** `POST /v1/pki/enroll` body. */
export const EnrollRequest = z.strictObject({
  token: z.string({ error: "must be a string" }).max(200, { error: "is too long" }),
  csr: Pem(MAX_CSR_PEM_LENGTH),
});
export type EnrollRequest = z.infer<typeof EnrollRequest>;

/** `POST /v1/pki/renew` body: the current certificate, a new CSR, and a proof signed with the current key. */
export const RenewRequest = z.strictObject({
  certificate: Pem(16_384),
  csr: Pem(MAX_CSR_PEM_LENGTH),
  signedAt: z.number({ error: "must be epoch milliseconds" }).int({ error: "must be an integer" }),
  signature: z.string({ error: "must be base64" }).max(2_048, { error: "is too long" }),
});
export type RenewRequest = z.infer<typeof RenewRequest>;

/** What enroll and renew answer. */
export interface CertificateResponse {
  certificate: string;
  caCertificate: string;
  serial: string;
  notAfter: string;
  /** When the agent should renew (2/3 of the lifetime). */
  renewAfter: string;
}

/** What the admin sees once when asking for a join token. The token is not stored and cannot be shown again. */
export interface JoinTicket {
  token: string;
  id: string;
  host: string;
  role?: AgentRole | undefined;
  expiresAt: string;
  /** The CA pin the agent checks the enrollment answer against (`--ca-pin`). */
  caPin: string;
}

export type JoinTokenSummary = Omit<JoinTokenRecord, "tokenHash">;

export interface EnrollmentOptions {
  ca: CertificateAuthority;
  store: PkiStore;
  now?: () => Date;
  /** Lifetime of agent certificates (default 30 days). */
  certificateLifetimeMs?: number;
  renewFraction?: number;
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new PkiError("invalid-input", issue.path.join(".") || "body", issue.message);
}

/**
 * The server's side of the PKI: join tokens, enrollment, renewal, revocation. Every method validates its
 * input and throws PkiError (code + field) on refusal; the REST layer maps codes to status codes.
 */
export class EnrollmentService {
  private readonly ca: CertificateAuthority;
  private readonly store: PkiStore;
  private readonly now: () => Date;
  private readonly lifetimeMs: number;
  private readonly renewFraction: number;

  constructor(options: EnrollmentOptions) {
    this.ca = options.ca;
    this.store = options.store;
    this.now = options.now ?? (() => new Date());
    this.lifetimeMs = options.certificateLifetimeMs ?? DEFAULT_LEAF_LIFETIME_MS;
    this.renewFraction = options.renewFraction ?? DEFAULT_RENEW_FRACTION;
  }

  /** A one-time join token for `host`, valid `ttlMs` (default 1 h, at most 7 days). */
  async createJoinToken(params: {
    host: string;
    role?: AgentRole | undefined;
    ttlMs?: number | undefined;
    createdBy?: string | undefined;
  }): Promise<JoinTicket> {
    const { host, role, ttlMs } = parse(
      z.object({
        host: AgentHost,
        role: AgentRoleSchema.optional(),
        ttlMs: z
          .number({ error: "must be milliseconds" })
          .int({ error: "must be an integer" })
          .min(60_000, { error: "must be at least one minute" })
          .max(MAX_JOIN_TOKEN_TTL_MS, { error: "must be at most 7 days" })
          .optional(),
      }),
      { host: params.host, role: params.role, ttlMs: params.ttlMs },
    );
    const revocations = await this.revocationList();
    if (revocations.isHostRevoked(host))
      throw new PkiError("revoked", "host", `${host} is revoked; reinstate it before issuing a join token`);
    const token = generateJoinToken();
    const tokenHash = hashJoinToken(token);
    const now = this.now().getTime();
    const record: JoinTokenRecord = {
      id: joinTokenId(tokenHash),
      tokenHash,
      host,
      role,
      createdAt: now,
      expiresAt: now + (ttlMs ?? DEFAULT_JOIN_TOKEN_TTL_MS),
      createdBy: params.createdBy,
    };
    await this.store.saveToken(record);
    return {
      token,
      id: record.id,
      host,
      role,
      expiresAt: new Date(record.expiresAt).toISOString(),
      caPin: this.ca.pin,
    };
  }

  async listJoinTokens(): Promise<JoinTokenSummary[]> {
    return (await this.store.listTokens()).map(({ tokenHash: _hash, ...summary }) => summary);
  }

  deleteJoinToken(id: string): Promise<boolean> {
    return this.store.deleteToken(id);
  }

  /**
   * Enrollment: the CSR is checked first (a malformed request does not burn the token), then the token is
   * redeemed atomically. From then on the token is spent, even if the request is refused (a token used
   * with a CSR for another host is treated as leaked).
   */
  async enroll(body: unknown): Promise<CertificateResponse> {
    const request = parse(EnrollRequest, body);
    const csr = await readCertificateRequest(request.csr);
    if (!isJoinTokenShape(request.token)) throw new PkiError("unknown-token", "token", "is not a join token");
    const now = this.now();
    const record = await this.store.redeemToken(hashJoinToken(request.token), now.getTime());
    if (!record) throw new PkiError("unknown-token", "token", "is unknown (never issued, withdrawn or pruned)");
    if (record.usedAt !== undefined)
      throw new PkiError("token-used", "token", `was already used at ${new Date(record.usedAt).toISOString()}`);
    if (record.expiresAt < now.getTime())
      throw new PkiError("token-expired", "token", `expired at ${new Date(record.expiresAt).toISOString()}`);
    if (csr.identity.host !== record.host)
      throw new PkiError(
        "identity-mismatch",
        "csr",
        `asks for host ${csr.identity.host} but the join token is for ${record.host}; the token is now spent`,
      );
    const revoked = (await this.revocationList()).reasonRevoked(csr.identity);
    if (revoked) throw new PkiError("revoked", "host", revoked);
    const issued = await this.ca.issueAgentCertificate({
      request: csr,
      role: record.role,
      lifetimeMs: this.lifetimeMs,
      now,
    });
    return this.record(issued, record.role, "enroll", now);
  }

  /**
   * Renewal before expiry, authenticated by the certificate being renewed: it must be ours, unexpired and
   * not revoked, and the proof must verify with its key. The CSR may carry the same key or a new one.
   */
  async renew(body: unknown): Promise<CertificateResponse> {
    const request = parse(RenewRequest, body);
    const now = this.now();
    const current = parseCertificate(request.certificate);
    await verifyIssuedBy(current, this.ca.certificate, now, "certificate");
    const info = inspectCertificate(current);
    if (info.identity?.kind !== "agent")
      throw new PkiError("invalid-certificate", "certificate", "is not an agent certificate");
    const revoked = (await this.revocationList()).reasonRevoked(info.identity, info.serial);
    if (revoked) throw new PkiError("revoked", "certificate", revoked);
    if (Math.abs(now.getTime() - request.signedAt) > RENEWAL_PROOF_WINDOW_MS)
      throw new PkiError("bad-proof", "signedAt", "is more than 5 minutes away from the server's clock");
    const csr = await readCertificateRequest(request.csr);
    if (csr.identity.host !== info.identity.host)
      throw new PkiError(
        "identity-mismatch",
        "csr",
        `asks for host ${csr.identity.host} but the certificate is for ${info.identity.host}`,
      );
    verifyRenewalProof(
      request.certificate,
      renewalProofMessage(info.identity.host, request.csr, request.signedAt),
      request.signature,
    );
    const issued = await this.ca.issueAgentCertificate({
      request: csr,
      role: info.identity.role,
      lifetimeMs: this.lifetimeMs,
      now,
    });
    return this.record(issued, info.identity.role, "renew", now);
  }

  /** Revokes a host: its identity and every unexpired certificate issued to it are refused from now on. */
  async revokeHost(params: {
    host: string;
    reason?: string;
    revokedBy?: string;
  }): Promise<{ host: string; serials: string[] }> {
    const { host } = parse(z.object({ host: AgentHost }), { host: params.host });
    const issued = await this.store.issuedFor(host);
    const entry: RevokedHost = {
      host,
      revokedAt: this.now().getTime(),
      reason: params.reason,
      revokedBy: params.revokedBy,
    };
    await this.store.revokeHost(
      entry,
      issued.map((c) => ({ serial: c.serial, host, notAfter: c.notAfter })),
    );
    return { host, serials: issued.map((c) => c.serial) };
  }

  /** Lets a revoked host enroll again (with a new join token). Its old certificates stay revoked. */
  async reinstateHost(host: string): Promise<boolean> {
    const parsed = parse(z.object({ host: AgentHost }), { host });
    return this.store.reinstateHost(parsed.host);
  }

  async revocationList(): Promise<RevocationList> {
    return new RevocationList(await this.store.revocations());
  }

  private async record(
    issued: IssuedCertificate,
    role: AgentRole | undefined,
    via: "enroll" | "renew",
    now: Date,
  ): Promise<CertificateResponse> {
    const { info } = issued;
    await this.store.recordIssued({
      serial: info.serial,
      host: info.identity?.kind === "agent" ? info.identity.host : "",
      role,
      notBefore: info.notBefore.getTime(),
      notAfter: info.notAfter.getTime(),
      publicKeyPin: info.publicKeyPin,
      issuedAt: now.getTime(),
      via,
    });
    return {
      certificate: issued.pem,
      caCertificate: this.ca.pem,
      serial: info.serial,
      notAfter: info.notAfter.toISOString(),
      renewAfter: renewalTime(info, this.renewFraction).toISOString(),
    };
  }
}
