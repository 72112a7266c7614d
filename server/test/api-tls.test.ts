import { X509Certificate } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type TLSSocket } from "node:tls";
import { ValidationError } from "@lvsfleet/model";
import {
  type CertificateAuthority,
  ensureServerIdentity,
  generateSigningKey,
  loadOrCreateCa,
  privateKeyToPem,
} from "@lvsfleet/pki";
import { TlsIdentitySource } from "@lvsfleet/rpc/tls";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { ApiTls } from "../src/tls/api-tls.ts";
import { OperatorCertificateError } from "../src/tls/operator-certificate.ts";
import { apiTlsMode } from "../src/tls/settings.ts";

const log = pino({ level: "silent" });
const TOKEN = { LVSFLEET_API_TOKEN: "a-bootstrap-token-long-enough" };
let dir: string;
let ca: CertificateAuthority;
let otherCa: CertificateAuthority;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lvsfleet-api-tls-"));
  ca = (await loadOrCreateCa(join(dir, "ca"))).ca;
  otherCa = (await loadOrCreateCa(join(dir, "other-ca"))).ca;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A certificate for 127.0.0.1 from `issuer`, as an operator's CA would make it; `ageMs` moves it into the past. */
async function operatorPair(issuer: CertificateAuthority, options: { ageMs?: number; lifetimeMs?: number } = {}) {
  const key = await generateSigningKey();
  const issued = await issuer.issueServerCertificate({
    publicKey: key.keys.publicKey,
    ipAddresses: ["127.0.0.1"],
    now: new Date(Date.now() - (options.ageMs ?? 0)),
    ...(options.lifetimeMs ? { lifetimeMs: options.lifetimeMs } : {}),
  });
  return { keyPem: await privateKeyToPem(key.keys.privateKey), certPem: issued.pem, serial: issued.info.serial };
}

