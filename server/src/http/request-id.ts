import { acceptRequestId, REQUEST_ID_HEADER, withRequestId } from "@lvsfleet/rpc";
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { AuthEnv } from "./auth.ts";

/**
 * Gives every request an id (the caller's X-Request-Id when sane, else a new UUID), echoes it in
 * the response, and makes it current for everything the request does: log lines (reqId), the jobs
 * it queues and, through them, the gRPC calls to agents. One access-log line per request: info for
 * changes, debug for reads and scrapes.
 */
export function requestIds(log: Logger): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const id = acceptRequestId(c.req.header(REQUEST_ID_HEADER));
    const started = performance.now();
    await withRequestId(id, async () => {
      await next();
      c.header(REQUEST_ID_HEADER, id);
      const level = c.req.method === "GET" || c.req.method === "HEAD" ? "debug" : "info";
      log[level](
        {
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          ms: Math.round(performance.now() - started),
          actor: c.get("actor")?.name,
        },
        "request",
      );
    });
  };
}
