import { createHash, createPublicKey, sign, verify } from "node:crypto";
import { PkiError } from "./errors.ts";
import { x509 } from "./x509.ts";

/** Agents renew at 2/3 of their certificate's lifetime: 20 days into 30, leaving 10 days to retry. */
export const DEFAULT_RENEW_FRACTION = 2 / 3;
/** A renewal proof older or newer than this is refused (limits replay of a captured request). */
export const RENEWAL_PROOF_WINDOW_MS = 5 * 60_000;

/** When a certificate valid from notBefore to notAfter should be renewed. */
export function renewalTime(validity: { notBefore: Date; notAfter: Date }, fraction = DEFAULT_RENEW_FRACTION): Date {
  const start = validity.notBefore.getTime();
  return new Date(start + (validity.notAfter.getTime() - start) * fraction);
}

/**
 * The bytes an agent signs with its *current* key to prove that the renewal request (and the new CSR,
 * possibly for a new key) comes from the holder of the certificate being renewed.
 */
export function renewalProofMessage(host: string, csrPem: string, signedAt: number): Buffer {
  const der = Buffer.from(x509.PemConverter.decodeFirst(csrPem));
  const csrDigest = createHash("sha256").update(der).digest("hex");
  return Buffer.from(`lvsfleet-renew-v1\n${host}\n${csrDigest}\n${signedAt}`, "utf8");
}

/** Signs a renewal proof (ECDSA signatures in IEEE P1363 form, base64). */
export function signRenewalProof(keyPem: string, message: Buffer): string {
  return sign("sha256", message, { key: keyPem, dsaEncoding: "ieee-p1363" }).toString("base64");
}

/** Verifies a renewal proof against the public key of the certificate being renewed. */
export function verifyRenewalProof(certificatePem: string, message: Buffer, signature: string): void {
  let ok = false;
  try {
    const key = createPublicKey(certificatePem);
    ok = verify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, Buffer.from(signature, "base64"));
  } catch {
    ok = false;
  }
  if (!ok)
    throw new PkiError("bad-proof", "signature", "does not verify with the key of the certificate being renewed");
}
