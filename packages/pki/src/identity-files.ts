import { join } from "node:path";
import type { CertificateAuthority } from "./ca.ts";
import { type CertificateInfo, inspectCertificate, splitPemCertificates } from "./certificate.ts";
import { PkiError } from "./errors.ts";
import {
  checkSecretFileMode,
  ensurePrivateDir,
  PUBLIC_FILE_MODE,
  readIfExists,
  SECRET_FILE_MODE,
  writeFileAtomic,
} from "./files.ts";
import { generateSigningKey, importSigningKey, privateKeyToPem } from "./keys.ts";
import type { TlsMaterial } from "./material.ts";
import { DEFAULT_RENEW_FRACTION, renewalTime } from "./renewal.ts";

/**
 * On-disk layout of one side's identity, in a 0700 directory:
 *   <name>.pem  private key + certificate in ONE file (0600), so a rotation swaps both with one rename
 *               and a crash can never pair a new key with an old certificate;
 *   ca.crt      the CA certificate(s) this side trusts (0644) — agents only; the server has its CA.
 */
export const AGENT_IDENTITY_NAME = "agent";
export const SERVER_IDENTITY_NAME = "server";
export const TRUSTED_CA_FILE = "ca.crt";

const PRIVATE_KEY = /-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:EC |RSA )?PRIVATE KEY-----/;

export function identityFile(dir: string, name: string): string {
  return join(dir, `${name}.pem`);
}

/** Writes key + certificate (and, when given, the trusted CA) atomically with the right modes. */
export async function saveIdentity(
  dir: string,
  name: string,
  material: { keyPem: string; certPem: string; caPem?: string },
): Promise<void> {
  await ensurePrivateDir(dir);
  if (material.caPem !== undefined) await writeFileAtomic(join(dir, TRUSTED_CA_FILE), material.caPem, PUBLIC_FILE_MODE);
  const bundle = `${material.keyPem.trim()}\n${material.certPem.trim()}\n`;
  await writeFileAtomic(identityFile(dir, name), bundle, SECRET_FILE_MODE);
}

/** Reads `<name>.pem` (and `ca.crt` unless `caPem` is given); undefined when the identity file does not exist. */
export async function loadIdentity(dir: string, name: string, caPem?: string): Promise<TlsMaterial | undefined> {
  const path = identityFile(dir, name);
  const bundle = await readIfExists(path);
  if (bundle === undefined) return undefined;
  await checkSecretFileMode(path, `${name} identity`);
  const keyPem = bundle.match(PRIVATE_KEY)?.[0];
  const certs = splitPemCertificates(bundle);
  if (!keyPem || certs.length === 0)
    throw new PkiError("ca-files", `${name} identity`, `${path} must hold a private key and a certificate`);
  const ca = caPem ?? (await readIfExists(join(dir, TRUSTED_CA_FILE)));
  if (ca === undefined) throw new PkiError("ca-files", "ca", `${join(dir, TRUSTED_CA_FILE)} does not exist`);
  return { keyPem: `${keyPem}\n`, certPem: `${certs.join("\n")}\n`, caPem: ca };
}

/** Same names, in any order (DNS names compared case-insensitively). */
function sameNames(info: CertificateInfo, dnsNames: readonly string[], ipAddresses: readonly string[]): boolean {
  const key = (dns: readonly string[], ips: readonly string[]) =>
    JSON.stringify([[...new Set(dns.map((n) => n.toLowerCase()))].sort(), [...new Set(ips)].sort()]);
  return key(info.dnsNames, info.ipAddresses) === key(dnsNames, ipAddresses);
}

/**
 * The server's own certificate in `dir` (next to the CA): loaded, or (first start, or renewal due, or
 * issued by another CA, or — when `dnsNames`/`ipAddresses` are given — for other names than those)
 * re-issued with a NEW key and written atomically. IPv6 addresses must be given compressed (RFC 5952),
 * as the certificate stores them. Call it at start and then
 * periodically (hourly is plenty); when `renewed` is true, push `material` into the credentials'
 * TlsIdentitySource: new connections use the new certificate, open ones keep going.
 */
export async function ensureServerIdentity(params: {
  dir: string;
  ca: CertificateAuthority;
  now?: Date;
  lifetimeMs?: number;
  renewFraction?: number;
  dnsNames?: string[];
  ipAddresses?: string[];
}): Promise<{ material: TlsMaterial; info: CertificateInfo; renewAt: Date; renewed: boolean }> {
  const now = params.now ?? new Date();
  const fraction = params.renewFraction ?? DEFAULT_RENEW_FRACTION;
  const existing = await loadIdentity(params.dir, SERVER_IDENTITY_NAME, params.ca.pem);
  if (existing) {
    const info = inspectCertificate(existing.certPem);
    const renewAt = renewalTime(info, fraction);
    const key = await importSigningKey(existing.keyPem, "server key");
    const ours = info.issuer === params.ca.certificate.subject && key.publicKeyPin === info.publicKeyPin;
    const names =
      (params.dnsNames === undefined && params.ipAddresses === undefined) ||
      sameNames(info, params.dnsNames ?? [], params.ipAddresses ?? []);
    if (ours && names && info.identity?.kind === "server" && now < renewAt)
      return { material: existing, info, renewAt, renewed: false };
  }
  const key = await generateSigningKey();
  const issued = await params.ca.issueServerCertificate({
    publicKey: key.keys.publicKey,
    dnsNames: params.dnsNames,
    ipAddresses: params.ipAddresses,
    lifetimeMs: params.lifetimeMs,
    now,
  });
  const material: TlsMaterial = {
    keyPem: await privateKeyToPem(key.keys.privateKey),
    certPem: issued.pem,
    caPem: params.ca.pem,
  };
  await saveIdentity(params.dir, SERVER_IDENTITY_NAME, { keyPem: material.keyPem, certPem: material.certPem });
  return { material, info: issued.info, renewAt: renewalTime(issued.info, fraction), renewed: true };
}
