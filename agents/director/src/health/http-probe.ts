import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { type HttpCheck, type HttpCheckUrl, type HttpsCheck, statusCodeAccepted } from "@lvsfleet/model";
import { elapsedSince, failureDetail, type ProbeResult } from "./probe.ts";

/** Bodies are read up to this size for the digest (keepalived reads the whole page; pages are small). */
const MAX_BODY = 1024 * 1024;

/**
 * keepalived HTTP_GET and SSL_GET: GET each URL in turn (one connection each, no keep-alive); the
 * attempt succeeds when every URL answers with an accepted status code and, when a digest is set,
 * a body whose MD5 matches. The timeout covers the whole attempt. SSL_GET does not verify the
 * certificate (as keepalived); with enableSni the virtualhost is sent as SNI.
 */
export async function httpProbe(
  check: HttpCheck | HttpsCheck,
  address: string,
  port: number,
  options: { timeoutMs: number; signal: AbortSignal },
): Promise<ProbeResult> {
  const started = performance.now();
  const deadline = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  for (const url of check.urls) {
    try {
      const { status, digest } = await get(check, url, address, port, deadline);
      if (!statusCodeAccepted(url.statusCodes, status))
        return { ok: false, detail: `HTTP ${status} from ${url.path}`, ms: elapsedSince(started) };
      if (url.digest !== undefined && digest !== url.digest)
        return { ok: false, detail: `digest ${digest} of ${url.path} is not ${url.digest}`, ms: elapsedSince(started) };
    } catch (error) {
      const detail =
        deadline.aborted && !options.signal.aborted ? `no answer within ${options.timeoutMs} ms` : failureDetail(error);
      return { ok: false, detail: `${url.path}: ${detail}`, ms: elapsedSince(started) };
    }
  }
  const last = check.urls.at(-1)?.path ?? "/";
  return {
    ok: true,
    detail: `HTTP OK from ${check.urls.length > 1 ? `${check.urls.length} URLs` : last}`,
    ms: elapsedSince(started),
  };
}

function get(
  check: HttpCheck | HttpsCheck,
  url: HttpCheckUrl,
  address: string,
  port: number,
  signal: AbortSignal,
): Promise<{ status: number; digest: string }> {
  const host = url.virtualhost ?? check.virtualhost;
  const tls = check.type === "https";
  const hostHeader = host ?? (address.includes(":") ? `[${address}]` : address);
  const common = {
    host: address,
    port,
    path: url.path,
    method: "GET",
    agent: false as const,
    signal,
    headers: { host: hostHeader, connection: "close", "user-agent": "lvsfleet-healthcheck" },
    ...(check.bindTo ? { localAddress: check.bindTo } : {}),
  };
  return new Promise((resolve, reject) => {
    const onResponse = (response: import("node:http").IncomingMessage) => {
      const md5 = createHash("md5");
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY) md5.update(chunk);
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, digest: md5.digest("hex") }));
      response.on("error", reject);
    };
    const req = tls
      ? httpsRequest(
          {
            ...common,
            rejectUnauthorized: false,
            ...(check.type === "https" && check.enableSni && host ? { servername: host } : {}),
          },
          onResponse,
        )
      : httpRequest(common, onResponse);
    req.on("error", reject);
    req.end();
  });
}