let fileCount = 0;
function file(text: string, mode = 0o600): string {
  const path = join(dir, `f${++fileCount}.pem`);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

/** The ValidationError loadConfig throws for env, as field → message. */
function configErrors(env: Record<string, string>): Record<string, string> {
  try {
    loadConfig({ ...TOKEN, ...env });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return Object.fromEntries(error.errors.map((e) => [e.field, e.message]));
  }
  return {};
}

describe("HTTPS settings are checked at start (config.ts), naming the setting and the reason", () => {
  it("off by default; ca needs names, and the CA (not LVSFLEET_INSECURE_GRPC)", () => {
    expect(apiTlsMode(loadConfig(TOKEN))).toEqual({ kind: "off" });
    expect(configErrors({ LVSFLEET_TLS: "ca" })).toEqual({
      LVSFLEET_TLS_NAMES: expect.stringMatching(/is required with LVSFLEET_TLS=ca/),
    });
    expect(configErrors({ LVSFLEET_TLS: "ca", LVSFLEET_TLS_NAMES: "127.0.0.1", LVSFLEET_INSECURE_GRPC: "1" })).toEqual({
      LVSFLEET_TLS: expect.stringMatching(/needs the lvsfleet CA, which LVSFLEET_INSECURE_GRPC turns off/),
    });
    expect(configErrors({ LVSFLEET_TLS: "https" })).toEqual({ LVSFLEET_TLS: "must be off, ca or files" });
    expect(configErrors({ LVSFLEET_TLS: "ca", LVSFLEET_TLS_NAMES: "lvsfleet.example.com,bad name!" })).toEqual({
      LVSFLEET_TLS_NAMES: expect.stringMatching(/"bad name!" is neither a DNS name nor an IP address/),
    });
  });

  it("ca: names become DNS names and addresses (IPv6 compressed as certificates store them)", () => {
    const config = loadConfig({
      ...TOKEN,
      LVSFLEET_TLS: "ca",
      LVSFLEET_TLS_NAMES: "LVSFleet.Example.com, 10.0.0.5,::1,[2001:db8:0:0::1],*.lb.example.com,10.0.0.5",
    });
    expect(apiTlsMode(config)).toEqual({
      kind: "ca",
      names: {
        dnsNames: ["lvsfleet.example.com", "*.lb.example.com"],
        ipAddresses: ["10.0.0.5", "::1", "2001:db8::1"],
      },
    });
  });

  it("a setting the chosen mode would ignore is an error, not silently unused", async () => {
    const pair = await operatorPair(otherCa);
    const cert = file(pair.certPem);
    expect(configErrors({ LVSFLEET_TLS_NAMES: "127.0.0.1" })).toEqual({
      LVSFLEET_TLS_NAMES: expect.stringMatching(/only used with LVSFLEET_TLS=ca/),
    });
    expect(configErrors({ LVSFLEET_TLS: "ca", LVSFLEET_TLS_NAMES: "127.0.0.1", LVSFLEET_TLS_CERT: cert })).toEqual({
      LVSFLEET_TLS_CERT: expect.stringMatching(/not used with LVSFLEET_TLS=ca/),
    });
    expect(configErrors({ LVSFLEET_TLS: "off", LVSFLEET_TLS_CERT: cert })).toEqual({
      LVSFLEET_TLS_CERT: expect.stringMatching(/LVSFLEET_TLS=off/),
    });
  });

  it("files: a certificate and key that can serve; LVSFLEET_TLS_CERT alone turns it on", async () => {
    const pair = await operatorPair(otherCa);
    const [cert, key] = [file(pair.certPem), file(pair.keyPem, 0o640)];
    const config = loadConfig({ ...TOKEN, LVSFLEET_TLS_CERT: cert, LVSFLEET_TLS_KEY: key });
    expect(apiTlsMode(config)).toEqual({ kind: "files", files: { cert, key, chain: undefined } });
    expect(configErrors({ LVSFLEET_TLS: "files" })).toEqual({
      LVSFLEET_TLS_CERT: expect.stringMatching(/is required/),
      LVSFLEET_TLS_KEY: expect.stringMatching(/is required/),
    });
    expect(configErrors({ LVSFLEET_TLS_CERT: cert })).toEqual({
      LVSFLEET_TLS_KEY: expect.stringMatching(/is required/),
    });
  });

  it("files: a bad file stops the start with its reason", async () => {
    const pair = await operatorPair(otherCa);
    const another = await operatorPair(otherCa);
    const expired = await operatorPair(otherCa, { ageMs: 3 * 86_400_000, lifetimeMs: 86_400_000 });
    const [cert, key] = [file(pair.certPem), file(pair.keyPem)];
    const cases: [Record<string, string>, string, RegExp][] = [
      [
        { LVSFLEET_TLS_CERT: join(dir, "missing.pem"), LVSFLEET_TLS_KEY: key },
        "LVSFLEET_TLS_CERT",
        /missing\.pem: no such file/,
      ],
      [{ LVSFLEET_TLS_CERT: cert, LVSFLEET_TLS_KEY: join(dir, "nokey.pem") }, "LVSFLEET_TLS_KEY", /no such file/],
      [{ LVSFLEET_TLS_CERT: file("hello"), LVSFLEET_TLS_KEY: key }, "LVSFLEET_TLS_CERT", /holds no PEM certificate/],
      [
        { LVSFLEET_TLS_CERT: cert, LVSFLEET_TLS_KEY: file("hello") },
        "LVSFLEET_TLS_KEY",
        /holds no readable private key/,
      ],
      [
        { LVSFLEET_TLS_CERT: cert, LVSFLEET_TLS_KEY: file(another.keyPem) },
        "LVSFLEET_TLS_KEY",
        /is not the key of the certificate/,
      ],
      [
        { LVSFLEET_TLS_CERT: cert, LVSFLEET_TLS_KEY: file(pair.keyPem, 0o644) },
        "LVSFLEET_TLS_KEY",
        /everyone may read it: chmod o-r/,
      ],
      [
        { LVSFLEET_TLS_CERT: file(expired.certPem), LVSFLEET_TLS_KEY: file(expired.keyPem) },
        "LVSFLEET_TLS_CERT",
        /expired at/,
      ],
      [
        { LVSFLEET_TLS_CERT: cert, LVSFLEET_TLS_KEY: key, LVSFLEET_TLS_CHAIN: file("no") },
        "LVSFLEET_TLS_CHAIN",
        /holds no PEM certificate/,
      ],
    ];
    for (const [env, field, reason] of cases) {
      const errors = configErrors(env);
      expect(Object.keys(errors), JSON.stringify(env)).toEqual([field]);
      expect(errors[field]).toMatch(reason);
    }
  });
});

/** An HTTPS server presenting what `tls` holds; answers every request with "ok". */
async function serveWith(tls: ApiTls): Promise<{ server: Server; port: number }> {
  const server = createServer(tls.serverOptions(), (_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  tls.attach(server);
  return { server, port: (server.address() as AddressInfo).port };
}

/** A verified TLS connection (CA `caPem`, address 127.0.0.1) and the serial of the certificate it got. */
async function handshake(port: number, caPem: string): Promise<{ socket: TLSSocket; serial: string }> {
  const socket = connect({ host: "127.0.0.1", port, ca: caPem });
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", resolve);
    socket.once("error", reject);
  });
  return { socket, serial: new X509Certificate(socket.getPeerCertificate().raw).serialNumber.toLowerCase() };
}

/** One HTTP/1.1 request on an open TLS connection; resolves with the body's last line. */
function requestOn(socket: TLSSocket): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (/\r\n\r\n[\s\S]*ok$/.test(text)) {
        socket.off("data", onData);
        resolve("ok");
      }
    };
    socket.on("data", onData);
    socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  });
}

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

