import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AuthEnv } from "./auth.ts";
import { ErrorBody } from "./schemas.ts";

/** The app type every route module registers on. */
export type Api = OpenAPIHono<AuthEnv>;

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

export const errors = {
  400: json(ErrorBody, "Bad input: the field and the reason; nothing changed"),
  401: json(ErrorBody, "No, wrong or revoked bearer token"),
  403: json(ErrorBody, "The token's role (or cluster list) does not allow this"),
  404: json(ErrorBody, "Unknown cluster, service, real server, host, job or token"),
  429: json(ErrorBody, "Too many requests from this token; retry after Retry-After seconds"),
};

/** The answers of routes whose work runs in the simulation pool (what-if, plan), besides `errors`. */
export const simulationErrors = {
  422: json(
    ErrorBody,
    "The work ran past LVSFLEET_SIM_DEADLINE_MS (or its thread's LVSFLEET_SIM_MEMORY_MB) and was stopped; nothing changed",
  ),
  429: json(
    ErrorBody,
    "Too many requests from this token, or every simulation thread is busy and the queue is full (LVSFLEET_SIM_THREADS, LVSFLEET_SIM_QUEUE); retry after Retry-After seconds",
  ),
};

/** A cluster's own endpoints, when its stored spec cannot be read. */
export const unreadableSpec = json(
  ErrorBody,
  "The cluster's stored spec cannot be read (written by an older version and not migrated): PUT a spec to replace it",
);

export const pathParam = (name: string, example: string, description?: string) =>
  z.string().openapi({ param: { name, in: "path" }, example, ...(description ? { description } : {}) });
