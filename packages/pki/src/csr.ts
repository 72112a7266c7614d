import type { AgentRole } from "@lvsfleet/model";
import { identityFromNames, subjectAltNames } from "./certificate.ts";
import { PkiError } from "./errors.ts";
import { AgentHost, type AgentIdentity, identityUri } from "./identity.ts";
import { checkPublicKey, publicKeyPin, type SigningKey } from "./keys.ts";
import { x509 } from "./x509.ts";

/** A CSR larger than this is refused before parsing (a P-256 CSR is about 500 bytes of PEM). */
export const MAX_CSR_PEM_LENGTH = 16_384;
const SUBJECT_ALT_NAME = "2.5.29.17";

/** Distinguished name for an agent: CN=<host>, OU=<role>, O=lvsfleet. Escapes nothing: hosts are [a-z0-9.-]. */
export function agentSubject(host: string, role: AgentRole | undefined): string {
  return role ? `CN=${host}, OU=${role}, O=lvsfleet` : `CN=${host}, O=lvsfleet`;
}

/**
 * Agent side: a PKCS#10 request for `host`, signed by the agent's own key. Only the request leaves the
 * host; the private key stays where it was generated.
 */
export async function createCertificateRequest(params: {
  host: string;
  role?: AgentRole | undefined;
  key: SigningKey;
}): Promise<string> {
  const host = AgentHost.parse(params.host);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: agentSubject(host, params.role),
    keys: params.key.keys,
    signingAlgorithm: params.key.signingAlgorithm,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: host },
        { type: "url", value: identityUri({ kind: "agent", host }) },
      ]),
    ],
  });
  return csr.toString("pem");
}

/** What the server reads from a verified request. Nothing else in the request is ever copied into a certificate. */
export interface CertificateRequestInfo {
  /** The identity the request asks for (URI SAN, or the CN when there is no URI SAN). */
  identity: AgentIdentity;
  publicKey: x509.PublicKey;
  publicKeyPin: string;
}

/**
 * Server side: parses a CSR, checks its self-signature (proof that the sender holds the private key) and
 * its key type, and reads the identity it asks for. Errors are PkiErrors on field `csr`.
 */
export async function readCertificateRequest(pem: unknown): Promise<CertificateRequestInfo> {
  if (typeof pem !== "string" || pem.length === 0) throw new PkiError("invalid-csr", "csr", "must be a PEM string");
  if (pem.length > MAX_CSR_PEM_LENGTH)
    throw new PkiError("invalid-csr", "csr", `is longer than ${MAX_CSR_PEM_LENGTH} characters`);
  if (!pem.includes("-----BEGIN CERTIFICATE REQUEST-----"))
    throw new PkiError("invalid-csr", "csr", "must be a PEM 'CERTIFICATE REQUEST'");
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch (error) {
    throw new PkiError("invalid-csr", "csr", `cannot be parsed (${(error as Error).message})`);
  }
  checkPublicKey(csr.publicKey.rawData, "csr");
  let signed = false;
  try {
    signed = await csr.verify();
  } catch {
    signed = false;
  }
  if (!signed) throw new PkiError("invalid-csr", "csr", "signature does not verify with the request's own public key");
  const names = subjectAltNames(csr.getExtension(SUBJECT_ALT_NAME));
  const fromUri = names.unreadable ? undefined : identityFromNames(names.uris, csr.subjectName);
  const commonName = csr.subjectName.getField("CN")[0];
  const fromCn = commonName ? AgentHost.safeParse(commonName) : undefined;
  const identity: AgentIdentity | undefined =
    fromUri?.kind === "agent"
      ? fromUri
      : fromUri === undefined && names.uris.length === 0 && fromCn?.success
        ? { kind: "agent", host: fromCn.data }
        : undefined;
  if (!identity)
    throw new PkiError(
      "invalid-csr",
      "csr",
      "must ask for one agent identity (URI SAN spiffe://lvsfleet/agent/<host> or CN=<host>)",
    );
  if (commonName !== undefined && commonName.toLowerCase() !== identity.host)
    throw new PkiError(
      "invalid-csr",
      "csr",
      `CN ${JSON.stringify(commonName)} differs from the URI SAN host ${identity.host}`,
    );
  for (const dns of names.dns)
    if (dns.toLowerCase() !== identity.host)
      throw new PkiError(
        "invalid-csr",
        "csr",
        `dNSName ${JSON.stringify(dns)} differs from the requested host ${identity.host}`,
      );
  return { identity, publicKey: csr.publicKey, publicKeyPin: publicKeyPin(csr.publicKey.rawData) };
}
