import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type CertificateAuthority,
  createCertificateRequest,
  ensureServerIdentity,
  generateSigningKey,
  inspectCertificate,
  loadCaFiles,
  loadIdentity,
  loadOrCreateCa,
  PkiError,
  readCertificateRequest,
} from "../src/index.ts";

const run = promisify(execFile);
const openssl = (...args: string[]) => run("openssl", args, { timeout: 20_000 });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "lvsfleet-pki-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

async function agentCertificate(ca: CertificateAuthority, host: string): Promise<string> {
  const key = await generateSigningKey();
  const request = await readCertificateRequest(await createCertificateRequest({ host, key }));
  return (await ca.issueAgentCertificate({ request, now: new Date() })).pem;
}

describe("the CA in the server's data directory", () => {
  it("is generated on first start with a 0600 key in a 0700 directory, and loaded unchanged afterwards", async () => {
    const pki = join(dir, "pki");
    const first = await loadOrCreateCa(pki);
    expect(first.created).toBe(true);
    expect(await mode(pki)).toBe(0o700);
    expect(await mode(join(pki, "ca.key"))).toBe(0o600);
    expect(await mode(join(pki, "ca.crt"))).toBe(0o644);
    expect(await readFile(join(pki, "ca.key"), "utf8")).toContain("-----BEGIN PRIVATE KEY-----");
    const second = await loadOrCreateCa(pki);
    expect(second.created).toBe(false);
    expect(second.ca.pin).toBe(first.ca.pin);
    expect(second.ca.pem).toBe(first.ca.pem);
    const info = inspectCertificate(first.ca.pem);
    expect(info.isCa).toBe(true);
    expect(info.notAfter.getTime() - Date.now()).toBeGreaterThan(9 * 365 * 86_400_000);
  });

  it("refuses a CA key readable by others, and a key without its certificate", async () => {
    const pki = join(dir, "pki");
    await loadOrCreateCa(pki);
    await chmod(join(pki, "ca.key"), 0o644);
    const loose = await loadOrCreateCa(pki).catch((e: unknown) => e);
    expect(loose).toBeInstanceOf(PkiError);
    expect((loose as Error).message).toContain("chmod 600");
    await chmod(join(pki, "ca.key"), 0o600);
    await unlink(join(pki, "ca.crt"));
    const half = await loadOrCreateCa(pki).catch((e: unknown) => e);
    expect((half as Error).message).toContain("has ca.key but not ca.crt");
  });

  it("issues certificates that openssl verifies for the right purpose and host", async () => {
    const { ca, certFile } = await loadOrCreateCa(join(dir, "pki"));
    const agent = join(dir, "agent.crt");
    await writeFile(agent, await agentCertificate(ca, "web1"));
    const ok = await openssl("verify", "-CAfile", certFile, "-purpose", "sslserver", "-verify_hostname", "web1", agent);
    expect(ok.stdout).toContain(": OK");
    // An agent certificate cannot act as a TLS client (no clientAuth), nor pass for another host.
    await expect(openssl("verify", "-CAfile", certFile, "-purpose", "sslclient", agent)).rejects.toThrow(
      /unsuitable certificate purpose/,
    );
    await expect(openssl("verify", "-CAfile", certFile, "-verify_hostname", "web2", agent)).rejects.toThrow(
      /hostname mismatch/,
    );

    const server = await ensureServerIdentity({ dir: join(dir, "pki"), ca, dnsNames: ["lvsfleet.example"] });
    const serverFile = join(dir, "server.crt");
    await writeFile(serverFile, server.material.certPem);
    expect((await openssl("verify", "-CAfile", certFile, "-purpose", "sslclient", serverFile)).stdout).toContain(
      ": OK",
    );
    expect((await openssl("verify", "-CAfile", certFile, "-purpose", "sslserver", serverFile)).stdout).toContain(
      ": OK",
    );
    expect(server.info.identity).toEqual({ kind: "server" });
  });
});

describe("an operator-supplied CA", () => {
  it("loads an openssl-made EC CA (SEC1 key) and an RSA CA (PKCS#1 key) and issues with them", async () => {
    for (const [name, keygen] of [
      ["ec", ["ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out"]],
      ["rsa", ["genrsa", "-traditional", "-out"]],
    ] as const) {
      const keyFile = join(dir, `${name}.key`);
      const certFile = join(dir, `${name}.crt`);
      await openssl(...keygen, keyFile, ...(name === "rsa" ? ["2048"] : []));
      expect(await readFile(keyFile, "utf8")).toContain(
        name === "ec" ? "BEGIN EC PRIVATE KEY" : "BEGIN RSA PRIVATE KEY",
      );
      await openssl(
        "req",
        "-x509",
        "-new",
        "-key",
        keyFile,
        "-out",
        certFile,
        "-days",
        "30",
        "-subj",
        `/CN=Operator ${name} CA`,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      );
      await chmod(keyFile, 0o600);
      const { ca, created } = await loadCaFiles(certFile, keyFile);
      expect(created).toBe(false);
      const agent = join(dir, `${name}-agent.crt`);
      await writeFile(agent, await agentCertificate(ca, "lb-master"));
      const ok = await openssl("verify", "-CAfile", certFile, "-verify_hostname", "lb-master", agent);
      expect(ok.stdout).toContain(": OK");
    }
  });

  it("refuses a certificate that is not a CA, a key that is not the CA's, and a loose key file", async () => {
    const keyFile = join(dir, "leaf.key");
    const certFile = join(dir, "leaf.crt");
    await openssl(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      "1",
      "-subj",
      "/CN=leaf",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
    );
    await chmod(keyFile, 0o600);
    await expect(loadCaFiles(certFile, keyFile)).rejects.toThrow(/is not a CA certificate/);

    const { ca, certFile: realCa } = await loadOrCreateCa(join(dir, "pki"));
    expect(ca.pin).toMatch(/^sha256:[0-9a-f]{64}$/);
    await expect(loadCaFiles(realCa, keyFile)).rejects.toThrow(/does not belong to the CA certificate/);
    await chmod(keyFile, 0o640);
    await expect(loadCaFiles(realCa, keyFile)).rejects.toThrow(/accessible by group or others/);
    await expect(loadCaFiles(join(dir, "nope.crt"), keyFile)).rejects.toThrow(/does not exist/);
  });
});

describe("the server's own identity", () => {
  it("is issued on first start, kept while fresh, and re-issued with a new key once renewal is due", async () => {
    const pki = join(dir, "pki");
    const { ca } = await loadOrCreateCa(pki);
    const now = new Date();
    const first = await ensureServerIdentity({ dir: pki, ca, now });
    expect(first.renewed).toBe(true);
    expect(await mode(join(pki, "server.pem"))).toBe(0o600);
    const again = await ensureServerIdentity({ dir: pki, ca, now: new Date(now.getTime() + 86_400_000) });
    expect(again.renewed).toBe(false);
    expect(again.info.serial).toBe(first.info.serial);
    const later = await ensureServerIdentity({ dir: pki, ca, now: new Date(now.getTime() + 21 * 86_400_000) });
    expect(later.renewed).toBe(true);
    expect(later.info.publicKeyPin).not.toBe(first.info.publicKeyPin);
    const onDisk = await loadIdentity(pki, "server", ca.pem);
    expect(onDisk?.certPem.trim()).toBe(later.material.certPem.trim());
    expect(onDisk?.keyPem.trim()).toBe(later.material.keyPem.trim());
  });
});
