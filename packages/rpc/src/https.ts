import { readFileSync } from "node:fs";
import { type IncomingHttpHeaders, type IncomingMessage, request as plainRequest } from "node:http";
import { type RequestOptions, request as secureRequest } from "node:https";
import { createSecureContext, rootCertificates, type SecureContext } from "node:tls";

/**
 * Whom a client of the lvsfleet REST API (an agent, lvsctl) trusts for the server's HTTPS certificate:
 * Node's default roots (its bundled Mozilla store plus the file in NODE_EXTRA_CA_CERTS — an operator's
 * certificate from a public or company CA) and, when given, `caPem` (the lvsfleet CA an agent pinned
 * at enrollment, or lvsctl's --ca-file). The server's name or address must be in its certificate.
 */
export interface ApiTrust {
  caPem?: string | undefined;
  /**
   * No chain verification at all: only for an agent's first contact, to read the CA it will then
   * check against its pin before trusting it (see enrollment). Never for anything carrying a secret.
   */
  verify?: false;
}

export interface ApiRequest {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  /** For the whole exchange: connection, TLS handshake, request and the full answer. */
  timeoutMs: number;
  trust?: ApiTrust;
  /** Answers longer than this are cut off with an error (default 64 MiB). */
  maxBytes?: number;
}

export interface ApiAnswer {
  status: number;
  ok: boolean;
  headers: IncomingHttpHeaders;
  text: string;
}

/** The server could not be reached, or did not answer properly; `code` is Node's (ECONNREFUSED, CERT_HAS_EXPIRED…). */
export class ApiConnectionError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = "ApiConnectionError";
  }

  /** The server answered with a certificate this client does not trust (or not for this name). */
  get untrustedCertificate(): boolean {
    return this.code !== undefined && CERTIFICATE_ERRORS.has(this.code);
  }
}

const CERTIFICATE_ERRORS = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "HOSTNAME_MISMATCH",
]);

/** What went wrong, in words an operator can act on. */
function describe(url: URL, error: NodeJS.ErrnoException): ApiConnectionError {
  const code = error.code;
  if (code && CERTIFICATE_ERRORS.has(code))
    return new ApiConnectionError(
      `the server's HTTPS certificate is not trusted (${code}: ${error.message}): trust the CA that issued it (the lvsfleet CA, or NODE_EXTRA_CA_CERTS for an operator's) and use a name or address the certificate lists`,
      code,
    );
  if (
    url.protocol === "https:" &&
    (code === "EPROTO" || /wrong version number|packet length too long/i.test(error.message))
  )
    return new ApiConnectionError(
      `${url.host} does not speak TLS (${error.message}): is its URL http:// rather than https://?`,
      code ?? "EPROTO",
    );
  if (url.protocol === "http:" && (code === "ECONNRESET" || code === "HPE_INVALID_CONSTANT"))
    return new ApiConnectionError(
      `${url.host} closed the connection (${error.message}): if it serves HTTPS, use https:// in its URL`,
      code,
    );
  return new ApiConnectionError(error.message, code);
}

function extraCas(env: NodeJS.ProcessEnv): string[] {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  try {
    return [readFileSync(file, "utf8")];
  } catch {
    return []; // Node has already warned about it at start.
  }
}

/**
 * A TLS context trusting Node's default roots plus `caPem`. Passing `ca` replaces the defaults, so
 * they are listed explicitly (`tls.rootCertificates`, and NODE_EXTRA_CA_CERTS as Node reads it).
 * Parsing ~140 roots costs a few milliseconds: the last few contexts are kept.
 */
const contexts = new Map<string, SecureContext>();
function secureContext(caPem: string): SecureContext {
  let context = contexts.get(caPem);
  if (!context) {
    context = createSecureContext({ ca: [...rootCertificates, ...extraCas(process.env), caPem] });
    if (contexts.size >= 4) contexts.delete(contexts.keys().next().value as string);
    contexts.set(caPem, context);
  }
  return context;
}

/**
 * One request to the lvsfleet server over http: or https: (node:http/https: global fetch cannot be
 * given a CA in Node 20). Redirects are not followed. Resolves with any HTTP status; rejects with an
 * ApiConnectionError when no complete answer arrives.
 */
export function requestApi(url: URL, options: ApiRequest): Promise<ApiAnswer> {
  const secure = url.protocol === "https:";
  if (!secure && url.protocol !== "http:")
    return Promise.reject(new ApiConnectionError(`${url.protocol} is not http: or https:`, "ERR_INVALID_PROTOCOL"));
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers = { ...options.headers, ...(body ? { "content-length": String(body.length) } : {}) };
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: ApiConnectionError | undefined, answer?: ApiAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(answer!);
    };
    const onResponse = (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let length = 0;
      response.on("data", (chunk: Buffer) => {
        length += chunk.length;
        if (length > maxBytes) {
          request.destroy();
          finish(new ApiConnectionError(`the answer is longer than ${maxBytes} bytes`, "ERR_ANSWER_TOO_LONG"));
        } else chunks.push(chunk);
      });
      response.on("end", () => {
        const status = response.statusCode ?? 0;
        finish(undefined, {
          status,
          ok: status >= 200 && status < 300,
          headers: response.headers,
          text: Buffer.concat(chunks).toString("utf8"),
        });
      });
      response.on("error", (error) => finish(describe(url, error)));
    };
    const common = { method: options.method, headers, agent: false as const };
    // node:https hands these to tls.connect (its types omit `secureContext`, which tls.connect takes).
    const tlsOptions: RequestOptions & { secureContext?: SecureContext } =
      options.trust?.verify === false
        ? { ...common, rejectUnauthorized: false }
        : options.trust?.caPem
          ? { ...common, secureContext: secureContext(options.trust.caPem) }
          : common;
    const request = secure ? secureRequest(url, tlsOptions, onResponse) : plainRequest(url, common, onResponse);
    const timer = setTimeout(() => {
      request.destroy();
      finish(new ApiConnectionError(`no answer from ${url.host} within ${options.timeoutMs / 1000} s`, "ETIMEDOUT"));
    }, options.timeoutMs);
    request.on("error", (error) => finish(describe(url, error)));
    request.end(body);
  });
}
