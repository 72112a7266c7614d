import { ValidationError } from "@lvsfleet/model";
import { PkiError } from "@lvsfleet/pki";
import { AgentCallError } from "@lvsfleet/rpc";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ForbiddenError } from "../access/roles.ts";
import { AgentRefusedError } from "../agents/pool.ts";
import { AmbiguousError, ConflictError, NotFoundError } from "../commands/errors.ts";
import { InsecureModeError } from "../commands/pki.ts";
import { SimulationAbortedError, SimulationBusyError } from "../simulation/errors.ts";
import { ConcurrentUpdateError, StoredSpecError } from "../store/clusters.ts";
import { HostNotOwnedError, HostOwnedError } from "../store/host-owners.ts";

export interface ErrorPayload {
  error: { field?: string; message: string; details?: { field: string; message: string }[]; candidates?: string[] };
}

/** Maps a command's error to the HTTP status and body every front door agrees on (and headers, for a few). */
export function errorResponse(error: unknown): {
  status: ContentfulStatusCode;
  body: ErrorPayload;
  headers?: Record<string, string>;
} {
  if (error instanceof ValidationError) {
    const first = error.errors[0];
    return {
      status: 400,
      body: { error: { field: first?.field, message: first?.message ?? error.message, details: error.errors } },
    };
  }
  if (error instanceof PkiError) return pkiErrorResponse(error);
  if (error instanceof InsecureModeError) return { status: 409, body: { error: { message: error.message } } };
  if (error instanceof ForbiddenError) return { status: 403, body: { error: { message: error.message } } };
  if (error instanceof NotFoundError) return { status: 404, body: { error: { message: error.message } } };
  if (error instanceof AmbiguousError)
    return { status: 400, body: { error: { message: error.message, candidates: error.candidates } } };
  if (error instanceof ConflictError) return { status: 409, body: { error: { message: error.message } } };
  if (error instanceof ConcurrentUpdateError) return { status: 409, body: { error: { message: error.message } } };
  if (error instanceof StoredSpecError) return { status: 409, body: { error: { message: error.message } } };
  if (error instanceof HostOwnedError)
    return { status: 409, body: { error: { field: error.field, message: error.message } } };
  if (error instanceof HostNotOwnedError) return { status: 409, body: { error: { message: error.message } } };
  if (error instanceof AgentRefusedError) return { status: 403, body: { error: { message: error.message } } };
  if (error instanceof AgentCallError) return { status: 502, body: { error: { message: error.message } } };
  if (error instanceof SimulationBusyError)
    return {
      status: 429,
      body: { error: { message: error.message } },
      headers: { "retry-after": String(error.retryAfterSeconds) },
    };
  if (error instanceof SimulationAbortedError) return { status: 422, body: { error: { message: error.message } } };
  return { status: 500, body: { error: { message: "internal error; see the server log" } } };
}

export function sendError(c: Context, error: unknown) {
  const { status, body, headers } = errorResponse(error);
  return c.json(body, status, headers);
}

/** PKI refusals: bad input 400, failed proof of who you are 401, a known identity refused 403. */
function pkiErrorResponse(error: PkiError): { status: ContentfulStatusCode; body: ErrorPayload } {
  const status: ContentfulStatusCode =
    error.code === "invalid-input" || error.code === "invalid-csr" || error.code === "unsupported-key"
      ? 400
      : error.code === "identity-mismatch" || error.code === "revoked"
        ? 403
        : error.code === "ca-files"
          ? 500
          : 401;
  const message = error.message.startsWith(`${error.field}: `)
    ? error.message.slice(error.field.length + 2)
    : error.message;
  return { status, body: { error: { field: error.field, message } } };
}
