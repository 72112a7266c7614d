import { randomBytes } from "node:crypto";
import type { AgentRole } from "@lvsfleet/model";
import { type CertificateInfo, inspectCertificate, parseCertificate } from "./certificate.ts";
import type { CertificateRequestInfo } from "./csr.ts";
import { agentSubject } from "./csr.ts";
import { PkiError } from "./errors.ts";
import { type Identity, identityUri } from "./identity.ts";
import { generateSigningKey, importSigningKey, privateKeyToPem, type SigningKey } from "./keys.ts";
import { type CryptoKey, x509 } from "./x509.ts";

const DAY = 86_400_000;
export const DEFAULT_CA_LIFETIME_MS = 3650 * DAY;
/** Agent and server certificates live 30 days and are renewed at 2/3 of that (day 20). */
export const DEFAULT_LEAF_LIFETIME_MS = 30 * DAY;
/** notBefore is set this far in the past so a peer whose clock is a little behind accepts a fresh certificate. */
export const CLOCK_SKEW_MS = 5 * 60_000;

export type KeyPurpose = "serverAuth" | "clientAuth";
const PURPOSE_OID: Record<KeyPurpose, string> = {
  serverAuth: x509.ExtendedKeyUsage.serverAuth,
  clientAuth: x509.ExtendedKeyUsage.clientAuth,
};

/** Everything the CA needs to issue one leaf certificate. Policy lives in the callers below. */
export interface IssueParams {
  identity: Identity;
  /** The subject's public key (from its CSR, or the server's own key). */
  publicKey: x509.PublicKey | CryptoKey;
  subject: string;
  dnsNames: string[];
  ipAddresses?: string[];
  purposes: KeyPurpose[];
  lifetimeMs: number;
  now: Date;
}

export interface IssuedCertificate {
  pem: string;
  info: CertificateInfo;
}

/** 16 random bytes, positive and without a leading zero byte (RFC 5280 4.1.2.2: at most 20 octets). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString("hex");
}

/**
 * The lvsfleet certificate authority: signs agent certificates (identity = host name) and the server's
 * own certificate. It never copies anything from a CSR except the public key: names, usages and
 * lifetime come from policy.
 */
export class CertificateAuthority {
  readonly certificate: x509.X509Certificate;
  /** The CA certificate, PEM; what agents and the server trust. */
  readonly pem: string;
  /** `sha256:<hex>` of the CA public key: agents pin it when they enroll. */
  readonly pin: string;
  private readonly key: SigningKey;

  private constructor(certificate: x509.X509Certificate, key: SigningKey) {
    this.certificate = certificate;
    this.pem = certificate.toString("pem");
    this.key = key;
    this.pin = key.publicKeyPin;
  }

  /** A new self-signed CA with an ECDSA P-256 key. Returns the key PEM once, for the caller to store at 0600. */
  static async create(
    options: { commonName?: string; lifetimeMs?: number; now?: Date } = {},
  ): Promise<{ ca: CertificateAuthority; keyPem: string }> {
    const now = options.now ?? new Date();
    const key = await generateSigningKey();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: `CN=${options.commonName ?? `lvsfleet CA ${now.toISOString().slice(0, 10)}`}, O=lvsfleet`,
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter: new Date(now.getTime() + (options.lifetimeMs ?? DEFAULT_CA_LIFETIME_MS)),
      keys: key.keys,
      signingAlgorithm: key.signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(key.keys.publicKey),
      ],
    });
    return { ca: new CertificateAuthority(certificate, key), keyPem: await privateKeyToPem(key.keys.privateKey) };
  }

  /**
   * An existing CA (lvsfleet's own, or one the operator supplies): the certificate must be a CA
   * certificate and the key must be its key.
   */
  static async fromPem(certificatePem: string, keyPem: string): Promise<CertificateAuthority> {
    const certificate = parseCertificate(certificatePem, "ca certificate");
    const info = inspectCertificate(certificate);
    if (!info.isCa)
      throw new PkiError("ca-files", "ca certificate", "is not a CA certificate (basicConstraints CA:TRUE is missing)");
    const key = await importSigningKey(keyPem, "ca key");
    if (key.publicKeyPin !== info.publicKeyPin)
      throw new PkiError("ca-files", "ca key", "does not belong to the CA certificate");
    return new CertificateAuthority(certificate, key);
  }

  get notAfter(): Date {
    return this.certificate.notAfter;
  }

  /** Signs a leaf certificate. Its lifetime is cut to the CA's own. */
  async issue(params: IssueParams): Promise<IssuedCertificate> {
    const notAfter = new Date(Math.min(params.now.getTime() + params.lifetimeMs, this.certificate.notAfter.getTime()));
    if (notAfter.getTime() <= params.now.getTime())
      throw new PkiError("expired", "ca certificate", `expired at ${this.certificate.notAfter.toISOString()}`);
    const names: x509.JsonGeneralName[] = [
      ...params.dnsNames.map((value) => ({ type: "dns" as const, value })),
      ...(params.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
      { type: "url", value: identityUri(params.identity) },
    ];
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: params.subject,
      issuer: this.certificate.subjectName,
      notBefore: new Date(params.now.getTime() - CLOCK_SKEW_MS),
      notAfter,
      publicKey: params.publicKey,
      signingKey: this.key.keys.privateKey,
      signingAlgorithm: this.key.signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(
          params.purposes.map((p) => PURPOSE_OID[p]),
          false,
        ),
        new x509.SubjectAlternativeNameExtension(names, false),
        await x509.SubjectKeyIdentifierExtension.create(params.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.key.keys.publicKey),
      ],
    });
    return { pem: certificate.toString("pem"), info: inspectCertificate(certificate) };
  }

  /**
   * An agent's certificate for the host its request asks for. serverAuth only: an agent serves gRPC and
   * never dials anyone with its certificate, so it cannot pose as a client (least privilege).
   */
  issueAgentCertificate(params: {
    request: CertificateRequestInfo;
    role?: AgentRole | undefined;
    lifetimeMs?: number;
    now: Date;
  }): Promise<IssuedCertificate> {
    const host = params.request.identity.host;
    return this.issue({
      identity: { kind: "agent", host },
      publicKey: params.request.publicKey,
      subject: agentSubject(host, params.role),
      dnsNames: [host],
      purposes: ["serverAuth"],
      lifetimeMs: params.lifetimeMs ?? DEFAULT_LEAF_LIFETIME_MS,
      now: params.now,
    });
  }

  /**
   * The lvsfleet server's certificate (URI SAN spiffe://lvsfleet/server): clientAuth to dial agents,
   * serverAuth so the same certificate can serve HTTPS on the names given.
   */
  issueServerCertificate(params: {
    publicKey: x509.PublicKey | CryptoKey;
    dnsNames?: string[];
    ipAddresses?: string[];
    lifetimeMs?: number;
    now: Date;
  }): Promise<IssuedCertificate> {
    return this.issue({
      identity: { kind: "server" },
      publicKey: params.publicKey,
      subject: "CN=lvsfleet server, O=lvsfleet",
      dnsNames: params.dnsNames ?? [],
      ipAddresses: params.ipAddresses ?? [],
      purposes: ["clientAuth", "serverAuth"],
      lifetimeMs: params.lifetimeMs ?? DEFAULT_LEAF_LIFETIME_MS,
      now: params.now,
    });
  }
}
