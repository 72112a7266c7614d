import { getConnInfo } from "@hono/node-server/conninfo";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { fieldErrors } from "@lvsfleet/model";
import type { Hono } from "hono";
import type { Redis } from "ioredis";
import type { CommandContext } from "../commands/context.ts";
import { jobQueues } from "../commands/jobs.ts";
import type { CallerLimiter } from "../rate-limit/caller-limiter.ts";
import { type AuthEnv, authenticate, callerKey } from "./auth.ts";
import { bodyLimits } from "./body-limits.ts";
import { adminOnly, DASHBOARD_PATH, queueDashboard } from "./dashboard.ts";
import { sendError } from "./errors.ts";
import { json, serveOpenApiDocument } from "./openapi.ts";
import { requestIds } from "./request-id.ts";
import { registerAgentRoutes } from "./routes/agents.ts";
import { registerAuditRoutes } from "./routes/audit.ts";
import { registerClusterRoutes } from "./routes/clusters.ts";
import { registerDocsRoutes } from "./routes/docs.ts";
import { registerDoctorRoutes } from "./routes/doctor.ts";
import { registerJobRoutes } from "./routes/jobs.ts";
import { registerMaintenanceRoutes } from "./routes/maintenance.ts";
import { registerMetricsRoutes } from "./routes/metrics.ts";
import { PUBLIC_PKI_PATHS, registerPkiRoutes } from "./routes/pki.ts";
import { registerPlanRoutes } from "./routes/plan.ts";
import { registerTokenRoutes } from "./routes/tokens.ts";
import { registerWhatIfRoutes } from "./routes/whatif.ts";

export interface HttpSettings {
  /** LVSFLEET_API_TOKEN: the bootstrap admin token. */
  apiToken: string;
  redis: Redis;
  /** Chat's endpoints (chat/slack.ts), served under /v1/chat with their own signature check instead of a token. */
  chat?: Hono | undefined;
  limiter: CallerLimiter;
  /** Largest request body accepted (bytes), but for the spec routes. */
  maxBodyBytes: number;
  /** Largest spec accepted by PUT /v1/clusters/{cluster} and POST /v1/clusters/{cluster}/plan (bytes). */
  maxSpecBytes: number;
}

const health = createRoute({
  method: "get",
  path: "/v1/health",
  operationId: "getHealth",
  summary: "Is the server up, and its Redis; which replica answered, and whether it supervises the fleet",
  responses: {
    200: json(
      z.object({
        status: z.literal("ok"),
        redis: z.string(),
        replica: z.string().openapi({ description: "The replica that answered (LVSFLEET_REPLICA_ID)" }),
        supervisor: z.boolean().openapi({
          description:
            "Whether this replica holds the supervisor lease: it watches the agents and runs fleet health (one replica at a time)",
        }),
      }),
      "The server and its Redis answer",
    ),
  },
});

/**
 * The REST API (v1) and the chat adapter, on one Hono app. Every route is a thin shell over a
 * command; bad input is a 400 naming the field, unknown names a 404, no token a 401, too weak a
 * role a 403, too many requests a 429, too large a body a 413.
 */
