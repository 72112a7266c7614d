import { X509Certificate } from "node:crypto";
import { AGENT_ROLES, type Identity, parseIdentityUri } from "@lvsfleet/pki/light";

/** What one side learns about a certificate: enough for identity and revocation checks. */
export interface CertificateSummary {
  identity: Identity | undefined;
  /** Lower-case hex without leading zeros, as the PKI records serials. */
  serial: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
}

/**
 * Reads a certificate (DER or PEM) with node:crypto only: the lvsfleet identity from its single
 * spiffe:// URI SAN (plus the role marker in the subject OU), serial and validity. Throws when unreadable.
 */
export function summarizeCertificate(input: Buffer | string): CertificateSummary {
  const cert = new X509Certificate(input);
  const uris = (cert.subjectAltName ?? "")
    .split(/,\s*/)
    .filter((name) => name.startsWith("URI:"))
    .map((name) => name.slice(4));
  const ours = uris.filter((uri) => uri.startsWith("spiffe://"));
  let identity = ours.length === 1 ? parseIdentityUri(ours[0] as string) : undefined;
  if (identity?.kind === "agent") {
    const units = cert.subject
      .split("\n")
      .filter((line) => line.startsWith("OU="))
      .map((line) => line.slice(3));
    const role = AGENT_ROLES.find((r) => units.includes(r));
    if (role) identity = { ...identity, role };
  }
  return {
    identity,
    serial: cert.serialNumber.toLowerCase().replace(/^0+(?=.)/, ""),
    subject: cert.subject,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
  };
}
