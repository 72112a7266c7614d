import { randomUUID } from "node:crypto";
import { type ApiAnswer, requestApi } from "@lvsfleet/rpc/https";
import { CliError, EXIT, type ExitCode } from "./exit-codes.ts";
import {
  type ConnectionFailure,
  describeConnectionFailure,
  isGatewayFailure,
  isIdempotent,
  stopsFailover,
  tryOrder,
} from "./servers.ts";

/** The server's one error shape (docs/api.md). */
interface ErrorBody {
  error?: {
    field?: string;
    message?: string;
    details?: { field: string; message: string }[];
    candidates?: string[];
  };
}

export interface ApiOptions {
  /** The server, or several replicas of it: tried in order, see `request`. */
  urls: readonly string[];
  token: string | undefined;
  /** Per request, in milliseconds. */
  timeoutMs: number;
  /** CA certificate(s) trusted for an https:// server besides Node's default roots (--ca-file). */
  caPem?: string | undefined;
}

const STATUS_EXIT: Record<number, ExitCode> = {
  400: EXIT.rejected,
  401: EXIT.auth,
  403: EXIT.auth,
  404: EXIT.notFound,
  409: EXIT.rejected,
  413: EXIT.rejected,
  429: EXIT.rejected,
};

/** One server that did not answer a request, and why. */
interface Attempt {
  url: string;
  reason: string;
}

/** The server that last answered, per list of servers: later requests of this process start there. */
const lastAnswered = new Map<string, string>();

/**
 * A thin client for the REST API v1 over http or https (the server's certificate checked against
 * Node's default roots and --ca-file): bearer token, one request id per command (X-Request-Id,
 * shown with every error so the server's and agents' logs can be searched for it), a timeout,
 * and errors turned into CliErrors with lvsctl's exit codes.
 */
export class Api {
  readonly requestId = randomUUID();

  constructor(private readonly options: ApiOptions) {}

  /** The server requests go to first: the one that last answered, else the first in the list. */
  get url(): string {
    return tryOrder(this.options.urls, lastAnswered.get(this.listKey))[0] as string;
  }

  private get listKey(): string {
    return this.options.urls.join(",");
  }

