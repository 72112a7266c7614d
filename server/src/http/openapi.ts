import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AuthEnv } from "./auth.ts";
import { ErrorBody } from "./schemas.ts";

/** The app type every route module registers on. */
export type Api = OpenAPIHono<AuthEnv>;

/**
 * The document's own fields. Every operation has an operationId (the method name a generated client
 * gets: stable, camelCase, unique) and a summary; `@redocly/cli lint` (redocly.yaml) checks the whole
 * document in test/e2e/openapi-client.test.ts.
 */
const DOCUMENT = {
  openapi: "3.0.3",
  info: {
    title: "lvsfleet",
    version: "1",
    description:
      "Control plane for LVS/IPVS clusters. Authorization: Bearer <token> on everything but /v1/health and the signed chat endpoints. Roles: viewer (read), operator (weights, jobs), admin (specs, start/stop, tokens, enrollment).",
    license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
  },
  servers: [{ url: "/", description: "The server that serves this document (http or https, its host and port)" }],
  security: [{ bearer: [] }],
};

/** The OpenAPI 3.0 document of every route registered on the app so far. */
export function openApiDocument(app: Api) {
  return withoutTypelessNullable(app.getOpenAPIDocument(DOCUMENT));
}

/** GET /openapi.json: the document, built when asked (every route is registered by then). */
export function serveOpenApiDocument(app: Api): void {
  app.get("/openapi.json", (c) => c.json(openApiDocument(app)));
}

/**
 * The 3.0 generator writes a value of any type (z.unknown(), a loose object's extra properties) as
 * `{nullable: true}`. OpenAPI 3.0.3 says nullable only applies next to a type, so that schema means the
 * same as `{}` (any value, null included) but linters and example validators reject it: drop the key.
 * Not in a list (allOf/anyOf/oneOf), where `{nullable: true}` is how the generator marks a nullable $ref.
 */
function withoutTypelessNullable<T>(node: T, inList = false): T {
  if (Array.isArray(node)) return node.map((item) => withoutTypelessNullable(item, true)) as T;
  if (node === null || typeof node !== "object") return node;
  const entries = Object.entries(node).map(([key, value]) => [key, withoutTypelessNullable(value)] as const);
  const typeless = !inList && !("type" in node) && !("$ref" in node) && "nullable" in node && node.nullable === true;
  return Object.fromEntries(typeless ? entries.filter(([key]) => key !== "nullable") : entries) as T;
}

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
  503: json(
    ErrorBody,
    "A change made on the Redis master that its replicas did not confirm in time (LVSFLEET_REDIS_WAIT_REPLICAS, LVSFLEET_REDIS_WAIT_MS): it may not survive a Redis fail-over; safe to retry after Retry-After seconds",
  ),
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
