import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CA_CERT_FILE,
  CA_KEY_FILE,
  CertificateAuthority,
  loadCaFiles,
  loadOrCreateCa,
  PkiError,
  PUBLIC_FILE_MODE,
  SECRET_DIR_MODE,
} from "@lvsfleet/pki";
import type { Logger } from "pino";
import { caFingerprint, openCaKey, type StoredFleetCa, sealCaKey } from "./ca-sealing.ts";
import type { FleetCaEntry, FleetCaRecord } from "./fleet-ca-record.ts";

/** A CA with its key PEM (to seal it), and where this server got it. */
interface CaCandidate {
  ca: CertificateAuthority;
  keyPem: string;
  /** Names what holds it, for messages: `LVSFLEET_CA_CERT (/etc/…)`, `the data directory (…)`. */
  where: string;
}

export interface OpenedFleetCa {
  ca: CertificateAuthority;
  /** True when this server made the CA (the fleet's first start). */
  created: boolean;
  /** How the CA is shared: `sealed` in Redis, the operator's `files`, or this server's `local` data directory. */
  mode: "sealed" | "files" | "local";
}

/**
 * The one CA of every server sharing the Redis (docs/operations.md, "Several servers: one CA"):
 * - the operator's files (LVSFLEET_CA_CERT/LVSFLEET_CA_KEY): used as they are; refused if the fleet
 *   already has another CA; with the encryption key, also sealed into Redis for the other servers;
 * - LVSFLEET_CA_ENCRYPTION_KEY (or _FILE) alone: the CA is loaded from Redis and decrypted, or on the
 *   fleet's first start made (or taken from this server's data directory, for a server that ran alone
 *   before) and stored with SET NX, so two servers starting at once end with one CA;
 * - neither: today's CA in the data directory; Redis gets its certificate only (never the key), so a
 *   second server with another CA refuses to start instead of issuing certificates nobody trusts.
 */
export async function openFleetCa(options: {
  record: FleetCaRecord;
  /** `<data dir>/pki`. */
  dir: string;
  files?: { cert: string; key: string } | undefined;
  encryptionKey?: Buffer | undefined;
  /** LVSFLEET_CA_RECORD_UPGRADE: seal a version 1 record again as version 2 (once every server reads version 2). */
  upgradeRecord?: boolean | undefined;
  log: Logger;
}): Promise<OpenedFleetCa> {
  const { record, dir, encryptionKey: key, log } = options;
  const stored = await record.read();
  if (options.files) {
    const loaded = await loadCaFiles(options.files.cert, options.files.key);
    const mine: CaCandidate = {
      ca: loaded.ca,
      keyPem: await readFile(options.files.key, "utf8"),
      where: `LVSFLEET_CA_CERT (${options.files.cert})`,
    };
    await adopt(record, stored, mine, key);
    return { ca: mine.ca, created: false, mode: "files" };
  }
  const local = await localCa(dir);
  if (key) {
    const opened = await openSealed(options, key, stored, local);
    // the certificate only (public), where operators and clients found it before (curl --cacert)
    await keepCertificateCopy(record, dir, opened.ca.pem);
    return opened;
  }
  if (stored) {
    if (local) {
      sameCa(local, stored.value);
      return { ca: local.ca, created: false, mode: "local" };
    }
    throw new PkiError(
      "ca-files",
      "fleet CA",
      `the servers sharing this Redis already use a CA (${caFingerprint(stored.value.certificate)}) and this server has none: ${
        stored.value.sealedKey
          ? "set LVSFLEET_CA_ENCRYPTION_KEY (or LVSFLEET_CA_ENCRYPTION_KEY_FILE) to the other servers' key"
          : `give it the fleet's CA files (LVSFLEET_CA_CERT, LVSFLEET_CA_KEY), or restore its data directory; if that CA is lost, delete ${record.key} in Redis to start a new one (every agent must then enroll again)`
      }`,
    );
  }
  log.warn(
    "no LVSFLEET_CA_ENCRYPTION_KEY: this server's CA stays in its data directory and only its certificate goes to Redis; another server sharing the Redis needs the CA files or the key (docs/operations.md, Several servers: one CA)",
  );
  const loaded = await loadOrCreateCa(dir);
  const mine: CaCandidate = {
    ca: loaded.ca,
    keyPem: await readFile(loaded.keyFile, "utf8"),
    where: `the data directory (${dir})`,
  };
  if (!(await record.createIfAbsent(recordOf(record, mine, undefined)))) sameCa(mine, (await record.read())!.value);
  return { ca: mine.ca, created: loaded.created, mode: "local" };
}

/** LVSFLEET_CA_ENCRYPTION_KEY: the CA from Redis, or made and stored on the fleet's first start. */
async function openSealed(
  options: Parameters<typeof openFleetCa>[0],
  key: Buffer,
  stored: FleetCaEntry | undefined,
  local: CaCandidate | undefined,
): Promise<OpenedFleetCa> {
  const { record, log } = options;
  if (stored?.value.sealedKey) {
    const ca = await unseal(record, stored, key, options);
    if (local) sameCa(local, stored.value);
    return { ca, created: false, mode: "sealed" };
  }
  if (stored) {
    // a certificate-only record: the server that holds that CA adds the sealed key
    if (local) {
      await adopt(record, stored, local, key);
      return { ca: local.ca, created: false, mode: "sealed" };
    }
    throw new PkiError(
      "ca-files",
      "fleet CA",
      `Redis holds only the certificate of the fleet's CA (${caFingerprint(stored.value.certificate)}), not its key: start the server that has that CA with LVSFLEET_CA_ENCRYPTION_KEY first (it seals the key into Redis), or give this server the CA files (LVSFLEET_CA_CERT, LVSFLEET_CA_KEY)`,
    );
  }
  if (!local) await refuseLostRecord(record, options.dir);
  const mine = local ?? (await newCa());
  const won = await record.createIfAbsent(recordOf(record, mine, key));
  if (won) {
    log.info({ fingerprint: caFingerprint(mine.ca.pem), pin: mine.ca.pin }, "stored the fleet's CA in Redis, sealed");
    return { ca: mine.ca, created: !local, mode: "sealed" };
  }
  // another server stored its CA first: use that one (this server's new CA was never used)
  const winner = (await record.read())!;
  if (local) sameCa(local, winner.value);
  if (!winner.value.sealedKey) return openFleetCa(options);
  return { ca: await unseal(record, winner, key, options), created: false, mode: "sealed" };
}

