import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { createSecureContext } from "node:tls";

/** Where an operator's HTTPS certificate lives (LVSFLEET_TLS_CERT, LVSFLEET_TLS_KEY, LVSFLEET_TLS_CHAIN). */
export interface OperatorCertificateFiles {
  cert: string;
  key: string;
  /** Intermediate certificates, when the certificate file does not already end with them. */
  chain?: string | undefined;
}

/** What the API serves: the key and the certificate chain (leaf first), PEM. */
export interface ServedCertificate {
  keyPem: string;
  certPem: string;
  notAfter: Date;
}

/** A file that cannot serve: `field` is the setting that names it (LVSFLEET_TLS_CERT…). */
export class OperatorCertificateError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = "OperatorCertificateError";
  }
}

const CERTIFICATE_PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function read(path: string, field: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "this user may not read it"
          : code === "EISDIR"
            ? "is a directory"
            : (error as Error).message;
    throw new OperatorCertificateError(field, `${path}: ${why}`);
  }
}

function certificates(text: string, path: string, field: string): X509Certificate[] {
  const blocks = text.match(CERTIFICATE_PEM) ?? [];
  if (blocks.length === 0) throw new OperatorCertificateError(field, `${path} holds no PEM certificate`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new OperatorCertificateError(
        field,
        `${path}: certificate ${i + 1} is not readable (${(error as Error).message})`,
      );
    }
  });
}

function privateKey(text: string, path: string, field: string): KeyObject {
  if (/ENCRYPTED/.test(text))
    throw new OperatorCertificateError(
      field,
      `${path} is encrypted with a passphrase: give the key unencrypted (mode 0600)`,
    );
  try {
    return createPrivateKey(text);
  } catch (error) {
    throw new OperatorCertificateError(field, `${path} holds no readable private key (${(error as Error).message})`);
  }
}

/**
 * Reads and checks an operator's certificate, key and chain: readable, PEM, the key not readable by
 * everyone (group-readable is fine: the ssl-cert group pattern), the key belongs to the certificate,
 * valid now, and OpenSSL accepts the pair. Throws an OperatorCertificateError naming the setting.
 */
export function readOperatorCertificate(files: OperatorCertificateFiles, now = new Date()): ServedCertificate {
  const certText = read(files.cert, "LVSFLEET_TLS_CERT");
  const keyText = read(files.key, "LVSFLEET_TLS_KEY");
  const chainText = files.chain === undefined ? "" : read(files.chain, "LVSFLEET_TLS_CHAIN");
  if ((statSync(files.key).mode & 0o004) !== 0)
    throw new OperatorCertificateError(
      "LVSFLEET_TLS_KEY",
      `${files.key} holds the HTTPS private key and everyone may read it: chmod o-r (0600 or 0640)`,
    );
  const [leaf, ...bundled] = certificates(certText, files.cert, "LVSFLEET_TLS_CERT");
  const chain = files.chain === undefined ? [] : certificates(chainText, files.chain, "LVSFLEET_TLS_CHAIN");
  const key = privateKey(keyText, files.key, "LVSFLEET_TLS_KEY");
  if (!leaf!.checkPrivateKey(key))
    throw new OperatorCertificateError(
      "LVSFLEET_TLS_KEY",
      `${files.key} is not the key of the certificate in ${files.cert} (${leaf!.subject.replace(/\n/g, ", ")})`,
    );
  const notBefore = new Date(leaf!.validFrom);
  const notAfter = new Date(leaf!.validTo);
  if (now > notAfter)
    throw new OperatorCertificateError("LVSFLEET_TLS_CERT", `${files.cert} expired at ${notAfter.toISOString()}`);
  if (now < notBefore)
    throw new OperatorCertificateError(
      "LVSFLEET_TLS_CERT",
      `${files.cert} is not valid before ${notBefore.toISOString()} (is this host's clock right?)`,
    );
  const keyPem = key.export({ format: "pem", type: "pkcs8" }).toString();
  const certPem = [leaf!, ...bundled, ...chain].map((c) => c.toString().trim()).join("\n");
  try {
    createSecureContext({ key: keyPem, cert: certPem });
  } catch (error) {
    throw new OperatorCertificateError("LVSFLEET_TLS_CERT", `${files.cert}: ${(error as Error).message}`);
  }
  return { keyPem, certPem: `${certPem}\n`, notAfter };
}