describe("the API's certificate is replaced while it serves (no restart)", () => {
  it("LVSFLEET_TLS=ca: a renewal of the server certificate reaches new handshakes; open connections keep going", async () => {
    const pkiDir = join(dir, "server-pki");
    const names = { ipAddresses: ["127.0.0.1"] };
    const first = await ensureServerIdentity({ dir: pkiDir, ca, ...names });
    const identity = new TlsIdentitySource(first.material);
    const tls = ApiTls.fromIdentity(identity, log);
    const { server, port } = await serveWith(tls);
    closers.push(
      () => tls.close(),
      () => server.close(),
    );
    const before = await handshake(port, ca.pem);
    closers.push(() => before.socket.destroy());
    expect(before.serial).toBe(first.info.serial);
    expect(await requestOn(before.socket)).toBe("ok");

    // The renewal ServerTrust runs hourly (due at 2/3 of the lifetime; here at once).
    const renewed = await ensureServerIdentity({ dir: pkiDir, ca, ...names, renewFraction: 0 });
    expect(renewed.renewed).toBe(true);
    identity.update(renewed.material);
    const after = await handshake(port, ca.pem);
    closers.push(() => after.socket.destroy());
    expect(after.serial).toBe(renewed.info.serial);
    expect(after.serial).not.toBe(before.serial);
    // The connection opened before the renewal still serves requests.
    expect(await requestOn(before.socket)).toBe("ok");
  });

  it("LVSFLEET_TLS=files: new files are picked up; broken files are logged and the current certificate stays", async () => {
    const one = await operatorPair(otherCa);
    const two = await operatorPair(otherCa);
    const files = { cert: file(one.certPem), key: file(one.keyPem) };
    const lines: string[] = [];
    const captured = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
    const tls = ApiTls.fromFiles(files, captured, 100);
    const { server, port } = await serveWith(tls);
    closers.push(
      () => tls.close(),
      () => server.close(),
    );
    const first = await handshake(port, otherCa.pem);
    first.socket.destroy();
    expect(first.serial).toBe(one.serial);

    // certbot (or an operator) writes the renewed pair: within a check period the API presents it.
    writeFileSync(files.key, two.keyPem);
    writeFileSync(files.cert, two.certPem);
    const deadline = Date.now() + 5_000;
    let serial = first.serial;
    while (serial !== two.serial && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      const next = await handshake(port, otherCa.pem);
      next.socket.destroy();
      serial = next.serial;
    }
    expect(serial).toBe(two.serial);
    expect(lines.join("")).toMatch(/now presents the new certificate/);

    // A half-written or wrong pair is refused: logged (once), and the previous certificate keeps serving.
    writeFileSync(files.key, one.keyPem);
    expect(() => tls.reloadFiles(files)).toThrow(OperatorCertificateError);
    await new Promise((r) => setTimeout(r, 350));
    const still = await handshake(port, otherCa.pem);
    still.socket.destroy();
    expect(still.serial).toBe(two.serial);
    const problems = lines.filter((l) => l.includes("cannot use the HTTPS certificate files"));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/is not the key of the certificate/);
    expect(lines.join("")).not.toContain("PRIVATE KEY");
  });
});
