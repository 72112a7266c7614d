import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { type CertificateAuthority, generateSigningKey, loadOrCreateCa, privateKeyToPem } from "@lvsfleet/pki";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ApiConnectionError, type ApiTrust, requestApi, trustedCas } from "../src/https.ts";

/**
 * The trust modes of the API client: `pinned` (agents) trusts the lvsfleet CA and NODE_EXTRA_CA_CERTS
 * only — never Node's public roots; `public` (lvsctl, or an agent's --server-ca-roots public) adds them.
 * The attack itself (an impostor whose certificate a public root vouches for) is performed against
 * agents from dist in test/e2e/api-tls.test.ts.
 */

let dir: string;
let lvsfleetCa: CertificateAuthority;
let operatorCa: CertificateAuthority;
let server: Server;
let url: URL;
const extraBefore = process.env.NODE_EXTRA_CA_CERTS;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lvsfleet-https-trust-"));
  lvsfleetCa = (await loadOrCreateCa(join(dir, "lvsfleet"))).ca;
  operatorCa = (await loadOrCreateCa(join(dir, "operator"))).ca;
  // The API with an operator's own certificate (LVSFLEET_TLS=files), for 127.0.0.1.
  const key = await generateSigningKey();
  const cert = await operatorCa.issueServerCertificate({
    publicKey: key.keys.publicKey,
    ipAddresses: ["127.0.0.1"],
    now: new Date(),
  });
  server = createServer({ key: await privateKeyToPem(key.keys.privateKey), cert: cert.pem }, (_req, res) =>
    res.end("ok"),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/health`);
});
afterEach(() => {
  if (extraBefore === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
  else process.env.NODE_EXTRA_CA_CERTS = extraBefore;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const get = (trust: ApiTrust) =>
  requestApi(url, { method: "GET", timeoutMs: 5_000, trust }).then(
    (answer) => answer.text,
    (error: unknown) => error,
  );

describe("the CAs each trust mode lists", () => {
  it("pinned: the lvsfleet CA and NODE_EXTRA_CA_CERTS, never a public root", () => {
    const extra = join(dir, "extra.pem");
    writeFileSync(extra, operatorCa.pem);
    expect(trustedCas({ roots: "pinned", caPem: lvsfleetCa.pem }, {})).toEqual([lvsfleetCa.pem]);
    expect(trustedCas({ roots: "pinned", caPem: lvsfleetCa.pem }, { NODE_EXTRA_CA_CERTS: extra })).toEqual([
      lvsfleetCa.pem,
      operatorCa.pem,
    ]);
    expect(trustedCas({ roots: "pinned" }, {})).toEqual([]);
  });

  it("public: Node's public roots, NODE_EXTRA_CA_CERTS and the lvsfleet CA", () => {
    const cas = trustedCas({ roots: "public", caPem: lvsfleetCa.pem }, {});
    expect(cas).toHaveLength(rootCertificates.length + 1);
    expect(cas).toEqual(expect.arrayContaining([...rootCertificates, lvsfleetCa.pem]));
  });
});

describe("an https request in each mode", () => {
  it("pinned refuses a certificate from another CA, saying public roots are not trusted", async () => {
    const refused = await get({ roots: "pinned", caPem: lvsfleetCa.pem });
    expect(refused).toBeInstanceOf(ApiConnectionError);
    expect((refused as ApiConnectionError).untrustedCertificate).toBe(true);
    expect((refused as Error).message).toMatch(
      /certificate is not trusted .*only the pinned lvsfleet CA and the CAs in NODE_EXTRA_CA_CERTS are trusted here, not public roots \(an agent's --server-ca-roots public adds them\)/,
    );
    // with nothing pinned and no NODE_EXTRA_CA_CERTS, nothing is trusted (not Node's defaults)
    expect(await get({ roots: "pinned" })).toBeInstanceOf(ApiConnectionError);
  });

  it("pinned accepts an operator's certificate whose CA is in NODE_EXTRA_CA_CERTS (LVSFLEET_TLS=files)", async () => {
    const extra = join(dir, "operator-ca.pem");
    writeFileSync(extra, operatorCa.pem);
    process.env.NODE_EXTRA_CA_CERTS = extra;
    expect(await get({ roots: "pinned", caPem: lvsfleetCa.pem })).toBe("ok");
  });

  it("unverified reads anything (the first contact only, before the pin check)", async () => {
    expect(await get({ roots: "unverified" })).toBe("ok");
  });
});
