import { createRoute, z } from "@hono/zod-openapi";
import type { Actor } from "../../commands/actor.ts";
import { deny } from "../../commands/audited.ts";
import type { CommandContext } from "../../commands/context.ts";
import { metricsExposition } from "../../commands/metrics.ts";
import type { CallerLimiter } from "../../rate-limit/caller-limiter.ts";
import { authenticate, callerKey } from "../auth.ts";
import { type Api, errors } from "../openapi.ts";
import { observeRequests } from "../request-metrics.ts";

const route = createRoute({
  method: "get",
  path: "/metrics",
  operationId: "getMetrics",
  summary: "Prometheus metrics of the fleet",
  description:
    "Prometheus exposition (text format 0.0.4): per virtual service and real server the configured and effective weight, connections and counters, each director's sync and VRRP state, agents, jobs, request and gRPC latency. Needs a bearer token of any role without a cluster list (metrics cover every cluster). docs/metrics.md lists every metric.",
  responses: {
    200: {
      content: { "text/plain": { schema: z.string().openapi({ example: "lvsfleet_real_server_weight{…} 3" }) } },
      description: "The metrics",
    },
    401: errors[401],
    403: errors[403],
    429: errors[429],
  },
});

/** The system actor a scrape reads the fleet as, once the caller's token has been checked. */
const SCRAPER: Actor = { type: "system", name: "metrics", role: "viewer", channel: "system" };

/**
 * GET /metrics, and the request-latency middleware (registered first, so it times every route).
 * The endpoint is outside /v1 (Prometheus' convention) but not open: it takes the same bearer
 * tokens as the API, because its labels name every VIP and real server of the fleet.
 */
export function registerMetricsRoutes(
  app: Api,
  ctx: CommandContext,
  settings: { apiToken: string; limiter: CallerLimiter },
): void {
  const metrics = metricsExposition(ctx);
  app.use("*", observeRequests(metrics));
  app.openapi(route, async (c) => {
    const auth = await authenticate(c.req.header("authorization"), settings.apiToken, ctx);
    if (!auth.ok) return c.json({ error: { message: auth.message } }, 401, { "www-authenticate": auth.challenge });
    // The same per-token limit as the API, before anything (a refusal included) is written.
    const wait = await settings.limiter.check(callerKey(auth.actor));
    if (wait !== undefined)
      return c.json({ error: { message: `too many requests; retry in ${wait} s` } }, 429, {
        "retry-after": String(wait),
      });
    if (auth.actor.clusters) {
      const denied = await deny(
        ctx,
        auth.actor,
        { command: "scrape metrics", need: "viewer", action: "scraping metrics", target: "/metrics", global: true },
        `token ${auth.actor.name} is limited to clusters ${auth.actor.clusters.join(", ")}; metrics cover every cluster: scrape with a token without a cluster list (e.g. lvsctl tokens create prometheus --role viewer)`,
      );
      return c.json({ error: { message: denied.message } }, 403);
    }
    const text = await metrics.render(SCRAPER);
    return c.text(text, 200, { "content-type": metrics.contentType });
  });
}
