import { join } from "node:path";
import { CertificateAuthority } from "./ca.ts";
import { PkiError } from "./errors.ts";
import {
  checkSecretFileMode,
  ensurePrivateDir,
  PUBLIC_FILE_MODE,
  readIfExists,
  SECRET_FILE_MODE,
  writeFileAtomic,
} from "./files.ts";

export const CA_KEY_FILE = "ca.key";
export const CA_CERT_FILE = "ca.crt";

export interface LoadedCa {
  ca: CertificateAuthority;
  /** True when this call generated the CA (first start). */
  created: boolean;
  certFile: string;
  keyFile: string;
}

/**
 * The server's CA in `dir` (`<data dir>/pki`): loaded if it is there, generated on first start otherwise.
 * `ca.key` is written 0600 and `ca.crt` 0644 in a 0700 directory; an existing key with looser permissions
 * is refused. A key without its certificate (or the reverse) is an error, never silently replaced.
 */
export async function loadOrCreateCa(
  dir: string,
  options: { commonName?: string; lifetimeMs?: number; now?: Date } = {},
): Promise<LoadedCa> {
  const keyFile = join(dir, CA_KEY_FILE);
  const certFile = join(dir, CA_CERT_FILE);
  await ensurePrivateDir(dir);
  const [keyPem, certPem] = await Promise.all([readIfExists(keyFile), readIfExists(certFile)]);
  if (keyPem !== undefined && certPem !== undefined) {
    await checkSecretFileMode(keyFile, "ca key");
    return { ca: await CertificateAuthority.fromPem(certPem, keyPem), created: false, certFile, keyFile };
  }
  if (keyPem !== undefined || certPem !== undefined)
    throw new PkiError(
      "ca-files",
      "ca",
      `${dir} has ${keyPem !== undefined ? CA_KEY_FILE : CA_CERT_FILE} but not ${keyPem !== undefined ? CA_CERT_FILE : CA_KEY_FILE}; restore it or remove both to start a new CA (every agent must then enroll again)`,
    );
  const { ca, keyPem: newKey } = await CertificateAuthority.create(options);
  await writeFileAtomic(keyFile, newKey, SECRET_FILE_MODE);
  await writeFileAtomic(certFile, ca.pem, PUBLIC_FILE_MODE);
  return { ca, created: true, certFile, keyFile };
}

/** An operator-supplied CA (`--ca-cert`, `--ca-key`): used as is, never written; its key file must be 0600 or stricter. */
export async function loadCaFiles(certFile: string, keyFile: string): Promise<LoadedCa> {
  const [certPem, keyPem] = await Promise.all([readIfExists(certFile), readIfExists(keyFile)]);
  if (certPem === undefined) throw new PkiError("ca-files", "ca certificate", `${certFile} does not exist`);
  if (keyPem === undefined) throw new PkiError("ca-files", "ca key", `${keyFile} does not exist`);
  await checkSecretFileMode(keyFile, "ca key");
  return { ca: await CertificateAuthority.fromPem(certPem, keyPem), created: false, certFile, keyFile };
}
