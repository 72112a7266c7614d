import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CertificateAuthority, ensureServerIdentity } from "@lvsfleet/pki";
import { ApiConnectionError } from "@lvsfleet/rpc/https";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT, resolveSettings, run } from "../src/index.ts";
import {
  describeConnectionFailure,
  isGatewayFailure,
  isIdempotent,
  parseServerList,
  tryOrder,
} from "../src/servers.ts";

/**
 * lvsctl with several servers, against real HTTP listeners on 127.0.0.1 started here: a replica
 * (answers like lvsfleet), a proxy with no live replica behind it (503 in plain text), a server that
 * resets every connection after reading the request, and a port nobody listens on. Each counts the
 * requests it received.
 */

interface Listener {
  url: string;
  requests: { method: string; path: string }[];
  server: Server;
}

const listeners: Listener[] = [];

async function listen(handle: (req: IncomingMessage, res: ServerResponse, socket: Socket) => void): Promise<Listener> {
  const requests: Listener["requests"] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? "", path: req.url ?? "" });
    // Read the whole request first: a reset then surely comes after the server got it.
    req.resume();
    req.on("end", () => handle(req, res, req.socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const listener = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
  listeners.push(listener);
  return listener;
}

/** A port that was free a moment ago and is closed now: connection refused. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return `http://127.0.0.1:${port}`;
}

const replica = (name: string) =>
  listen((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.method === "GET" && req.url === "/v1/clusters") res.end(JSON.stringify({ clusters: [{ name }] }));
    else if (req.method === "POST" && req.url === "/v1/jobs/7/retry")
      res.end(JSON.stringify({ id: "8", kind: "apply", cluster: name, command: "retry", state: "queued" }));
    else if (req.method === "GET" && req.url?.startsWith("/v1/jobs/8"))
      res.end(JSON.stringify({ id: "8", kind: "apply", cluster: name, command: "retry", state: "completed" }));
    else {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
    }
  });

const proxyWithoutReplicas = () =>
  listen((_req, res) => {
    res.statusCode = 503;
    res.setHeader("content-type", "text/html");
    res.end("<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>");
  });

const resetting = () => listen((_req, _res, socket) => socket.resetAndDestroy());

afterAll(async () => {
  for (const l of listeners) l.server.close();
});

async function lvsctl(args: string[], servers: string[]) {
  let out = "";
  let err = "";
  const code = await run(["--server", servers.join(","), "-o", "json", ...args], {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env: { HOME: "/nonexistent", LVSFLEET_TOKEN: "t" },
  });
  return { code, out, err };
}

describe("lvsctl with several servers", () => {
  it("stops at a server whose certificate it does not trust (an impostor, or a trust setup to fix) instead of moving on", async () => {
    // a proper server certificate for 127.0.0.1, from a CA lvsctl was not told to trust
    const dir = mkdtempSync(join(tmpdir(), "lvsctl-impostor-"));
    const { ca } = await CertificateAuthority.create();
    const { material } = await ensureServerIdentity({ dir, ca, ipAddresses: ["127.0.0.1"] });
    rmSync(dir, { recursive: true, force: true });
    const requests: string[] = [];
    const impostor = createHttpsServer({ cert: material.certPem, key: material.keyPem }, (req, res) => {
      requests.push(req.url ?? "");
      res.end("{}");
    });
    impostor.listen(0, "127.0.0.1");
    await once(impostor, "listening");
    try {
      const live = await replica("web");
      const url = `https://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
      const result = await lvsctl(["jobs", "8"], [url, live.url]);
      expect(result.code).toBe(EXIT.unreachable);
      expect(result.err).toContain(`cannot reach the lvsfleet server at ${url}`);
      expect(result.err).toContain("give lvsctl the CA that issued the server's certificate");
      expect(live.requests).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      impostor.close();
    }
  });

  it("skips a dead first server (connection refused) and reads from the next", async () => {
    const dead = await deadUrl();
    const live = await replica("web");
    const result = await lvsctl(["jobs", "8"], [dead, live.url]);
    expect(result.err).toBe("");
    expect(result.code).toBe(EXIT.ok);
    expect(JSON.parse(result.out)).toMatchObject({ id: "8", state: "completed" });
    expect(live.requests).toEqual([{ method: "GET", path: "/v1/jobs/8" }]);
  });

  it("moves a read on when a proxy answers 503, and names every server tried when none answers", async () => {
    const proxy = await proxyWithoutReplicas();
    const live = await replica("web");
    const ok = await lvsctl(["jobs", "8"], [proxy.url, live.url]);
    expect(ok.code).toBe(EXIT.ok);
    expect(proxy.requests).toHaveLength(1);
    expect(live.requests).toHaveLength(1);

    const dead = await deadUrl();
    const reset = await resetting();
    const none = await lvsctl(["jobs", "8"], [dead, proxy.url, reset.url]);
    expect(none.code).toBe(EXIT.unreachable);
    expect(none.err).toContain(`lvsctl: cannot reach any of the 3 lvsfleet servers`);
    expect(none.err).toContain(`  ${dead}: connection refused\n`);
    expect(none.err).toContain(`  ${proxy.url}: HTTP 503\n`);
    expect(none.err).toContain(`  ${reset.url}: `);
    expect(reset.requests).toHaveLength(1); // a GET may be sent again: it was, once, to the next server
  });

  it("a change that may have reached a server (connection reset after the request) is not sent to the next one", async () => {
    const reset = await resetting();
    const live = await replica("web");
    const result = await lvsctl(["retry", "7", "--no-wait"], [reset.url, live.url]);
    expect(result.code).toBe(EXIT.unreachable);
    expect(result.err).toContain(`lvsctl: POST /v1/jobs/7/retry failed at ${reset.url}`);
    expect(result.err).toContain("not sent to another one, it could apply twice");
    expect(result.err).toContain(`  ${live.url}: not tried\n`);
    expect(result.err).toMatch(/check whether it was applied .* before running it again/);
    expect(reset.requests).toEqual([{ method: "POST", path: "/v1/jobs/7/retry" }]);
    expect(live.requests).toEqual([]);
  });

  it("a change that a proxy answered 503 is not sent again either: the proxy may have passed it on", async () => {
    const proxy = await proxyWithoutReplicas();
    const live = await replica("web");
    const result = await lvsctl(["retry", "7", "--no-wait"], [proxy.url, live.url]);
    expect(result.code).toBe(EXIT.serverError);
    expect(result.err).toContain("not sent to another server: it may have been passed on and applied");
    expect(proxy.requests).toHaveLength(1);
    expect(live.requests).toEqual([]);
  });

  it("a change refused before it was sent (connection refused) goes to the next server, once", async () => {
    const dead = await deadUrl();
    const live = await replica("web");
    const result = await lvsctl(["retry", "7", "--no-wait"], [dead, live.url]);
    expect(result.err).toBe("");
    expect(result.code).toBe(EXIT.ok);
    expect(live.requests).toEqual([{ method: "POST", path: "/v1/jobs/7/retry" }]);
  });

  it("remembers the server that answered: the next requests of the same run start there", async () => {
    const dead = await deadUrl();
    const live = await replica("web");
    // retry (POST) then wait for the job (GETs): the dead server is tried once, for the first request only.
    const result = await lvsctl(["retry", "7"], [dead, live.url]);
    expect(result.code).toBe(EXIT.ok);
    expect(live.requests.map((r) => r.method)).toEqual(["POST", "GET"]);
    expect(tryOrder(["a", "b", "c"], "b")).toEqual(["b", "c", "a"]);
    expect(tryOrder(["a", "b", "c"], undefined)).toEqual(["a", "b", "c"]);
  });
});

describe("waiting for a job across servers", () => {
  it("the replica that took the change dies while lvsctl waits: the wait goes on on the next one", async () => {
    let polled = 0;
    const first = await listen((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.method === "POST")
        res.end(JSON.stringify({ id: "8", kind: "apply", cluster: "web", command: "retry", state: "queued" }));
      else {
        polled++;
        res.end(JSON.stringify({ id: "8", kind: "apply", cluster: "web", command: "retry", state: "active" }));
        // then it dies: its port refuses every new connection
        first.server.close();
        first.server.closeAllConnections();
      }
    });
    const second = await replica("web");
    const result = await lvsctl(["retry", "7"], [first.url, second.url]);
    expect(result.err).toBe("");
    expect(result.code).toBe(EXIT.ok);
    expect(JSON.parse(result.out)).toMatchObject({ id: "8", state: "completed" });
    expect(first.requests.map((r) => r.method)).toEqual(["POST", "GET"]);
    expect(polled).toBe(1);
    // the change was never sent to the second server: only the wait's reads were
    expect(second.requests.map((r) => r.method)).toEqual(["GET"]);
  });
});

describe("several server URLs in the settings", () => {
  it("takes a comma-separated --server or LVSFLEET_URL, and a list in the config file", () => {
    expect(resolveSettings({ server: "https://a:8443, https://b:8443" }, {})).toMatchObject({
      urls: ["https://a:8443", "https://b:8443"],
      url: "https://a:8443,https://b:8443",
      sources: { url: "--server" },
    });
    expect(resolveSettings({}, { LVSFLEET_URL: "http://a:1,http://b:2", HOME: "/nonexistent" }).urls).toEqual([
      "http://a:1",
      "http://b:2",
    ]);
  });

  it("a bad URL in the list is a usage error naming it and its place; nothing is sent", async () => {
    const live = await replica("web");
    const result = await lvsctl(["jobs", "8"], [live.url, "http//b:8080"]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain(
      "lvsctl: http//b:8080 (entry 2 of --server) is not a server URL: must be the server's URL, http:// or https://",
    );
    expect(live.requests).toEqual([]);
    const empty = await lvsctl(["jobs", "8"], [live.url, ""]);
    expect(empty.code).toBe(EXIT.usage);
    expect(empty.err).toContain("an empty server URL (entry 2 of --server) is not allowed");
    expect(parseServerList("ftp://a")).toMatchObject({ bad: "ftp://a", position: 1 });
  });

  it("refuses a list that mixes https:// with plain http:// to another host (the token would go in clear when TLS fails)", async () => {
    expect(parseServerList("https://a:8443,http://b:8080")).toMatchObject({
      bad: "http://b:8080",
      position: 2,
      reason: expect.stringContaining("the token would go in clear"),
    });
    // loopback is fine (a local replica or an SSH tunnel), as are lists of one kind
    expect(parseServerList("https://a:8443,http://127.0.0.1:8080")).toEqual({
      urls: ["https://a:8443", "http://127.0.0.1:8080"],
    });
    expect(parseServerList("http://a:8080,http://b:8080")).toEqual({ urls: ["http://a:8080", "http://b:8080"] });
    const live = await replica("web");
    const result = await lvsctl(["jobs", "8"], ["https://a.example:8443", "http://b.example:8080", live.url]);
    expect(result.code).toBe(EXIT.usage);
    expect(live.requests).toEqual([]);
  });
});

describe("what may be sent again", () => {
  it("a failure before sending (refused, DNS, TLS refused) is safe to re-send; a reset or a timeout is not", () => {
    const failure = (code: string) => describeConnectionFailure(new ApiConnectionError(`x ${code}`, code));
    for (const code of [
      "ECONNREFUSED",
      "ENOTFOUND",
      "EAI_AGAIN",
      "EHOSTUNREACH",
      "ERR_SSL_WRONG_VERSION_NUMBER",
      "DEPTH_ZERO_SELF_SIGNED_CERT",
    ])
      expect(failure(code).maybeSent, code).toBe(false);
    // EPROTO can come after the handshake, once the request went out
    for (const code of ["ECONNRESET", "ETIMEDOUT", "EPIPE", "ERR_ANSWER_TOO_LONG", "EPROTO"])
      expect(failure(code).maybeSent, code).toBe(true);
    expect(describeConnectionFailure(new Error("socket hang up")).maybeSent).toBe(true);
    expect(failure("ECONNREFUSED").reason).toBe("connection refused");
    expect(failure("ENOTFOUND").reason).toBe("unknown host");
    expect(failure("CERT_HAS_EXPIRED").untrustedCertificate).toBe(true);
  });

  it("only reads are idempotent; 503 from anyone and 502/504 not from lvsfleet are gateway failures", () => {
    expect(["GET", "get", "HEAD", "OPTIONS"].map(isIdempotent)).toEqual([true, true, true, true]);
    expect(["POST", "PUT", "PATCH", "DELETE"].map(isIdempotent)).toEqual([false, false, false, false]);
    expect(isGatewayFailure(503, true)).toBe(true);
    expect(isGatewayFailure(502, false)).toBe(true);
    expect(isGatewayFailure(504, false)).toBe(true);
    // lvsfleet's own 502: an agent call failed, the same answer from every replica
    expect(isGatewayFailure(502, true)).toBe(false);
    expect(isGatewayFailure(500, false)).toBe(false);
    expect(isGatewayFailure(429, false)).toBe(false);
  });
});
