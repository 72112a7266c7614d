import { createCipheriv, createDecipheriv, X509Certificate as NodeX509, randomBytes } from "node:crypto";
import { PkiError } from "@lvsfleet/pki";
import { z } from "zod";

/**
 * The fleet's CA as Redis keeps it: the certificate (public) and, when the servers have the CA
 * encryption key, the CA private key sealed with AES-256-GCM (node:crypto: OpenSSL's AEAD, nothing
 * to add). The record's own key in Redis (`<prefix>:pki:ca`) and the certificate are the additional
 * authenticated data, so a sealed key only opens where it was stored and with the certificate it was
 * sealed with: a record copied from another fleet (another prefix) that shares the encryption key is
 * refused. Version 1 records (before the binding) are still read, and kept as version 1 (servers of the
 * previous release read only those) until the operator upgrades the record (LVSFLEET_CA_RECORD_UPGRADE).
 * Without the encryption key only the certificate is kept: the key never reaches Redis in clear.
 */
const ALGORITHM = "aes-256-gcm";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const AAD_LABEL_V1 = "lvsfleet fleet CA key v1\n";
const AAD_LABEL_V2 = "lvsfleet fleet CA key v2\n";

const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: "must be base64" });

export const SealedCaKey = z.strictObject({
  alg: z.literal(ALGORITHM),
  /** 12 bytes: 16 characters of base64. */
  iv: Base64.length(16, { error: "must be the 12-byte IV in base64 (16 characters)" }),
  /** 16 bytes: 24 characters of base64. */
  tag: Base64.length(24, { error: "must be the 16-byte tag in base64 (24 characters)" }),
  data: Base64.min(1),
});
export type SealedCaKey = z.output<typeof SealedCaKey>;

export const StoredFleetCa = z.strictObject({
  /** 2: the sealed key is bound to the record's key in Redis; 1: to the certificate only (read, then sealed again). */
  version: z.union([z.literal(1), z.literal(2)]),
  /** The CA certificate, PEM. */
  certificate: z.string().min(1).max(16_384),
  createdAt: z.number().int(),
  /** The CA private key, sealed; absent when the servers run without LVSFLEET_CA_ENCRYPTION_KEY. */
  sealedKey: SealedCaKey.optional(),
});
export type StoredFleetCa = z.output<typeof StoredFleetCa>;

/** Where a sealed key belongs: the record's key in Redis (version 2), or nowhere in particular (version 1). */
export type SealBinding = { version: 2; recordKey: string } | { version: 1 };

function aad(certificatePem: string, binding: SealBinding): Buffer {
  const label = binding.version === 2 ? `${AAD_LABEL_V2}${binding.recordKey}\n` : AAD_LABEL_V1;
  return Buffer.from(label + certificatePem, "utf8");
}

export function sealCaKey(keyPem: string, certificatePem: string, key: Buffer, binding: SealBinding): SealedCaKey {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(certificatePem, binding));
  const data = Buffer.concat([cipher.update(keyPem, "utf8"), cipher.final()]);
  return {
    alg: ALGORITHM,
    iv: iv.toString("base64"),
    tag: cipher.getAuthTag().toString("base64"),
    data: data.toString("base64"),
  };
}

/**
 * The CA key PEM; a key that is not the one it was sealed with, an altered record, or a record
 * sealed under another record key (another fleet's, copied here) is refused.
 */
export function openCaKey(sealed: SealedCaKey, certificatePem: string, key: Buffer, binding: SealBinding): string {
  try {
    const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(sealed.iv, "base64"), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(certificatePem, binding));
    decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, "base64")), decipher.final()]).toString("utf8");
  } catch {
    throw new PkiError(
      "ca-files",
      "LVSFLEET_CA_ENCRYPTION_KEY",
      `cannot decrypt the fleet's CA key kept in Redis (CA certificate ${caFingerprint(certificatePem)}): this is not the key the fleet's CA was sealed with, or the record was altered or copied from another fleet's prefix; give this server the same key as the other servers`,
    );
  }
}

/** `SHA256 AB:CD:…` of the certificate, as `openssl x509 -noout -fingerprint -sha256` prints it. */
export function caFingerprint(certificatePem: string): string {
  try {
    return `SHA256 ${new NodeX509(certificatePem).fingerprint256}`;
  } catch {
    return "(an unreadable certificate)";
  }
}