  /**
   * One request, to the first server that answers it. With several servers (replicas behind one
   * Redis), the next one is tried when a server cannot be reached or a gateway says it is unavailable
   * (`isGatewayFailure`) — but a request that changes something (anything but GET, HEAD, OPTIONS) is
   * sent again only when the failure came before it was sent (connection refused, unknown host, TLS
   * handshake refused): after a reset, a timeout or a gateway error it may have been applied, and a
   * second copy could apply it twice. The error then says so, and names every server tried.
   */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    accept = "application/json",
  ): Promise<{ status: number; body: T; text: string }> {
    const headers: Record<string, string> = { accept, "x-request-id": this.requestId };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const order = tryOrder(this.options.urls, lastAnswered.get(this.listKey));
    const attempts: Attempt[] = [];
    let untrusted = false;
    for (const [index, url] of order.entries()) {
      const last = index === order.length - 1;
      let response: ApiAnswer;
      try {
        response = await requestApi(new URL(path, url), {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          timeoutMs: this.options.timeoutMs,
          // lvsctl talks to the server its operator names, often through a public certificate: Node's
          // public roots, NODE_EXTRA_CA_CERTS, and the lvsfleet CA from --ca-file (@lvsfleet/rpc/https).
          trust: { roots: "public", caPem: this.options.caPem },
        });
      } catch (error) {
        const failure = describeConnectionFailure(error);
        untrusted ||= failure.untrustedCertificate;
        attempts.push({ url, reason: failure.reason });
        if (this.options.urls.length === 1 || stopsFailover(failure)) throw unreachable(url, failure);
        if (failure.maybeSent && !isIdempotent(method)) throw this.notResent(method, path, attempts, order);
        continue;
      }
      const text = response.text;
      let parsed: unknown;
      try {
        parsed = text && response.headers["content-type"]?.includes("json") ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      const lvsfleetError = typeof (parsed as ErrorBody | undefined)?.error === "object";
      if (!last && isIdempotent(method) && isGatewayFailure(response.status, lvsfleetError)) {
        attempts.push({ url, reason: `HTTP ${response.status}` });
        continue;
      }
      lastAnswered.set(this.listKey, url);
      if (!response.ok) {
        const error = this.failure(method, path, url, response.status, parsed as ErrorBody | undefined, text);
        const gateway = isGatewayFailure(response.status, lvsfleetError);
        throw new CliError(error.message, error.exitCode, [
          ...error.details,
          ...(attempts.length ? [`answered by ${url}, after:`, ...attempts.map((a) => `  ${a.url}: ${a.reason}`)] : []),
          ...(gateway && !isIdempotent(method) && !last
            ? [
                `not sent to another server: it may have been passed on and applied; check (lvsctl get, lvsctl jobs; request id ${this.requestId}) before running it again`,
              ]
            : []),
        ]);
      }
      return { status: response.status, body: parsed as T, text };
    }
    throw new CliError(`cannot reach any of the ${order.length} lvsfleet servers`, EXIT.unreachable, [
      ...attempts.map((a) => `${a.url}: ${a.reason}`),
      untrusted
        ? TRUST_HINT
        : "are the servers running? point lvsctl at them with --server, LVSFLEET_URL or the config file (lvsctl config)",
    ]);
  }

  /** A change that failed after it may have reached a server: not sent again, and the operator told why. */
  private notResent(method: string, path: string, attempts: Attempt[], order: string[]): CliError {
    const failed = attempts[attempts.length - 1] as Attempt;
    const untried = order.slice(attempts.length);
    return new CliError(
      `${method} ${path.split("?")[0]} failed at ${failed.url} (${failed.reason}) after it may have reached the server: not sent to another one, it could apply twice`,
      EXIT.unreachable,
      [
        ...attempts.map((a) => `${a.url}: ${a.reason}`),
        ...untried.map((url) => `${url}: not tried`),
        `check whether it was applied (lvsctl get, lvsctl jobs; request id ${this.requestId}) before running it again`,
      ],
    );
  }

  get = <T = unknown>(path: string) => this.request<T>("GET", path).then((r) => r.body);
  text = (path: string) => this.request("GET", path, undefined, "text/plain").then((r) => r.text);
  put = <T = unknown>(path: string, body: unknown) => this.request<T>("PUT", path, body).then((r) => r.body);
  post = <T = unknown>(path: string, body?: unknown) => this.request<T>("POST", path, body).then((r) => r.body);
  patch = <T = unknown>(path: string, body: unknown) => this.request<T>("PATCH", path, body).then((r) => r.body);
  delete = <T = unknown>(path: string) => this.request<T>("DELETE", path).then((r) => r.body);

  private failure(
    method: string,
    path: string,
    url: string,
    status: number,
    body: ErrorBody | undefined,
    text: string,
  ): CliError {
    const error = body?.error;
    const message = error?.message ?? (text.trim().slice(0, 200) || `HTTP ${status}`);
    // The server's own 404 for a route it does not have: an older server, or a feature not built yet.
    if (status === 404 && /^no route /.test(message))
      return new CliError(
        `this server does not support ${method} ${path.split("?")[0]} (${url}): it may be older than this lvsctl`,
        EXIT.unsupported,
      );
    const details = [
      ...(error?.details && error.details.length > 1 ? error.details.map((d) => `${d.field}: ${d.message}`) : []),
      ...(error?.candidates?.length ? ["candidates:", ...error.candidates.map((c) => `  ${c}`)] : []),
      ...(status >= 500 || status === 401 || status === 403 ? [`request id: ${this.requestId}`] : []),
    ];
    const field = error?.field && !(error.details && error.details.length > 1) ? `${error.field}: ` : "";
    const prefix = status === 401 ? "not authenticated: " : status === 403 ? "not allowed: " : "";
    return new CliError(
      `${prefix}${field}${message}`,
      STATUS_EXIT[status] ?? (status >= 500 ? EXIT.serverError : EXIT.rejected),
      details,
    );
  }
}

const TRUST_HINT =
  "give lvsctl the CA that issued the server's certificate: --ca-file, LVSFLEET_CA_FILE, caFile in the config, or NODE_EXTRA_CA_CERTS";

/** The one server lvsctl knows could not be reached. */
function unreachable(url: string, failure: ConnectionFailure): CliError {
  return new CliError(
    `cannot reach the lvsfleet server at ${url}: ${failure.reason}`,
    EXIT.unreachable,
    failure.untrustedCertificate
      ? [TRUST_HINT]
      : ["is the server running? point lvsctl at it with --server, LVSFLEET_URL or the config file (lvsctl config)"],
  );
}
