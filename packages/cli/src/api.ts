import { randomUUID } from "node:crypto";
import { type ApiAnswer, ApiConnectionError, requestApi } from "@lvsfleet/rpc/https";
import { CliError, EXIT, type ExitCode } from "./exit-codes.ts";

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
  url: string;
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

/**
 * A thin client for the REST API v1 over http or https (the server's certificate checked against
 * Node's default roots and --ca-file): bearer token, one request id per command (X-Request-Id,
 * shown with every error so the server's and agents' logs can be searched for it), a timeout,
 * and errors turned into CliErrors with lvsctl's exit codes.
 */
export class Api {
  readonly requestId = randomUUID();

  constructor(private readonly options: ApiOptions) {}

  get url(): string {
    return this.options.url;
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    accept = "application/json",
  ): Promise<{ status: number; body: T; text: string }> {
    const headers: Record<string, string> = { accept, "x-request-id": this.requestId };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: ApiAnswer;
    const target = new URL(path, this.options.url);
    try {
      response = await requestApi(target, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs: this.options.timeoutMs,
        // lvsctl talks to the server its operator names, often through a public certificate: Node's
        // public roots, NODE_EXTRA_CA_CERTS, and the lvsfleet CA from --ca-file (@lvsfleet/rpc/https).
        trust: { roots: "public", caPem: this.options.caPem },
      });
    } catch (error) {
      throw unreachable(this.options.url, error);
    }
    const text = response.text;
    let parsed: unknown;
    try {
      parsed = text && response.headers["content-type"]?.includes("json") ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw this.failure(method, path, response.status, parsed as ErrorBody | undefined, text);
    return { status: response.status, body: parsed as T, text };
  }

  get = <T = unknown>(path: string) => this.request<T>("GET", path).then((r) => r.body);
  text = (path: string) => this.request("GET", path, undefined, "text/plain").then((r) => r.text);
  put = <T = unknown>(path: string, body: unknown) => this.request<T>("PUT", path, body).then((r) => r.body);
  post = <T = unknown>(path: string, body?: unknown) => this.request<T>("POST", path, body).then((r) => r.body);
  patch = <T = unknown>(path: string, body: unknown) => this.request<T>("PATCH", path, body).then((r) => r.body);
  delete = <T = unknown>(path: string) => this.request<T>("DELETE", path).then((r) => r.body);

  private failure(method: string, path: string, status: number, body: ErrorBody | undefined, text: string): CliError {
    const error = body?.error;
    const message = error?.message ?? (text.trim().slice(0, 200) || `HTTP ${status}`);
    // The server's own 404 for a route it does not have: an older server, or a feature not built yet.
    if (status === 404 && /^no route /.test(message))
      return new CliError(
        `this server does not support ${method} ${path.split("?")[0]} (${this.options.url}): it may be older than this lvsctl`,
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

function unreachable(url: string, error: unknown): CliError {
  const code = error instanceof ApiConnectionError ? error.code : undefined;
  const reason =
    code === "ECONNREFUSED"
      ? "connection refused"
      : code === "ENOTFOUND" || code === "EAI_AGAIN"
        ? "unknown host"
        : (error as Error).message;
  const certificate = error instanceof ApiConnectionError && error.untrustedCertificate;
  return new CliError(
    `cannot reach the lvsfleet server at ${url}: ${reason}`,
    EXIT.unreachable,
    certificate
      ? [
          "give lvsctl the CA that issued the server's certificate: --ca-file, LVSFLEET_CA_FILE, caFile in the config, or NODE_EXTRA_CA_CERTS",
        ]
      : ["is the server running? point lvsctl at it with --server, LVSFLEET_URL or the config file (lvsctl config)"],
  );
}
