import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { MetricsExposition } from "../commands/metrics.ts";

/**
 * Observes every request's latency, labelled by the route pattern that answered
 * (`/v1/clusters/:cluster`, never the raw path, so label values stay few).
 */
export function observeRequests(metrics: Pick<MetricsExposition, "observeRequest">): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const handler = matchedRoutes(c).findLast((r) => r.method !== "ALL");
      metrics.observeRequest(
        { method: c.req.method, route: handler?.path ?? "(unmatched)", status: String(c.res.status) },
        (performance.now() - started) / 1_000,
      );
    }
  };
}
