import type { AgentRole } from "@lvsfleet/model";
import { z } from "zod";
import { type CertificateInfo, inspectCertificate, parseCertificate, verifyIssuedBy } from "./certificate.ts";
import { createCertificateRequest } from "./csr.ts";
import type { CertificateResponse, EnrollRequest, RenewRequest } from "./enrollment.ts";
import { PkiError } from "./errors.ts";
import { AgentHost } from "./identity.ts";
import { generateSigningKey, importSigningKey, privateKeyToPem } from "./keys.ts";
import type { TlsMaterial } from "./material.ts";
import { DEFAULT_RENEW_FRACTION, renewalProofMessage, renewalTime, signRenewalProof } from "./renewal.ts";

/** The server's answer to enroll or renew, as the agent validates it before trusting anything in it. */
export const CertificateResponseSchema = z.object({
  certificate: z.string({ error: "must be a PEM string" }).max(16_384),
  caCertificate: z.string({ error: "must be a PEM string" }).max(65_536),
  serial: z.string(),
  notAfter: z.string(),
  renewAfter: z.string(),
});

/**
 * Agent side, step 1: a fresh key (kept in memory, later written 0600 by the agent) and the enrollment
 * request carrying only the CSR and the token.
 */
export async function createEnrollmentRequest(params: {
  host: string;
  role?: AgentRole | undefined;
  token: string;
}): Promise<{ keyPem: string; request: EnrollRequest }> {
  const key = await generateSigningKey();
  const csr = await createCertificateRequest({ host: params.host, role: params.role, key });
  return { keyPem: await privateKeyToPem(key.keys.privateKey), request: { token: params.token, csr } };
}

/**
 * Agent side, step 2: accepts the server's answer only if the CA matches what the agent trusts (the pin
 * from the join command on first enrollment, the CA it already has on renewal), the certificate was
 * issued by that CA, names this host, carries this agent's own public key and is valid now.
 */
export async function acceptCertificateResponse(params: {
  host: string;
  keyPem: string;
  response: unknown;
  trust: { caPin: string } | { caPem: string };
  now?: Date;
}): Promise<{ material: TlsMaterial; info: CertificateInfo; renewAt: Date }> {
  const host = AgentHost.parse(params.host);
  const parsed = CertificateResponseSchema.safeParse(params.response);
  if (!parsed.success)
    throw new PkiError("invalid-input", "response", `is not an enrollment answer (${parsed.error.issues[0]!.message})`);
  const response: CertificateResponse = parsed.data;
  const ca = parseCertificate(response.caCertificate, "caCertificate");
  const caInfo = inspectCertificate(ca, "caCertificate");
  if ("caPin" in params.trust) {
    if (caInfo.publicKeyPin !== params.trust.caPin.toLowerCase())
      throw new PkiError(
        "invalid-certificate",
        "caCertificate",
        `has pin ${caInfo.publicKeyPin}, not the expected ${params.trust.caPin}: refusing a CA that is not the server's`,
      );
  } else if (inspectCertificate(params.trust.caPem, "trusted CA").publicKeyPin !== caInfo.publicKeyPin) {
    throw new PkiError("invalid-certificate", "caCertificate", "differs from the CA this agent already trusts");
  }
  const now = params.now ?? new Date();
  const cert = parseCertificate(response.certificate, "certificate");
  await verifyIssuedBy(cert, ca, now, "certificate");
  const info = inspectCertificate(cert);
  if (info.identity?.kind !== "agent" || info.identity.host !== host)
    throw new PkiError("identity-mismatch", "certificate", `is not for agent ${host}`);
  const key = await importSigningKey(params.keyPem, "key");
  if (key.publicKeyPin !== info.publicKeyPin)
    throw new PkiError("identity-mismatch", "certificate", "does not carry this agent's public key");
  return {
    material: { caPem: caInfo.pem, certPem: info.pem, keyPem: params.keyPem },
    info,
    renewAt: renewalTime(info, DEFAULT_RENEW_FRACTION),
  };
}

/**
 * Agent side, renewal: a CSR for a new key (default) or the same key, with a proof signed by the current
 * key. The new key stays on the host; the caller keeps serving with the old certificate until the answer
 * is accepted and then swaps both at once.
 */
export async function createRenewalRequest(params: {
  host: string;
  current: TlsMaterial;
  rotateKey?: boolean;
  now?: Date;
}): Promise<{ keyPem: string; request: RenewRequest }> {
  const host = AgentHost.parse(params.host);
  const key =
    params.rotateKey === false ? await importSigningKey(params.current.keyPem, "key") : await generateSigningKey();
  const keyPem = params.rotateKey === false ? params.current.keyPem : await privateKeyToPem(key.keys.privateKey);
  const currentInfo = inspectCertificate(params.current.certPem);
  const role = currentInfo.identity?.kind === "agent" ? currentInfo.identity.role : undefined;
  const csr = await createCertificateRequest({ host, role, key });
  const signedAt = (params.now ?? new Date()).getTime();
  const signature = signRenewalProof(params.current.keyPem, renewalProofMessage(host, csr, signedAt));
  return { keyPem, request: { certificate: params.current.certPem, csr, signedAt, signature } };
}

/** True once `now` has reached the renewal point (2/3 of the lifetime by default). */
export function renewalDue(certPem: string, now: Date, fraction = DEFAULT_RENEW_FRACTION): boolean {
  return now.getTime() >= renewalTime(inspectCertificate(certPem), fraction).getTime();
}
