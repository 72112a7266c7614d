import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createEnrollmentRequest,
  EnrollmentService,
  inspectCertificate,
  loadOrCreateCa,
  MemoryPkiStore,
} from "@lvsfleet/pki";
import { describe, expect, it } from "vitest";
import { summarizeCertificate } from "../src/peer-certificate.ts";

describe("summarizeCertificate (node:crypto only)", () => {
  it("reads the same identity, serial and validity as the PKI's X.509 library", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lvsfleet-peer-"));
    try {
      const { ca } = await loadOrCreateCa(join(dir, "pki"));
      const service = new EnrollmentService({ ca, store: new MemoryPkiStore() });
      for (let i = 0; i < 40; i++) {
        const host = `web${i}`;
        const ticket = await service.createJoinToken({ host, role: i % 2 ? "director" : "real-server" });
        const { request } = await createEnrollmentRequest({ host, role: ticket.role, token: ticket.token });
        const { certificate } = await service.enroll(request);
        const expected = inspectCertificate(certificate);
        const seen = summarizeCertificate(certificate);
        expect(seen.identity).toEqual(expected.identity);
        expect(seen.serial).toBe(expected.serial.replace(/^0+(?=.)/, ""));
        expect(seen.notAfter.getTime()).toBe(Math.floor(expected.notAfter.getTime() / 1000) * 1000);
        expect(summarizeCertificate(new X509Certificate(certificate).raw).serial).toBe(seen.serial);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
