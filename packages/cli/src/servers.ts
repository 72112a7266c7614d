import { ApiConnectionError } from "@lvsfleet/rpc/https";
import { z } from "zod";

/**
 * The lvsfleet servers lvsctl may talk to — one, or several replicas of the same control plane
 * (docs/operations.md, "Running several servers") — and when a failed request may be tried on the
 * next one. Pure: no I/O here; api.ts does the requests.
 */

/** One server URL: http:// or https://, as --server, LVSFLEET_URL and the config file give it. */
export const ServerUrl = z.url({
  protocol: /^https?$/,
  error: "must be the server's URL, http:// or https://, e.g. http://127.0.0.1:8080",
});

/**
 * Parses a comma-separated list of server URLs (--server, LVSFLEET_URL); each entry is checked.
 * Returns the URLs, or the first bad entry with its position and the reason.
 */
export function parseServerList(text: string): { urls: string[] } | { bad: string; position: number; reason: string } {
  const entries = text.split(",").map((entry) => entry.trim());
  for (const [index, entry] of entries.entries()) {
    if (entry === "") return { bad: entry, position: index + 1, reason: "is empty" };
    const parsed = ServerUrl.safeParse(entry);
    if (!parsed.success) return { bad: entry, position: index + 1, reason: parsed.error.issues[0]?.message ?? "" };
  }
  // A list that mixes https:// with plain http:// to another host would send the token in clear to the
  // next server whenever the first one's TLS fails (or is made to fail).
  if (entries.some((entry) => entry.toLowerCase().startsWith("https://"))) {
    const index = entries.findIndex((entry) => entry.toLowerCase().startsWith("http://") && !isLoopback(entry));
    if (index !== -1)
      return {
        bad: entries[index] as string,
        position: index + 1,
        reason:
          "is plain http:// in a list with https:// servers: the token would go in clear when TLS fails; use https:// for every server",
      };
  }
  return { urls: entries };
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

/** Requests lvsctl may send twice: they change nothing, so a second copy does no harm. */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS"]);
export const isIdempotent = (method: string): boolean => IDEMPOTENT.has(method.toUpperCase());

/**
 * Connection failures that happen before a single byte of the request leaves: nothing reached any
 * server, so even a POST may go to the next one. Everything else (a reset, a timeout, a connection
 * closed mid-answer) may have come after the server read the request.
 */
const BEFORE_SENDING = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_NONAME",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "ERR_INVALID_PROTOCOL",
  // The TLS handshake failed on a plaintext port: the request, and its token, were never sent. (EPROTO
  // is not here: it can also come after the handshake, once the request was sent.)
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);

/** Why one server did not answer, and whether the request may have reached it. */
export interface ConnectionFailure {
  reason: string;
  /** `false`: the failure came before the request was sent (refused, DNS, TLS handshake refused). */
  maybeSent: boolean;
  untrustedCertificate: boolean;
}

export function describeConnectionFailure(error: unknown): ConnectionFailure {
  const connection = error instanceof ApiConnectionError ? error : undefined;
  const code = connection?.code;
  const untrustedCertificate = connection?.untrustedCertificate ?? false;
  const reason =
    code === "ECONNREFUSED"
      ? "connection refused"
      : code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME"
        ? "unknown host"
        : (error as Error).message;
  return {
    reason,
    maybeSent: !(untrustedCertificate || (code !== undefined && BEFORE_SENDING.has(code))),
    untrustedCertificate,
  };
}

/**
 * A server whose certificate is not trusted is a reason to stop, not to try the next one: it may be
 * an impostor (or a broken trust setup the operator must see), and moving on silently would hide it.
 */
export function stopsFailover(failure: ConnectionFailure): boolean {
  return failure.untrustedCertificate;
}

/**
 * An HTTP answer that says "this server cannot take it now, another may": 503 from anyone (a proxy
 * with no live replica, a replica shutting down), and 502/504 from a proxy in front (a gateway
 * error). lvsfleet's own 502 (an agent call failed: its JSON error body) is the fleet's answer and
 * would be the same from every replica, so it is shown, not retried.
 */
export function isGatewayFailure(status: number, lvsfleetError: boolean): boolean {
  return status === 503 || ((status === 502 || status === 504) && !lvsfleetError);
}

/**
 * The order to try the servers in: from the one that last answered (remembered for the process),
 * then the ones after it in the list, then the ones before it.
 */
export function tryOrder(urls: readonly string[], lastAnswered: string | undefined): string[] {
  const start = lastAnswered === undefined ? 0 : Math.max(0, urls.indexOf(lastAnswered));
  return [...urls.slice(start), ...urls.slice(0, start)];
}
