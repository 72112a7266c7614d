import { X509Certificate } from "node:crypto";
import { HostName, Name, validate } from "@lvsfleet/model";
import {
  type CertificateResponse,
  type JoinTicket,
  type JoinTokenSummary,
  PkiError,
  RENEWAL_PROOF_WINDOW_MS,
  RegistrationRequest,
  registrationSignatureValid,
} from "@lvsfleet/pki";
import { summarizeCertificate } from "@lvsfleet/rpc/tls";
import { z } from "zod";
import type { Actor } from "../access/roles.ts";
import type { RevocationFeed } from "../pki/revocation-feed.ts";
import type { ServerTrust } from "../pki/trust.ts";
import { type AgentView, agentView } from "./agents.ts";
import { audited, permit } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { ConflictError, NotFoundError } from "./errors.ts";
import { claimOnRegistration } from "./host-ownership.ts";

/** mTLS is off (LVSFLEET_INSECURE_GRPC): enrollment makes no sense (HTTP 409). */
export class InsecureModeError extends ConflictError {
  override name = "InsecureModeError";
  constructor() {
    super("this server runs with LVSFLEET_INSECURE_GRPC: agents are not enrolled and certificates are not issued");
  }
}

function trustOf(ctx: CommandContext): ServerTrust {
  if (!ctx.trust) throw new InsecureModeError();
  return ctx.trust;
}

/** Revocations across every server sharing the Redis: there whenever trust is. */
function revocationsOf(ctx: CommandContext): RevocationFeed {
  if (!ctx.revocations) throw new InsecureModeError();
  return ctx.revocations;
}

export const JoinTokenInput = z.strictObject({
  host: HostName,
  /**
   * The cluster the host is for: it belongs to that cluster from now on (before it first registers),
   * so no other cluster can claim the name first.
   */
  cluster: Name.optional(),
  role: z.enum(["director", "real-server"]).optional(),
  ttlSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .optional(),
});

/** A one-time, expiring join token for a named host (admin). The token is in this answer only. */
export async function createJoinToken(ctx: CommandContext, actor: Actor, body: unknown): Promise<JoinTicket> {
  const input = validate(JoinTokenInput, body);
  const trust = trustOf(ctx);
  const what = {
    command: "create join token",
    need: "admin" as const,
    action: "issuing join tokens",
    target: input.host,
    global: true,
  };
  return audited(ctx, actor, { ...what, cluster: input.cluster }, async () => {
    if (input.cluster) {
      const held = await ctx.owners.reserve(input.host, input.cluster);
      if (!held.reserved)
        throw new ConflictError(
          `${input.host} belongs to cluster ${held.owner}: an admin of both moves it (PUT /v1/clusters/${input.cluster}?moveHosts=${input.host})`,
        );
    }
    const ticket = await trust.enrollment.createJoinToken({
      host: input.host,
      role: input.role,
      ttlMs: input.ttlSeconds === undefined ? undefined : input.ttlSeconds * 1000,
      createdBy: actor.name,
    });
    return {
      result: ticket,
      after: {
        id: ticket.id,
        host: ticket.host,
        role: ticket.role,
        expiresAt: ticket.expiresAt,
        cluster: input.cluster,
      },
    };
  });
}

export async function listJoinTokens(ctx: CommandContext, actor: Actor): Promise<JoinTokenSummary[]> {
  await permit(ctx, actor, { command: "list join tokens", need: "admin", action: "listing join tokens", global: true });
  return trustOf(ctx).enrollment.listJoinTokens();
}

export async function deleteJoinToken(ctx: CommandContext, actor: Actor, id: string): Promise<void> {
  const trust = trustOf(ctx);
  await audited(
    ctx,
    actor,
    { command: "withdraw join token", need: "admin", action: "withdrawing join tokens", target: id, global: true },
    async () => {
      if (!(await trust.enrollment.deleteJoinToken(id))) throw new NotFoundError(`no outstanding join token ${id}`);
      return { result: undefined };
    },
  );
}

/** An agent enrolls: join token + CSR → certificate (the token is the credential; no bearer token). */
export async function enrollAgent(ctx: CommandContext, body: unknown): Promise<CertificateResponse> {
  return auditIssued(ctx, "enroll", await trustOf(ctx).enrollment.enroll(body));
}

/** An agent renews before expiry, authenticated by its current certificate's key. */
export async function renewAgent(ctx: CommandContext, body: unknown): Promise<CertificateResponse> {
  return auditIssued(ctx, "renew certificate", await trustOf(ctx).enrollment.renew(body));
}

/** One audit entry for a certificate issued to an agent (the agent is the actor). */
async function auditIssued(
  ctx: CommandContext,
  command: string,
  response: CertificateResponse,
): Promise<CertificateResponse> {
  const host = hostOf(response.certificate);
  await ctx.audit.append({
    actor: { type: "agent", name: host },
    channel: "agent",
    command,
    target: host,
    after: { serial: response.serial, notAfter: response.notAfter },
    outcome: "completed",
  });
  return response;
}

function hostOf(certificate: string): string {
  const identity = summarizeCertificate(certificate).identity;
  return identity?.kind === "agent" ? identity.host : "unknown";
}

