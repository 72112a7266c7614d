import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ensureServerIdentity,
  inspectCertificate,
  loadOrCreateCa,
  PkiError,
  pinnedCaCertificate,
} from "../src/index.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "lvsfleet-pki-https-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the server certificate serving HTTPS (LVSFLEET_TLS=ca)", () => {
  it("carries the names asked for, and is issued again only when they change", async () => {
    const { ca } = await loadOrCreateCa(join(dir, "pki"));
    const names = { dnsNames: ["lvsfleet.example.com", "localhost"], ipAddresses: ["127.0.0.1", "::1"] };
    const first = await ensureServerIdentity({ dir: join(dir, "pki"), ca, ...names });
    expect(first.renewed).toBe(true);
    expect(first.info).toMatchObject({
      identity: { kind: "server" },
      dnsNames: ["lvsfleet.example.com", "localhost"],
      ipAddresses: ["127.0.0.1", "::1"],
    });
    // A restart with the same names (in another order, another case) keeps the certificate.
    const again = await ensureServerIdentity({
      dir: join(dir, "pki"),
      ca,
      dnsNames: ["LOCALHOST", "lvsfleet.example.com"],
      ipAddresses: ["::1", "127.0.0.1"],
    });
    expect(again.renewed).toBe(false);
    expect(again.info.serial).toBe(first.info.serial);
    // Without names (HTTPS off, or gRPC only): whatever the certificate has is fine.
    expect((await ensureServerIdentity({ dir: join(dir, "pki"), ca })).renewed).toBe(false);
    // Another name: a new certificate with a new key.
    const renamed = await ensureServerIdentity({ dir: join(dir, "pki"), ca, ...names, ipAddresses: ["10.0.0.5"] });
    expect(renamed.renewed).toBe(true);
    expect(renamed.info.ipAddresses).toEqual(["10.0.0.5"]);
    expect(renamed.info.publicKeyPin).not.toBe(first.info.publicKeyPin);
  });
});

describe("pinnedCaCertificate: the CA an agent reads before it trusts anything", () => {
  it("returns only the certificate whose key has the pin, and refuses a text without it", async () => {
    const { ca } = await loadOrCreateCa(join(dir, "ours"));
    const { ca: other } = await loadOrCreateCa(join(dir, "other"));
    expect(inspectCertificate(pinnedCaCertificate(ca.pem, ca.pin)).publicKeyPin).toBe(ca.pin);
    // A bundle with another CA added (a man in the middle): only the pinned one comes out.
    const picked = pinnedCaCertificate(`${other.pem}\n${ca.pem}`, ca.pin);
    expect(picked.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    expect(inspectCertificate(picked).publicKeyPin).toBe(ca.pin);
    for (const text of [
      other.pem,
      "",
      "not a certificate",
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
    ]) {
      const error = (() => {
        try {
          pinnedCaCertificate(text, ca.pin, "ca");
        } catch (e) {
          return e as PkiError;
        }
      })();
      expect(error).toBeInstanceOf(PkiError);
      expect(error?.message).toMatch(/no CA certificate with the pin sha256:[0-9a-f]{64}/);
    }
  });

  it("refuses a leaf certificate that has the pin (only a CA may be trusted as one)", async () => {
    const { ca } = await loadOrCreateCa(join(dir, "pki"));
    const server = await ensureServerIdentity({ dir: join(dir, "pki"), ca });
    expect(() => pinnedCaCertificate(server.material.certPem, server.info.publicKeyPin)).toThrow(PkiError);
  });
});