export function createHttpApp(ctx: CommandContext, settings: HttpSettings) {
  const app = new OpenAPIHono<AuthEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const details = fieldErrors(result.error);
        const first = details[0];
        return c.json({ error: { field: first?.field, message: first?.message ?? "invalid input", details } }, 400);
      }
    },
  });
  app.onError((error, c) => {
    if ((error as { status?: number }).status === 400 && /JSON|Malformed/i.test(error.message))
      return c.json({ error: { field: "(body)", message: "the body is not valid JSON" } }, 400);
    const mapped = sendError(c, error);
    if (mapped.status === 500)
      ctx.log.error({ err: error.message, stack: error.stack, path: c.req.path }, "request failed");
    return mapped;
  });
  app.notFound((c) => c.json({ error: { message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  // First: every request gets an id (X-Request-Id) and is timed, whatever answers it.
  app.use("*", requestIds(ctx.log));
  registerMetricsRoutes(app, ctx, settings);
  app.use("*", bodyLimits({ maxBodyBytes: settings.maxBodyBytes, maxSpecBytes: settings.maxSpecBytes }));

  app.openapi(health, async (c) =>
    c.json(
      {
        status: "ok" as const,
        redis: await settings.redis.ping(),
        replica: ctx.lease?.replica ?? "",
        supervisor: ctx.lease?.holding ?? ctx.supervisor.watching,
      },
      200,
    ),
  );
  if (settings.chat) app.route("/v1/chat", settings.chat);
  app.use("/v1/*", async (c, next) => {
    if (c.req.path === "/v1/health" || c.req.path.startsWith("/v1/chat/")) return next();
    if (PUBLIC_PKI_PATHS.has(c.req.path)) {
      // Enrollment, renewal and registration carry their own proof; limit them per source address.
      const wait = await settings.limiter.check(`ip:${getConnInfo(c).remote.address ?? "unknown"}`);
      if (wait !== undefined)
        return c.json({ error: { message: `too many requests; retry in ${wait} s` } }, 429, {
          "retry-after": String(wait),
        });
      return next();
    }
    const auth = await authenticate(c.req.header("authorization"), settings.apiToken, ctx);
    if (!auth.ok) return c.json({ error: { message: auth.message } }, 401, { "www-authenticate": auth.challenge });
    const wait = await settings.limiter.check(callerKey(auth.actor));
    if (wait !== undefined)
      return c.json({ error: { message: `too many requests for token ${auth.actor.name}; retry in ${wait} s` } }, 429, {
        "retry-after": String(wait),
      });
    c.set("actor", auth.actor);
    return next();
  });

  registerClusterRoutes(app, ctx);
  registerJobRoutes(app, ctx);
  registerMaintenanceRoutes(app, ctx);
  registerAgentRoutes(app, ctx);
  registerTokenRoutes(app, ctx);
  registerAuditRoutes(app, ctx);
  registerPkiRoutes(app, ctx);
  registerPlanRoutes(app, ctx);
  registerWhatIfRoutes(app, ctx);
  registerDoctorRoutes(app, ctx);
  registerDocsRoutes(app);
  const queues = jobQueues(ctx);
  if (queues) {
    app.use(`${DASHBOARD_PATH}/*`, adminOnly(settings.apiToken, ctx, settings.limiter));
    app.use(DASHBOARD_PATH, adminOnly(settings.apiToken, ctx, settings.limiter));
    app.route(DASHBOARD_PATH, queueDashboard(queues));
  }

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/v1/chat/slack/commands",
    operationId: "postSlackCommand",
    summary: "Run a Slack slash command",
    description:
      "Slack slash command (application/x-www-form-urlencoded, signed with X-Slack-Signature/X-Slack-Request-Timestamp). Text: help | status [cluster] | weight <ip>[:port] <n> [cluster] [service] | whatif weight <ip>[:port] <n> [cluster] [service] | start [cluster] [host] | stop [cluster] [host] | audit [cluster] | doctor [cluster] | confirm <code> | drain <ip>[:port] [for <duration>] | undrain <ip>[:port] | rolling <service|hosts> [batch N] [min N%] | switchover [cluster] | jobs [cluster] | cancel <job>",
    request: {
      body: {
        content: {
          "application/x-www-form-urlencoded": {
            schema: z.object({
              text: z.string(),
              user_id: z.string(),
              user_name: z.string().optional(),
              channel_id: z.string().optional(),
              response_url: z.string().optional(),
            }),
          },
        },
      },
    },
    responses: {
      200: { description: "An ephemeral Slack message" },
      401: { description: "Bad, stale or replayed signature" },
    },
  });
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/v1/chat/slack/interactions",
    operationId: "postSlackInteraction",
    summary: "Handle a Slack button press",
    description:
      "Slack interactivity (a button pressed in a message, e.g. confirming a dangerous change): application/x-www-form-urlencoded with one field, payload (Slack's block_actions JSON), signed like the slash commands",
    security: [],
    request: {
      body: { content: { "application/x-www-form-urlencoded": { schema: z.object({ payload: z.string() }) } } },
    },
    responses: {
      200: { description: "An ephemeral Slack message" },
      400: { description: "The payload is not a block_actions payload with a button" },
      401: { description: "Bad, stale or replayed signature" },
    },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/openapi.json",
    operationId: "getOpenApiDocument",
    summary: "This OpenAPI document",
    description: "This document (OpenAPI 3.0), generated from the zod schemas that validate the requests",
    security: [],
    responses: { 200: { description: "The OpenAPI document" } },
  });
  serveOpenApiDocument(app);
  return app;
}
