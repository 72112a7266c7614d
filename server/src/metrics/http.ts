import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { ServerMetrics } from "./server-metrics.ts";

/**
 * Observes every request's latency, labelled by the route pattern that answered
 * (`/v1/clusters/:cluster`, never the raw path, so label values stay few).
 */
export function observeRequests(metrics: ServerMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const handler = matchedRoutes(c).findLast((r) => r.method !== "ALL");
      metrics.http.observe(
        { method: c.req.method, route: handler?.path ?? "(unmatched)", status: String(c.res.status) },
        (performance.now() - started) / 1_000,
      );
    }
  };
}
