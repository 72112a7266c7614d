import { createHash, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { PkiError } from "./errors.ts";
import { type CryptoKey, type CryptoKeyPair, subtle, x509 } from "./x509.ts";

/** Keys lvsfleet generates: ECDSA P-256 (small, fast, supported by every TLS stack that matters). */
const GENERATED = { name: "ECDSA", namedCurve: "P-256" } as const;

/** A key pair ready to sign certificates or requests, with the algorithm to sign with. */
export interface SigningKey {
  keys: CryptoKeyPair;
  /** WebCrypto signing parameters for this key (ECDSA with the curve's hash, or RSASSA-PKCS1-v1_5/SHA-256). */
  signingAlgorithm: { name: string; hash: string };
  /** `sha256:<hex>` of the public key's SubjectPublicKeyInfo. */
  publicKeyPin: string;
}

const EC_CURVES: Record<string, { namedCurve: string; hash: string }> = {
  prime256v1: { namedCurve: "P-256", hash: "SHA-256" },
  secp384r1: { namedCurve: "P-384", hash: "SHA-384" },
  secp521r1: { namedCurve: "P-521", hash: "SHA-512" },
};
const MIN_RSA_BITS = 2048;

/** `sha256:<hex>` of a DER SubjectPublicKeyInfo: what operators pin (like kubeadm's CA cert hash). */
export function publicKeyPin(spkiDer: ArrayBuffer | Uint8Array): string {
  const bytes = spkiDer instanceof Uint8Array ? spkiDer : new Uint8Array(spkiDer);
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * Which WebCrypto algorithm a Node key object needs, or a PkiError naming `field` when lvsfleet does not
 * accept that kind of key (EC P-256/P-384/P-521 and RSA of 2048 bits or more are accepted).
 */
function algorithmOf(key: KeyObject, field: string): { importParams: object; signing: { name: string; hash: string } } {
  if (key.asymmetricKeyType === "ec") {
    const curve = EC_CURVES[key.asymmetricKeyDetails?.namedCurve ?? ""];
    if (!curve)
      throw new PkiError(
        "unsupported-key",
        field,
        `EC curve ${key.asymmetricKeyDetails?.namedCurve ?? "?"} is not supported (use P-256 or P-384)`,
      );
    return {
      importParams: { name: "ECDSA", namedCurve: curve.namedCurve },
      signing: { name: "ECDSA", hash: curve.hash },
    };
  }
  if (key.asymmetricKeyType === "rsa") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS)
      throw new PkiError("unsupported-key", field, `RSA key of ${bits} bits is too short (at least ${MIN_RSA_BITS})`);
    return {
      importParams: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      signing: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    };
  }
  throw new PkiError(
    "unsupported-key",
    field,
    `${key.asymmetricKeyType ?? "unknown"} keys are not supported (use EC P-256 or RSA)`,
  );
}

/** Checks that a DER public key (from a CSR or certificate) is of a kind lvsfleet accepts. */
export function checkPublicKey(spkiDer: ArrayBuffer | Uint8Array, field: string): void {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spkiDer as ArrayBuffer), format: "der", type: "spki" });
  } catch (error) {
    throw new PkiError("unsupported-key", field, `public key cannot be read (${(error as Error).message})`);
  }
  algorithmOf(key, field);
}

/** A fresh ECDSA P-256 key pair. It is extractable only so that its owner can write it to a 0600 file. */
export async function generateSigningKey(): Promise<SigningKey> {
  const keys = (await subtle.generateKey(GENERATED, true, ["sign", "verify"])) as CryptoKeyPair;
  const spki = await subtle.exportKey("spki", keys.publicKey);
  return { keys, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" }, publicKeyPin: publicKeyPin(spki) };
}

/** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), as TLS stacks and openssl read it. */
export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = await subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

/**
 * Reads a private key PEM in any form openssl writes (PKCS#8, SEC1 `EC PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY`)
 * and derives its public half. Errors name `field`; they never echo the key.
 */
export async function importSigningKey(pem: string, field: string): Promise<SigningKey> {
  let privateObject: KeyObject;
  try {
    privateObject = createPrivateKey({ key: pem, format: "pem" });
  } catch {
    throw new PkiError("invalid-input", field, "is not a readable, unencrypted private key in PEM form");
  }
  const { importParams, signing } = algorithmOf(privateObject, field);
  const pkcs8 = privateObject.export({ type: "pkcs8", format: "der" });
  const spki = createPublicKey(privateObject).export({ type: "spki", format: "der" });
  const privateKey = await subtle.importKey("pkcs8", pkcs8, importParams as never, true, ["sign"]);
  const publicKey = await subtle.importKey("spki", spki, importParams as never, true, ["verify"]);
  return { keys: { privateKey, publicKey }, signingAlgorithm: signing, publicKeyPin: publicKeyPin(spki) };
}
