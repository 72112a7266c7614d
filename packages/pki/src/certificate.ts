import { PkiError } from "./errors.ts";
import { AGENT_ROLES, type Identity, parseIdentityUri } from "./identity.ts";
import { publicKeyPin } from "./keys.ts";
import { x509 } from "./x509.ts";

/** What lvsfleet reads from a certificate. */
export interface CertificateInfo {
  /** Lower-case hex, as `openssl x509 -serial` prints it (without leading zeros stripped). */
  serial: string;
  subject: string;
  issuer: string;
  /** The lvsfleet identity in the URI SAN, if the certificate has exactly one. */
  identity: Identity | undefined;
  dnsNames: string[];
  /** IP address SANs, as the X.509 library prints them (IPv6 compressed, RFC 5952). */
  ipAddresses: string[];
  uris: string[];
  notBefore: Date;
  notAfter: Date;
  publicKeyPin: string;
  isCa: boolean;
  pem: string;
}

const BASIC_CONSTRAINTS = "2.5.29.19";
const SUBJECT_ALT_NAME = "2.5.29.17";

/** The certificates in a PEM bundle, in order. */
export function splitPemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

export function parseCertificate(input: string | Uint8Array, field = "certificate"): x509.X509Certificate {
  try {
    return new x509.X509Certificate(typeof input === "string" ? input : new Uint8Array(input));
  } catch (error) {
    throw new PkiError("invalid-certificate", field, `is not an X.509 certificate (${(error as Error).message})`);
  }
}

/** Names in a SubjectAlternativeName extension, or none; names of kinds the library cannot read count as none. */
export function subjectAltNames(extension: x509.Extension | null): {
  dns: string[];
  ips: string[];
  uris: string[];
  unreadable: boolean;
} {
  if (!extension) return { dns: [], ips: [], uris: [], unreadable: false };
  try {
    const names = new x509.SubjectAlternativeNameExtension(extension.rawData).names.toJSON();
    return {
      dns: names.filter((n) => n.type === "dns").map((n) => n.value),
      ips: names.filter((n) => n.type === "ip").map((n) => n.value),
      uris: names.filter((n) => n.type === "url").map((n) => n.value),
      unreadable: false,
    };
  } catch {
    return { dns: [], ips: [], uris: [], unreadable: true };
  }
}

/**
 * The lvsfleet identity a set of names and a subject speak for: exactly one URI in this trust domain
 * (two would be ambiguous, so they count as none), the role from the subject OU for agents.
 */
export function identityFromNames(uris: string[], subject: x509.Name): Identity | undefined {
  const ours = uris.filter((uri) => uri.startsWith("spiffe://"));
  if (ours.length !== 1) return undefined;
  const identity = parseIdentityUri(ours[0]!);
  if (identity?.kind !== "agent") return identity;
  const role = AGENT_ROLES.find((r) => subject.getField("OU").includes(r));
  return role ? { ...identity, role } : identity;
}

export function inspectCertificate(
  input: string | Uint8Array | x509.X509Certificate,
  field = "certificate",
): CertificateInfo {
  const cert = input instanceof x509.X509Certificate ? input : parseCertificate(input, field);
  const names = subjectAltNames(cert.getExtension(SUBJECT_ALT_NAME));
  const basic = cert.getExtension(BASIC_CONSTRAINTS);
  return {
    serial: cert.serialNumber.toLowerCase(),
    subject: cert.subject,
    issuer: cert.issuer,
    identity: names.unreadable ? undefined : identityFromNames(names.uris, cert.subjectName),
    dnsNames: names.dns,
    ipAddresses: names.ips,
    uris: names.uris,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    publicKeyPin: publicKeyPin(cert.publicKey.rawData),
    isCa: basic ? new x509.BasicConstraintsExtension(basic.rawData).ca : false,
    pem: cert.toString("pem"),
  };
}

/** The identity of a DER or PEM certificate, or undefined for anything unreadable. Never throws. */
export function identityOfCertificate(input: string | Uint8Array): Identity | undefined {
  try {
    return inspectCertificate(input).identity;
  } catch {
    return undefined;
  }
}

/**
 * Checks that `cert` was signed by `issuer` and is valid at `now`. Errors name `field`.
 * (TLS does this during the handshake; the PKI needs it for renewal requests and enrollment answers.)
 */
export async function verifyIssuedBy(
  cert: x509.X509Certificate,
  issuer: x509.X509Certificate,
  now: Date,
  field: string,
): Promise<void> {
  const signed =
    cert.issuer === issuer.subject && (await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true }));
  if (!signed) throw new PkiError("invalid-certificate", field, "was not issued by this lvsfleet CA");
  if (now.getTime() < cert.notBefore.getTime())
    throw new PkiError("expired", field, `is not valid before ${cert.notBefore.toISOString()}`);
  if (now.getTime() > cert.notAfter.getTime())
    throw new PkiError("expired", field, `expired at ${cert.notAfter.toISOString()}`);
}
