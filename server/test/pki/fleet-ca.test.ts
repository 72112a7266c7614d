import { createCipheriv, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CA_CERT_FILE, CA_KEY_FILE, CertificateAuthority, loadOrCreateCa } from "@lvsfleet/pki";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { caFingerprint } from "../../src/pki/ca-sealing.ts";
import { openFleetCa } from "../../src/pki/fleet-ca.ts";
import { FleetCaRecord } from "../../src/pki/fleet-ca-record.ts";
import { type PrivateRedis, startRedis } from "../support/redis.ts";

let redis: PrivateRedis;
let work: string;
const log = pino({ level: "silent" });
const KEY = randomBytes(32);

beforeAll(async () => {
  redis = await startRedis();
  work = mkdtempSync(join(tmpdir(), "lvsfleet-fleet-ca-"));
});
afterAll(async () => {
  await redis?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** A fresh fleet: its own key prefix in the private Redis. */
function fleet() {
  const prefix = `t-${randomBytes(4).toString("hex")}`;
  return {
    prefix,
    record: () => new FleetCaRecord(redis.connect(), prefix),
    dir: (name: string) => join(work, prefix, name, "pki"),
  };
}

/** Everything kept under the fleet's prefix, as one string. */
async function everythingStored(prefix: string): Promise<string> {
  const client = redis.connect();
  const keys = await client.keys(`${prefix}:*`);
  const values = await Promise.all(keys.map((k) => client.dump(k)));
  return keys.join("\n") + values.map((v) => v ?? "").join("\n") + (await client.get(`${prefix}:pki:ca`));
}

describe("the fleet's CA in Redis, sealed", () => {
  it("two servers starting at once on an empty Redis end with one CA", async () => {
    const f = fleet();
    const [a, b, c] = await Promise.all(
      ["a", "b", "c"].map((name) => openFleetCa({ record: f.record(), dir: f.dir(name), encryptionKey: KEY, log })),
    );
    expect(new Set([a!.ca.pem, b!.ca.pem, c!.ca.pem]).size).toBe(1);
    expect([a, b, c].filter((o) => o!.created)).toHaveLength(1);
    expect(a!.mode).toBe("sealed");
    // a later server loads it, and it can sign (the key opened is the CA's key)
    const later = await openFleetCa({ record: f.record(), dir: f.dir("d"), encryptionKey: KEY, log });
    expect(later.ca.pem).toBe(a!.ca.pem);
    expect(later.created).toBe(false);
  });

  it("keeps no plaintext key material in Redis", async () => {
    const f = fleet();
    // a CA whose key PEM is known: a server that ran alone before seals its own
    const alone = await loadOrCreateCa(f.dir("a"));
    const { readFile } = await import("node:fs/promises");
    const keyPem = await readFile(alone.keyFile, "utf8");
    const opened = await openFleetCa({ record: f.record(), dir: f.dir("a"), encryptionKey: KEY, log });
    expect(opened.ca.pem).toBe(alone.ca.pem);
    const stored = await everythingStored(f.prefix);
    expect(stored).toContain("BEGIN CERTIFICATE");
    expect(stored).not.toContain("PRIVATE KEY");
    const body = keyPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
    expect(body.length).toBeGreaterThan(100);
    for (let i = 0; i + 24 <= body.length; i += 24) expect(stored).not.toContain(body.slice(i, i + 24));
    expect(stored).not.toContain(KEY.toString("base64"));
    expect(stored).not.toContain(KEY.toString("hex"));
  });

  it("refuses to start with a key that cannot open the stored CA, without logging either key", async () => {
    const f = fleet();
    await openFleetCa({ record: f.record(), dir: f.dir("a"), encryptionKey: KEY, log });
    const before = await redis.connect().get(`${f.prefix}:pki:ca`);
    const other = randomBytes(32);
    const error = await openFleetCa({ record: f.record(), dir: f.dir("b"), encryptionKey: other, log }).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^LVSFLEET_CA_ENCRYPTION_KEY: cannot decrypt the fleet's CA key kept in Redis \(CA certificate SHA256 [0-9A-F:]{95}\): this is not the key/,
    );
    for (const k of [KEY, other]) {
      expect((error as Error).message).not.toContain(k.toString("base64"));
      expect((error as Error).message).not.toContain(k.toString("hex"));
    }
    expect(await redis.connect().get(`${f.prefix}:pki:ca`)).toBe(before);
  });

  it("refuses a server given other CA files, naming both fingerprints; the fleet's record is unchanged", async () => {
    const f = fleet();
    const fleetCa = await openFleetCa({ record: f.record(), dir: f.dir("a"), encryptionKey: KEY, log });
    const before = await redis.connect().get(`${f.prefix}:pki:ca`);
    const foreign = await loadOrCreateCa(join(work, f.prefix, "foreign"));
    for (const encryptionKey of [KEY, undefined]) {
      const error = await openFleetCa({
        record: f.record(),
        dir: f.dir("b"),
        files: { cert: foreign.certFile, key: foreign.keyFile },
        encryptionKey,
        log,
      }).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toContain(`LVSFLEET_CA_CERT (${foreign.certFile}) (${caFingerprint(foreign.ca.pem)})`);
      expect(message).toContain(
        `is not the CA the servers sharing this Redis already use (${caFingerprint(fleetCa.ca.pem)})`,
      );
    }
    expect(await redis.connect().get(`${f.prefix}:pki:ca`)).toBe(before);
  });

  it("accepts the fleet's own CA as files, and a server of the fleet whose data directory holds another CA is refused", async () => {
    const f = fleet();
    const first = await loadOrCreateCa(f.dir("a"));
    // the operator's files on a fresh Redis: with the key they are sealed for the other servers
    const viaFiles = await openFleetCa({
      record: f.record(),
      dir: f.dir("a"),
      files: { cert: join(f.dir("a"), CA_CERT_FILE), key: join(f.dir("a"), CA_KEY_FILE) },
      encryptionKey: KEY,
      log,
    });
    expect(viaFiles.mode).toBe("files");
    const loaded = await openFleetCa({ record: f.record(), dir: f.dir("b"), encryptionKey: KEY, log });
    expect(loaded.ca.pem).toBe(first.ca.pem);
    await loadOrCreateCa(f.dir("c"));
    await expect(openFleetCa({ record: f.record(), dir: f.dir("c"), encryptionKey: KEY, log })).rejects.toThrow(
      /this server's CA from the data directory .* is not the CA the servers sharing this Redis already use/,
    );
  });

  it("without the key: the server's own CA, only its certificate in Redis; a second server with none is told what to set", async () => {
    const f = fleet();
    const alone = await openFleetCa({ record: f.record(), dir: f.dir("a"), log });
    expect(alone.mode).toBe("local");
    expect(alone.created).toBe(true);
    const stored = await everythingStored(f.prefix);
    expect(stored).not.toContain("PRIVATE KEY");
    expect(stored).not.toContain("sealedKey");
    // the same server starts again
    expect((await openFleetCa({ record: f.record(), dir: f.dir("a"), log })).ca.pem).toBe(alone.ca.pem);
    await expect(openFleetCa({ record: f.record(), dir: f.dir("b"), log })).rejects.toThrow(
      /already use a CA \(SHA256 [0-9A-F:]+\) and this server has none: give it the fleet's CA files/,
    );
    // nothing of b's was made: it can still join with the key once the first server sealed the CA
    await openFleetCa({ record: f.record(), dir: f.dir("a"), encryptionKey: KEY, log });
    expect((await openFleetCa({ record: f.record(), dir: f.dir("b"), encryptionKey: KEY, log })).ca.pem).toBe(
      alone.ca.pem,
    );
    await expect(openFleetCa({ record: f.record(), dir: f.dir("e"), log })).rejects.toThrow(
      /set LVSFLEET_CA_ENCRYPTION_KEY \(or LVSFLEET_CA_ENCRYPTION_KEY_FILE\) to the other servers' key/,
    );
  });

  it("refuses a record copied from another fleet's prefix, even with the same encryption key", async () => {
    const a = fleet();
    const b = fleet();
    await openFleetCa({ record: a.record(), dir: a.dir("a"), encryptionKey: KEY, log });
    const copied = await redis.connect().get(`${a.prefix}:pki:ca`);
    await redis.connect().set(`${b.prefix}:pki:ca`, copied!);
    await expect(openFleetCa({ record: b.record(), dir: b.dir("b"), encryptionKey: KEY, log })).rejects.toThrow(
      /cannot decrypt the fleet's CA key kept in Redis .*copied from another fleet's prefix/,
    );
    expect(await redis.connect().get(`${b.prefix}:pki:ca`)).toBe(copied);
  });

  it("opens a version 1 record (sealed before the binding) as it is, and seals it again bound to its key only when asked", async () => {
    const f = fleet();
    const { ca, keyPem } = await CertificateAuthority.create();
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", KEY, iv, { authTagLength: 16 });
    cipher.setAAD(Buffer.from(`lvsfleet fleet CA key v1\n${ca.pem}`, "utf8"));
    const data = Buffer.concat([cipher.update(keyPem, "utf8"), cipher.final()]);
    const v1 = {
      version: 1,
      certificate: ca.pem,
      createdAt: 7,
      sealedKey: {
        alg: "aes-256-gcm",
        iv: iv.toString("base64"),
        tag: cipher.getAuthTag().toString("base64"),
        data: data.toString("base64"),
      },
    };
    await redis.connect().set(`${f.prefix}:pki:ca`, JSON.stringify(v1));
    const opened = await openFleetCa({ record: f.record(), dir: f.dir("a"), encryptionKey: KEY, log });
    expect(opened.ca.pem).toBe(ca.pem);
    // kept as it is: servers of the previous release, still running in a rolling upgrade, read only version 1
    expect(JSON.parse((await redis.connect().get(`${f.prefix}:pki:ca`))!)).toEqual(v1);
    const upgraded = await openFleetCa({
      record: f.record(),
      dir: f.dir("a"),
      encryptionKey: KEY,
      upgradeRecord: true,
      log,
    });
    expect(upgraded.ca.pem).toBe(ca.pem);
    const now = JSON.parse((await redis.connect().get(`${f.prefix}:pki:ca`))!);
    expect(now).toMatchObject({ version: 2, certificate: ca.pem, createdAt: 7 });
    expect(now.sealedKey.data).not.toBe(v1.sealedKey.data);
    // and the next server opens the version 2 record
    const next = await openFleetCa({ record: f.record(), dir: f.dir("b"), encryptionKey: KEY, log });
    expect(next.ca.pem).toBe(ca.pem);
  });

  it("a server that used the fleet's CA before refuses to start a new one when Redis lost the record", async () => {
    const f = fleet();
    const first = await openFleetCa({ record: f.record(), dir: f.dir("a"), encryptionKey: KEY, log });
    expect(existsSync(join(f.dir("a"), CA_CERT_FILE))).toBe(true); // the certificate's copy
    expect(existsSync(join(f.dir("a"), CA_KEY_FILE))).toBe(false); // never the key
    await redis.connect().del(`${f.prefix}:pki:ca`); // flushed, restored from an old backup
    await expect(openFleetCa({ record: f.record(), dir: f.dir("a"), encryptionKey: KEY, log })).rejects.toThrow(
      new RegExp(
        `pki:ca is missing from Redis, but this server used the fleet's CA before \\(${caFingerprint(first.ca.pem).replace(/[()]/g, "")}`,
      ),
    );
    expect(await redis.connect().exists(`${f.prefix}:pki:ca`)).toBe(0);
    // a server that never had the fleet's CA may start a fleet (its first start)
    const fresh = await openFleetCa({ record: f.record(), dir: f.dir("new"), encryptionKey: KEY, log });
    expect(fresh.created).toBe(true);
  });

  it("a server whose copy of the fleet's certificate names another CA refuses a replaced record, and keeps its copy", async () => {
    const f = fleet();
    const first = await openFleetCa({ record: f.record(), dir: f.dir("a"), encryptionKey: KEY, log });
    const ours = await redis.connect().get(`${f.prefix}:pki:ca`);
    // the record replaced: deleted, and a server with no history of the fleet started a new CA
    const other = fleet();
    await redis.connect().del(`${f.prefix}:pki:ca`);
    await openFleetCa({ record: f.record(), dir: other.dir("fresh"), encryptionKey: KEY, log });
    const replaced = await redis.connect().get(`${f.prefix}:pki:ca`);
    expect(replaced).not.toBe(ours);
    await expect(openFleetCa({ record: f.record(), dir: f.dir("a"), encryptionKey: KEY, log })).rejects.toThrow(
      /pki:ca in Redis holds CA SHA256 [0-9A-F:]+, but this server used the fleet's CA SHA256 [0-9A-F:]+ before/,
    );
    const { readFile } = await import("node:fs/promises");
    expect(await readFile(join(f.dir("a"), CA_CERT_FILE), "utf8")).toBe(first.ca.pem);
  });

  it("refuses a record that is not lvsfleet's", async () => {
    const f = fleet();
    await redis.connect().set(`${f.prefix}:pki:ca`, '{"version":1,"certificate":"x","createdAt":1,"sealedKey":"k"}');
    await expect(openFleetCa({ record: f.record(), dir: f.dir("a"), encryptionKey: KEY, log })).rejects.toThrow(
      /pki:ca in Redis is not a CA record lvsfleet wrote \(sealedKey: /,
    );
  });
});

describe("LVSFLEET_CA_ENCRYPTION_KEY in the configuration", () => {
  const base = { LVSFLEET_API_TOKEN: "a-token-of-sixteen-chars" };

  it("takes 32 bytes in base64, from the variable or a 0600 file", async () => {
    expect(
      loadConfig({ ...base, LVSFLEET_CA_ENCRYPTION_KEY: KEY.toString("base64") }).LVSFLEET_CA_ENCRYPTION_KEY,
    ).toEqual(KEY);
    const { writeFileSync } = await import("node:fs");
    const file = join(work, "ca-encryption.key");
    writeFileSync(file, `${KEY.toString("base64")}\n`, { mode: 0o600 });
    expect(loadConfig({ ...base, LVSFLEET_CA_ENCRYPTION_KEY_FILE: file }).LVSFLEET_CA_ENCRYPTION_KEY_FILE).toEqual(KEY);
  });

  it("refuses a malformed key naming the variable, never echoing the value", async () => {
    const short = randomBytes(16).toString("base64");
    const bad = (env: Record<string, string>) => {
      try {
        loadConfig({ ...base, ...env });
      } catch (error) {
        return JSON.stringify((error as { errors: unknown }).errors);
      }
      return "accepted";
    };
    const message = bad({ LVSFLEET_CA_ENCRYPTION_KEY: short });
    expect(message).toContain('"field":"LVSFLEET_CA_ENCRYPTION_KEY"');
    expect(message).toContain("must be 32 random bytes in base64");
    expect(message).not.toContain(short);
    expect(bad({ LVSFLEET_CA_ENCRYPTION_KEY: "not base64 at all!" })).toContain("must be 32 random bytes");
    const { writeFileSync } = await import("node:fs");
    const open = join(work, "open.key");
    writeFileSync(open, KEY.toString("base64"), { mode: 0o644 });
    expect(bad({ LVSFLEET_CA_ENCRYPTION_KEY_FILE: open })).toMatch(/LVSFLEET_CA_ENCRYPTION_KEY_FILE.*chmod 600/);
    expect(bad({ LVSFLEET_CA_ENCRYPTION_KEY_FILE: join(work, "nope") })).toContain("no such file");
    expect(bad({ LVSFLEET_CA_ENCRYPTION_KEY_FILE: work })).toContain("is not a regular file");
    const file = join(work, "ca-encryption.key");
    expect(
      bad({ LVSFLEET_CA_ENCRYPTION_KEY: KEY.toString("base64"), LVSFLEET_CA_ENCRYPTION_KEY_FILE: file }),
    ).toContain("not both");
  });
});
