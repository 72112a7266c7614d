import { createHash, createPublicKey, sign, verify } from "node:crypto";
import { PkiError } from "./errors.ts";
import { x509 } from "./x509.ts";

export { DEFAULT_RENEW_FRACTION, RENEWAL_PROOF_WINDOW_MS, renewalTime } from "./renewal-time.ts";

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
