import { inspectCertificate, splitPemCertificates } from "./certificate.ts";
import { PkiError } from "./errors.ts";

/**
 * The CA certificate, out of a PEM text from an unauthenticated source (the server's `GET /v1/pki/ca`
 * fetched before the agent trusts anything), whose public key has the pin the operator gave
 * (`--ca-pin sha256:<hex>`). Only that one certificate is returned, so nothing else in the text
 * (another CA a man in the middle added to a bundle) becomes trusted. A certificate is not a secret;
 * its key is: nobody can make another CA with the same pin.
 */
export function pinnedCaCertificate(pem: string, caPin: string, field = "ca"): string {
  const pin = caPin.toLowerCase();
  for (const text of splitPemCertificates(pem).slice(0, 8)) {
    let info: ReturnType<typeof inspectCertificate>;
    try {
      info = inspectCertificate(text, field);
    } catch {
      continue;
    }
    if (info.publicKeyPin === pin && info.isCa) return info.pem;
  }
  throw new PkiError(
    "invalid-certificate",
    field,
    `holds no CA certificate with the pin ${caPin}: refusing a CA that is not the server's (check --ca-pin against the join token's caPin)`,
  );
}