/**
 * No record in Redis, no CA key here, but the copy of the fleet's CA certificate a previous run
 * kept: the fleet had a CA and Redis lost it (flushed, restored from an old backup, a fail-over that
 * lost writes). A new CA would silently cut off every enrolled agent: refuse, and say what to do.
 */
async function refuseLostRecord(record: FleetCaRecord, dir: string): Promise<void> {
  const file = join(dir, CA_CERT_FILE);
  if (!existsSync(file)) return;
  const pem = await readFile(file, "utf8");
  throw new PkiError(
    "ca-files",
    "fleet CA",
    `${record.key} is missing from Redis, but this server used the fleet's CA before (${caFingerprint(pem)}, its certificate is in ${file}): Redis lost the record (flushed, restored from an older backup, or a fail-over lost it). Restore ${record.key} from a backup of Redis, or start one server with the CA files (LVSFLEET_CA_CERT, LVSFLEET_CA_KEY) and the encryption key to seal them again; to start a new CA on purpose (every agent must then enroll again), delete ${file}`,
  );
}

/**
 * The copy of the fleet's CA certificate in the data directory. A copy that names another CA means
 * the record in Redis is not the CA this server used before (replaced with an older or another
 * fleet's record): refused as a lost record is, not overwritten.
 */
async function keepCertificateCopy(record: FleetCaRecord, dir: string, pem: string): Promise<void> {
  const file = join(dir, CA_CERT_FILE);
  if (existsSync(file)) {
    const previous = await readFile(file, "utf8");
    if (previous === pem) return;
    throw new PkiError(
      "ca-files",
      "fleet CA",
      `${record.key} in Redis holds CA ${caFingerprint(pem)}, but this server used the fleet's CA ${caFingerprint(previous)} before (its certificate is in ${file}): the record was replaced (restored from an older backup, or copied from another fleet). Restore the fleet's record; if the fleet's CA was changed on purpose, delete ${file} on every server (every agent must enroll again)`,
    );
  }
  await mkdir(dir, { recursive: true, mode: SECRET_DIR_MODE });
  await writeFile(file, pem, { mode: PUBLIC_FILE_MODE });
  await chmod(file, PUBLIC_FILE_MODE);
}

