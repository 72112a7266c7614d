import { ValidationError } from "@lvsfleet/model";
import { AgentCallError } from "@lvsfleet/rpc";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ForbiddenError } from "../access/roles.ts";
import { AmbiguousError, NotFoundError } from "../commands/errors.ts";
import { ConcurrentUpdateError } from "../store/clusters.ts";

export interface ErrorPayload {
  error: { field?: string; message: string; details?: { field: string; message: string }[]; candidates?: string[] };
}

/** Maps a command's error to the HTTP status and body every front door agrees on. */
export function errorResponse(error: unknown): { status: ContentfulStatusCode; body: ErrorPayload } {
  if (error instanceof ValidationError) {
    const first = error.errors[0];
    return {
      status: 400,
      body: { error: { field: first?.field, message: first?.message ?? error.message, details: error.errors } },
    };
  }
  if (error instanceof ForbiddenError) return { status: 403, body: { error: { message: error.message } } };
  if (error instanceof NotFoundError) return { status: 404, body: { error: { message: error.message } } };
  if (error instanceof AmbiguousError)
    return { status: 400, body: { error: { message: error.message, candidates: error.candidates } } };
  if (error instanceof ConcurrentUpdateError) return { status: 409, body: { error: { message: error.message } } };
  if (error instanceof AgentCallError) return { status: 502, body: { error: { message: error.message } } };
  return { status: 500, body: { error: { message: "internal error; see the server log" } } };
}

export function sendError(c: Context, error: unknown) {
  const { status, body } = errorResponse(error);
  return c.json(body, status);
}
