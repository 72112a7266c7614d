import { readFileSync } from "node:fs";
import { type IncomingHttpHeaders, type IncomingMessage, request as plainRequest } from "node:http";
import { type RequestOptions, request as secureRequest } from "node:https";
import { createSecureContext, rootCertificates, type SecureContext } from "node:tls";

/**
 * Whom a client of the lvsfleet REST API trusts for the server's HTTPS certificate — a named mode, so
 * that every call says which. The server's name or address must be in its certificate in every mode.
 *
 * - `pinned`: only `caPem` — the lvsfleet CA an agent pinned at enrollment, or stored since — plus the
 *   CAs in NODE_EXTRA_CA_CERTS when set (an operator who serves the API with a certificate from their
 *   own CA, LVSFLEET_TLS=files, names that CA there on purpose). Not Node's public roots: a
 *   certificate any public CA issued for the server's name does not get an agent's join token or its
 *   registration. What agents use by default (an --insecure agent holds no lvsfleet CA: then only
 *   NODE_EXTRA_CA_CERTS; with neither, nothing is trusted).
 * - `public`: Node's bundled public roots (Mozilla's list), NODE_EXTRA_CA_CERTS, and `caPem` when given:
 *   what Node trusts by default, plus the lvsfleet CA. lvsctl's (an operator points it at a server
 *   they name, often behind a public certificate; --ca-file adds the lvsfleet CA), and an agent's
 *   when its operator opts in with --server-ca-roots public.
 * - `unverified`: no chain verification at all: only for an agent's first contact, to read the CA it
 *   will then check against its pin before trusting it (see enrollment). Never for anything carrying a
 *   secret.
 */
export type ApiTrust = VerifiedTrust | { roots: "unverified" };
export type ApiTrustRoots = "pinned" | "public";
export interface VerifiedTrust {
  roots: ApiTrustRoots;
  caPem?: string | undefined;
}
/** The verified modes, as an agent's --server-ca-roots names them. */
export const API_TRUST_ROOTS = ["pinned", "public"] as const satisfies readonly ApiTrustRoots[];

export interface ApiRequest {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  /** For the whole exchange: connection, TLS handshake, request and the full answer. */
  timeoutMs: number;
  /** Default: `{ roots: "public" }`, what Node trusts by default. */
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
  // a certificate not made to serve (a CA's own, a client certificate) or not properly signed
  "INVALID_PURPOSE",
  "INVALID_CA",
  "CERT_SIGNATURE_FAILURE",
]);

/** What went wrong, in words an operator can act on. */
function describe(url: URL, error: NodeJS.ErrnoException, trust: ApiTrust): ApiConnectionError {
  const code = error.code;
  if (code && CERTIFICATE_ERRORS.has(code))
    return new ApiConnectionError(
      trust.roots === "pinned"
        ? `the server's HTTPS certificate is not trusted (${code}: ${error.message}): only the pinned lvsfleet CA and the CAs in NODE_EXTRA_CA_CERTS are trusted here, not public roots (an agent's --server-ca-roots public adds them); and use a name or address the certificate lists`
        : `the server's HTTPS certificate is not trusted (${code}: ${error.message}): trust the CA that issued it (the lvsfleet CA, or NODE_EXTRA_CA_CERTS for an operator's) and use a name or address the certificate lists`,
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
 * The certificate authorities a verified mode trusts. Passing `ca` to TLS replaces Node's defaults, so
 * the ones a mode keeps are listed explicitly (`tls.rootCertificates`, and NODE_EXTRA_CA_CERTS as Node
 * reads it).
 */
export function trustedCas(trust: VerifiedTrust, env = process.env): string[] {
  const lvsfleet = trust.caPem ? [trust.caPem] : [];
  return trust.roots === "pinned"
    ? [...lvsfleet, ...extraCas(env)]
    : [...rootCertificates, ...extraCas(env), ...lvsfleet];
}

/** Parsing ~140 roots costs a few milliseconds: the last few contexts are kept. */
const contexts = new Map<string, SecureContext>();
function secureContext(trust: VerifiedTrust): SecureContext {
  const key = `${trust.roots}\n${process.env.NODE_EXTRA_CA_CERTS ?? ""}\n${trust.caPem ?? ""}`;
  let context = contexts.get(key);
  if (!context) {
    context = createSecureContext({ ca: trustedCas(trust) });
    if (contexts.size >= 4) contexts.delete(contexts.keys().next().value as string);
    contexts.set(key, context);
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
  const trust: ApiTrust = options.trust ?? { roots: "public" };
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
      response.on("error", (error) => finish(describe(url, error, trust)));
    };
    const common = { method: options.method, headers, agent: false as const };
    // node:https hands these to tls.connect (its types omit `secureContext`, which tls.connect takes).
    const tlsOptions: RequestOptions & { secureContext?: SecureContext } =
      trust.roots === "unverified"
        ? { ...common, rejectUnauthorized: false }
        : trust.roots === "public" && !trust.caPem
          ? common // Node's own defaults: the same roots, without building a context
          : { ...common, secureContext: secureContext(trust) };
    const request = secure ? secureRequest(url, tlsOptions, onResponse) : plainRequest(url, common, onResponse);
    const timer = setTimeout(() => {
      request.destroy();
      finish(new ApiConnectionError(`no answer from ${url.host} within ${options.timeoutMs / 1000} s`, "ETIMEDOUT"));
    }, options.timeoutMs);
    request.on("error", (error) => finish(describe(url, error, trust)));
    request.end(body);
  });
}