/** Uses `mine` as the fleet's CA: the same as the stored one, or the first one stored. */
async function adopt(
  record: FleetCaRecord,
  stored: FleetCaEntry | undefined,
  mine: CaCandidate,
  key: Buffer | undefined,
): Promise<void> {
  if (!stored) {
    if (await record.createIfAbsent(recordOf(record, mine, key))) return;
    return adopt(record, await record.read(), mine, key);
  }
  sameCa(mine, stored.value);
  if (!key) return;
  // the key must open what is stored (a wrong key is refused even when the files make it unneeded)
  if (stored.value.sealedKey) openStored(record, stored.value, key);
  // the key added to a certificate-only record in the record's own version (servers of the previous release read version 1 only)
  else if (!(await record.replace(stored, recordOf(record, mine, key, stored.value.version))))
    return adopt(record, await record.read(), mine, key);
}

function recordOf(
  record: FleetCaRecord,
  mine: CaCandidate,
  key: Buffer | undefined,
  version: StoredFleetCa["version"] = 2,
): StoredFleetCa {
  const binding = version === 2 ? { version, recordKey: record.key } : { version };
  return {
    version,
    certificate: mine.ca.pem,
    createdAt: Date.now(),
    ...(key ? { sealedKey: sealCaKey(mine.keyPem, mine.ca.pem, key, binding) } : {}),
  };
}

/** The sealed key's PEM, opened under the binding its record's version says. */
function openStored(record: FleetCaRecord, stored: StoredFleetCa, key: Buffer): string {
  const binding = stored.version === 2 ? { version: 2 as const, recordKey: record.key } : { version: 1 as const };
  return openCaKey(stored.sealedKey!, stored.certificate, key, binding);
}

/**
 * The fleet's CA from its record. A version 1 record is read as it is (servers of the previous
 * release read only those) and sealed again as version 2 only when the operator asks, once every
 * server runs this release (LVSFLEET_CA_RECORD_UPGRADE).
 */
async function unseal(
  record: FleetCaRecord,
  entry: FleetCaEntry,
  key: Buffer,
  options: { upgradeRecord?: boolean | undefined; log: Logger },
): Promise<CertificateAuthority> {
  const stored = entry.value;
  const keyPem = openStored(record, stored, key);
  const ca = await CertificateAuthority.fromPem(stored.certificate, keyPem);
  if (stored.version === 1 && options.upgradeRecord) {
    const again = recordOf(record, { ca, keyPem, where: "Redis" }, key);
    if (await record.replace(entry, { ...again, createdAt: stored.createdAt }))
      options.log.info({ key: record.key }, "sealed the fleet's CA again, bound to its record (version 2)");
  } else if (stored.version === 1)
    options.log.warn(
      { key: record.key },
      "the fleet's CA record is version 1 (its sealed key is not bound to its prefix): once every server runs this release, start one with LVSFLEET_CA_RECORD_UPGRADE=1 to seal it again",
    );
  return ca;
}

/** Refuses a CA other than the fleet's, naming both by fingerprint. */
function sameCa(mine: CaCandidate, fleet: StoredFleetCa): void {
  if (caFingerprint(mine.ca.pem) === caFingerprint(fleet.certificate)) return;
  throw new PkiError(
    "ca-files",
    "fleet CA",
    `this server's CA from ${mine.where} (${caFingerprint(mine.ca.pem)}) is not the CA the servers sharing this Redis already use (${caFingerprint(fleet.certificate)}); agents enrolled with one would not trust the other. Give this server the fleet's CA, or use another LVSFLEET_PREFIX for a separate fleet`,
  );
}

/** This server's CA in its data directory, if it has one (a server that ran alone before). */
async function localCa(dir: string): Promise<CaCandidate | undefined> {
  const certFile = join(dir, CA_CERT_FILE);
  const keyFile = join(dir, CA_KEY_FILE);
  if (!existsSync(certFile) || !existsSync(keyFile)) return undefined;
  const { ca } = await loadCaFiles(certFile, keyFile);
  return { ca, keyPem: await readFile(keyFile, "utf8"), where: `the data directory (${dir})` };
}

/** A new CA, kept in memory only: its key goes to Redis sealed, never to disk. */
async function newCa(): Promise<CaCandidate> {
  const { ca, keyPem } = await CertificateAuthority.create();
  return { ca, keyPem, where: "a new CA" };
}
