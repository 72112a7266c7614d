import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

/** The request body limits: specs have their own, larger one; every other route has the default. */
export interface BodyLimits {
  /** LVSFLEET_MAX_BODY_BYTES: every route but the spec routes. */
  maxBodyBytes: number;
  /** LVSFLEET_MAX_SPEC_BYTES: the routes that take a whole cluster spec (PUT a cluster, POST its plan). */
  maxSpecBytes: number;
}

/** The routes whose body is a whole cluster spec: PUT /v1/clusters/{cluster} and POST /v1/clusters/{cluster}/plan. */
export function takesSpec(method: string, path: string): boolean {
  if (method === "PUT") return /^\/v1\/clusters\/[^/]+\/?$/.test(path);
  if (method === "POST") return /^\/v1\/clusters\/[^/]+\/plan\/?$/.test(path);
  return false;
}

/** "32 MiB", "1 MiB", "1536 KiB", "900 bytes": the limit as an operator would set it. */
export function describeBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * One middleware for both limits: a body over its route's limit is refused with 413 before it is
 * read whole (and the connection is closed: the rest of the body is never read); the message names
 * the limit and the setting that raises it.
 *
 * It runs before authentication. A body that declares its length (Content-Length) is judged by the
 * header alone; one sent in chunks can only be measured by reading it, so before anyone is known a
 * chunked body is held to the small limit on every route: the spec limit needs Content-Length (as
 * lvsctl and every HTTP client sending a prepared body sends it), and a stranger cannot make the
 * server buffer 32 MiB per connection.
 */
export function bodyLimits(limits: BodyLimits): MiddlewareHandler {
  const tooLarge = (bytes: number, what: string, setting: string, hint = "") =>
    bodyLimit({
      maxSize: bytes,
      onError: (c) =>
        c.json(
          {
            error: {
              message: `the ${what} is larger than ${bytes} bytes (${describeBytes(bytes)}), the limit ${setting} sets${hint}`,
            },
          },
          413,
          // the rest of the body is not read: the connection cannot carry another request
          { connection: "close" },
        ),
    });
  const spec = tooLarge(limits.maxSpecBytes, "spec", "LVSFLEET_MAX_SPEC_BYTES");
  const chunkedSpec = tooLarge(
    limits.maxBodyBytes,
    "spec sent without Content-Length",
    "LVSFLEET_MAX_BODY_BYTES",
    `; send it with Content-Length for up to ${describeBytes(limits.maxSpecBytes)} (LVSFLEET_MAX_SPEC_BYTES)`,
  );
  const other = tooLarge(limits.maxBodyBytes, "body", "LVSFLEET_MAX_BODY_BYTES");
  return (c, next) => {
    if (!takesSpec(c.req.method, c.req.path)) return other(c, next);
    return c.req.header("content-length") === undefined ? chunkedSpec(c, next) : spec(c, next);
  };
}