/**
 * An enrolled agent says where it listens. The proof: a certificate from this CA for that host,
 * valid and not revoked, and a signature over the request made with its key in the last 5 minutes.
 */
export async function registerEnrolledAgent(ctx: CommandContext, body: unknown): Promise<AgentView> {
  const trust = trustOf(ctx);
  const request = validate(RegistrationRequest, body);
  validate(HostName, request.host, ["host"]);
  const endpoint = validate(z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/), request.endpoint, [
    "endpoint",
  ]);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(request.certificate);
  } catch {
    throw new PkiError("invalid-certificate", "certificate", "is not a PEM certificate");
  }
  const caCert = new X509Certificate(trust.ca.pem);
  const now = Date.now();
  if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey))
    throw new PkiError("invalid-certificate", "certificate", "was not issued by this lvsfleet CA");
  if (Date.parse(cert.validTo) < now || Date.parse(cert.validFrom) > now)
    throw new PkiError("expired", "certificate", `is not valid now (valid ${cert.validFrom} to ${cert.validTo})`);
  const summary = summarizeCertificate(request.certificate);
  if (summary.identity?.kind !== "agent" || summary.identity.host !== request.host.toLowerCase())
    throw new PkiError("identity-mismatch", "host", `the certificate is not for agent ${request.host}`);
  if (summary.identity.role !== undefined && summary.identity.role !== request.role)
    throw new PkiError(
      "identity-mismatch",
      "role",
      `the certificate is for a ${summary.identity.role} agent, not a ${request.role} (enroll it again with the right role)`,
    );
  // The current list, not this process's snapshot: a host revoked through another server is refused too.
  await revocationsOf(ctx).refresh();
  const revoked = trust.revocations.reasonRevoked(summary.identity, summary.serial);
  if (revoked) throw new PkiError("revoked", "host", revoked);
  if (Math.abs(now - request.signedAt) > RENEWAL_PROOF_WINDOW_MS)
    throw new PkiError("bad-proof", "signedAt", "is more than 5 minutes from the server's clock");
  if (!registrationSignatureValid(request))
    throw new PkiError("bad-proof", "signature", "does not verify with the key of the certificate");
  const previous = await ctx.registry.get(request.host);
  const registration = { host: request.host, endpoint, role: request.role, driver: request.driver, registeredAt: now };
  await ctx.registry.register(registration);
  await claimOnRegistration(ctx, request.host);
  ctx.supervisor.ensure(registration);
  const changed =
    !previous || previous.endpoint !== endpoint || previous.role !== request.role || previous.driver !== request.driver;
  if (changed) {
    ctx.log.info({ agent: request.host, endpoint, role: request.role }, "agent registered");
    await ctx.audit.append({
      actor: { type: "agent", name: request.host },
      channel: "agent",
      command: "register agent",
      target: request.host,
      before: previous ? { endpoint: previous.endpoint, role: previous.role, driver: previous.driver } : null,
      after: { endpoint, role: request.role, driver: request.driver },
      outcome: "completed",
    });
  }
  return agentView(registration, await ctx.registry.liveness(request.host));
}

export const RevokeInput = z.strictObject({ host: HostName, reason: z.string().max(500).optional() });

/** Revokes a host: its certificates are refused from now on; open connections to it are closed. */
export async function revokeHost(
  ctx: CommandContext,
  actor: Actor,
  body: unknown,
): Promise<{ host: string; serials: string[] }> {
  const input = validate(RevokeInput, body);
  const trust = trustOf(ctx);
  const what = {
    command: "revoke host",
    need: "admin" as const,
    action: "revoking hosts",
    target: input.host,
    global: true,
  };
  return audited(ctx, actor, what, async () => {
    const result = await trust.enrollment.revokeHost({ host: input.host, reason: input.reason, revokedBy: actor.name });
    // Every server sharing the Redis (this one at once) closes the host's channels and stops watching it.
    await revocationsOf(ctx).announce();
    const prior = await ctx.registry.liveness(input.host);
    await ctx.registry.setLiveness(input.host, {
      ...prior,
      reachable: false,
      lastError: `revoked: ${input.reason ?? "no reason given"}`,
      since: Date.now(),
    });
    return { result, after: { revoked: true, serials: result.serials } };
  });
}

export async function reinstateHost(ctx: CommandContext, actor: Actor, host: string): Promise<{ host: string }> {
  validate(HostName, host, ["host"]);
  const trust = trustOf(ctx);
  const what = {
    command: "reinstate host",
    need: "admin" as const,
    action: "reinstating hosts",
    target: host,
    global: true,
  };
  return audited(ctx, actor, what, async () => {
    if (!(await trust.enrollment.reinstateHost(host))) throw new NotFoundError(`host ${host} is not revoked`);
    await revocationsOf(ctx).announce();
    return { result: { host }, after: { revoked: false } };
  });
}

export function caCertificate(ctx: CommandContext): { pem: string; pin: string } {
  const trust = trustOf(ctx);
  return { pem: trust.ca.pem, pin: trust.ca.pin };
}
