import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  identityOfCertificate,
  identityUri,
  PkiError,
  parseIdentityUri,
  readCertificateRequest,
  SERVER_IDENTITY_URI,
} from "../src/index.ts";

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const host = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join("."));

describe("identity URIs", () => {
  it("round-trip every host name", () => {
    fc.assert(
      fc.property(host, (h) => {
        expect(parseIdentityUri(identityUri({ kind: "agent", host: h }))).toEqual({ kind: "agent", host: h });
      }),
    );
    expect(identityUri({ kind: "server" })).toBe(SERVER_IDENTITY_URI);
    expect(parseIdentityUri(SERVER_IDENTITY_URI)).toEqual({ kind: "server" });
  });

  it("reads nothing from other trust domains, other kinds or extra path segments", () => {
    for (const uri of [
      "spiffe://other/agent/web1",
      "spiffe://lvsfleet/agent/",
      "spiffe://lvsfleet/agent/web1/extra",
      "spiffe://lvsfleet/agent/web 1",
      "spiffe://lvsfleet/server/x",
      "spiffe://lvsfleet/admin",
      "https://lvsfleet/agent/web1",
    ])
      expect(parseIdentityUri(uri), uri).toBeUndefined();
  });

  it("never throws on arbitrary strings or bytes", async () => {
    fc.assert(fc.property(fc.string(), (s) => parseIdentityUri(s) === undefined || s.startsWith("spiffe://lvsfleet/")));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => identityOfCertificate(bytes) === undefined));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.constant("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----"),
        ),
        async (s) => {
          const error = await readCertificateRequest(s).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(PkiError);
          expect((error as PkiError).field).toBe("csr");
        },
      ),
      { numRuns: 200 },
    );
  });
});
