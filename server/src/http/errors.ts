import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { asCommandError, type CommandErrorKind } from "../commands/errors.ts";

export interface ErrorPayload {
  error: { field?: string; message: string; details?: { field: string; message: string }[]; candidates?: string[] };
}

/** A command error's kind as an HTTP status. */
const STATUS: Record<CommandErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  ambiguous: 400,
  unclear: 400,
  unauthenticated: 401,
  forbidden: 403,
  "not-found": 404,
  conflict: 409,
  aborted: 422,
  busy: 429,
  internal: 500,
  unavailable: 502,
  "not-replicated": 503,
};

/** Maps a command's error to its HTTP status, JSON body and (for a 429) Retry-After. */
export function errorResponse(error: unknown): {
  status: ContentfulStatusCode;
  body: ErrorPayload;
  headers?: Record<string, string>;
} {
  const { kind, message, detail } = asCommandError(error);
  const body: ErrorPayload = {
    error: {
      ...(detail.field !== undefined ? { field: detail.field } : {}),
      message,
      ...(detail.details ? { details: detail.details } : {}),
      ...(detail.candidates ? { candidates: detail.candidates } : {}),
    },
  };
  const headers =
    detail.retryAfterSeconds !== undefined ? { "retry-after": String(detail.retryAfterSeconds) } : undefined;
  return { status: STATUS[kind], body, ...(headers ? { headers } : {}) };
}

export function sendError(c: Context, error: unknown) {
  const { status, body, headers } = errorResponse(error);
  return c.json(body, status, headers);
}
