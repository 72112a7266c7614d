import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { fieldErrors } from "@lvsfleet/model";
import type { Redis } from "ioredis";
import { type SlackSettings, slackRoutes } from "../chat/slack.ts";
import { listAgents, registerAgent } from "../commands/agents.ts";
import { getCluster, listClusters, putCluster } from "../commands/clusters.ts";
import type { CommandContext } from "../commands/context.ts";
import { getJob, retryJob } from "../commands/jobs.ts";
import { changeRole } from "../commands/roles.ts";
import { clusterStatus } from "../commands/status.ts";
import { parseTarget, setWeight } from "../commands/weight.ts";
import { renderStatusText } from "../status/render.ts";
import { bearerAuth } from "./auth.ts";
import { sendError } from "./errors.ts";
import { Accepted, Agent, ClusterParam, ClusterSpecDoc, ErrorBody, HostBody, Job, WeightBody } from "./schemas.ts";

type Env = { Variables: { actor: { type: "token"; name: string } } };

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});
const errors = {
  400: json(ErrorBody, "Bad input: the field and the reason; nothing changed"),
  401: json(ErrorBody, "No or wrong bearer token"),
  404: json(ErrorBody, "Unknown cluster, service, real server, host or job"),
};

const routes = {
  health: createRoute({
    method: "get",
    path: "/v1/health",
    responses: {
      200: json(z.object({ status: z.literal("ok"), redis: z.string() }), "The server and its Redis answer"),
    },
  }),
  listClusters: createRoute({
    method: "get",
    path: "/v1/clusters",
    responses: {
      200: json(
        z.object({ clusters: z.array(z.object({ name: z.string(), generation: z.number() })) }),
        "All clusters",
      ),
      401: errors[401],
    },
  }),
  getCluster: createRoute({
    method: "get",
    path: "/v1/clusters/{cluster}",
    request: { params: ClusterParam },
    responses: {
      200: json(
        z.object({ name: z.string(), generation: z.number(), updatedAt: z.string(), spec: ClusterSpecDoc }),
        "The cluster's desired state",
      ),
      401: errors[401],
      404: errors[404],
    },
  }),
  putCluster: createRoute({
    method: "put",
    path: "/v1/clusters/{cluster}",
    request: {
      params: ClusterParam,
      body: {
        content: {
          "application/json": {
            schema: z.looseObject({}).openapi({ description: "A ClusterSpec (name may be omitted: it is the path's)" }),
          },
        },
        required: true,
      },
    },
    responses: {
      202: json(
        Accepted.extend({ created: z.boolean(), generation: z.number() }),
        "Spec stored; a job applies it to the directors",
      ),
      ...errors,
    },
  }),
  status: createRoute({
    method: "get",
    path: "/v1/clusters/{cluster}/status",
    request: {
      params: ClusterParam,
      query: z.object({
        format: z.enum(["json", "text"]).optional().openapi({ description: "text: the ipvsadm-style table" }),
      }),
    },
    responses: {
      200: {
        content: {
          "application/json": {
            schema: z
              .looseObject({})
              .openapi({ description: "Per director and real server: agent, role, observed table, host state" }),
          },
          "text/plain": { schema: z.string() },
        },
        description: "Live status read from every agent",
      },
      ...errors,
    },
  }),
  weight: createRoute({
    method: "patch",
    path: "/v1/clusters/{cluster}/services/{service}/real-servers/{server}",
    request: {
      params: ClusterParam.extend({
        service: z.string().openapi({ param: { name: "service", in: "path" }, example: "http" }),
        server: z.string().openapi({
          param: { name: "server", in: "path" },
          example: "192.168.1.220:80",
          description: "ADDRESS:PORT, [IPv6]:PORT, or ADDRESS when the port is unambiguous",
        }),
      }),
      body: { content: { "application/json": { schema: WeightBody } }, required: true },
    },
    responses: { 202: json(Accepted, "Weight stored; a job applies it to every director"), ...errors },
  }),
  start: createRoute({
    method: "post",
    path: "/v1/clusters/{cluster}/start",
    request: { params: ClusterParam, body: { content: { "application/json": { schema: HostBody } }, required: false } },
    responses: { 202: json(Accepted, "A job starts the host(s): lvsdr/realdr start"), ...errors },
  }),
  stop: createRoute({
    method: "post",
    path: "/v1/clusters/{cluster}/stop",
    request: { params: ClusterParam, body: { content: { "application/json": { schema: HostBody } }, required: false } },
    responses: { 202: json(Accepted, "A job stops the host(s), undoing exactly what start did"), ...errors },
  }),
  getJob: createRoute({
    method: "get",
    path: "/v1/jobs/{id}",
    request: { params: z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) }) },
    responses: { 200: json(Job, "The job's state, result or error"), 401: errors[401], 404: errors[404] },
  }),
  retryJob: createRoute({
    method: "post",
    path: "/v1/jobs/{id}/retry",
    request: { params: z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) }) },
    responses: { 200: json(Job, "A failed job queued again"), 401: errors[401], 404: errors[404] },
  }),
  listAgents: createRoute({
    method: "get",
    path: "/v1/agents",
    responses: {
      200: json(z.object({ agents: z.array(Agent) }), "Every registered agent and whether it is reachable"),
      401: errors[401],
    },
  }),
  registerAgent: createRoute({
    method: "put",
    path: "/v1/agents/{host}",
    request: {
      params: z.object({ host: z.string().openapi({ param: { name: "host", in: "path" }, example: "lb-master" }) }),
      body: {
        content: {
          "application/json": {
            schema: z
              .object({
                endpoint: z.string(),
                role: z.enum(["director", "real-server"]),
                driver: z.string().optional(),
              })
              .openapi("AgentRegistration"),
          },
        },
        required: true,
      },
    },
    responses: { 200: json(Agent, "Registered; the server watches the agent's events"), ...errors },
  }),
};

/**
 * The REST API (v1) and the chat adapter, on one Hono app. Every route is a thin shell over a
 * command; bad input is a 400 naming the field, unknown names a 404, no token a 401.
 */
export function createHttpApp(ctx: CommandContext, settings: { apiToken: string; redis: Redis; slack: SlackSettings }) {
  const app = new OpenAPIHono<Env>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const details = fieldErrors(result.error);
        const first = details[0];
        return c.json({ error: { field: first?.field, message: first?.message ?? "invalid input", details } }, 400);
      }
    },
  });
  app.onError((error, c) => {
    if ((error as { status?: number }).status === 400 && error.message.includes("JSON"))
      return c.json({ error: { field: "(body)", message: "the body is not valid JSON" } }, 400);
    const mapped = sendError(c, error);
    if (mapped.status === 500)
      ctx.log.error({ err: error.message, stack: error.stack, path: c.req.path }, "request failed");
    return mapped;
  });

  app.openapi(routes.health, async (c) => c.json({ status: "ok" as const, redis: await settings.redis.ping() }, 200));
  app.route("/v1/chat", slackRoutes(ctx, settings.slack));
  app.use("/v1/*", async (c, next) => {
    if (c.req.path === "/v1/health" || c.req.path.startsWith("/v1/chat/")) return next();
    return bearerAuth(settings.apiToken)(c, next);
  });

  app.openapi(routes.listClusters, async (c) => c.json({ clusters: await listClusters(ctx) }, 200));
  app.openapi(routes.getCluster, async (c) => {
    const stored = await getCluster(ctx, c.req.valid("param").cluster);
    return c.json(
      {
        name: stored.spec.name,
        generation: stored.generation,
        updatedAt: new Date(stored.updatedAt).toISOString(),
        spec: stored.spec,
      },
      200,
    );
  });
  app.openapi(routes.putCluster, async (c) => {
    const result = await putCluster(ctx, c.get("actor"), c.req.valid("param").cluster, c.req.valid("json"));
    return c.json(result, 202);
  });
  app.openapi(routes.status, async (c) => {
    const status = await clusterStatus(ctx, c.req.valid("param").cluster);
    if (c.req.valid("query").format === "text") return c.text(renderStatusText(status), 200);
    return c.json(status as unknown as Record<string, unknown>, 200);
  });
  app.openapi(routes.weight, async (c) => {
    const { cluster, service, server } = c.req.valid("param");
    const target = parseTarget(server, "server");
    const change = await setWeight(ctx, c.get("actor"), { cluster, service, ...target }, c.req.valid("json").weight);
    return c.json(change, 202);
  });
  for (const action of ["start", "stop"] as const)
    app.openapi(routes[action], async (c) => {
      const body =
        c.req.header("content-length") === "0" || !c.req.header("content-type")
          ? {}
          : await c.req.json().catch(() => ({}));
      const host = HostBody.safeParse(body);
      if (!host.success)
        return c.json({ error: { field: "host", message: "must be a host name of the cluster" } }, 400);
      const result = await changeRole(ctx, c.get("actor"), action, c.req.valid("param").cluster, host.data.host);
      return c.json(result, 202);
    });
  app.openapi(routes.getJob, async (c) => c.json(await getJob(ctx, c.req.valid("param").id), 200));
  app.openapi(routes.retryJob, async (c) => c.json(await retryJob(ctx, c.req.valid("param").id), 200));
  app.openapi(routes.listAgents, async (c) => c.json({ agents: await listAgents(ctx) }, 200));
  app.openapi(routes.registerAgent, async (c) =>
    c.json(await registerAgent(ctx, c.req.valid("param").host, c.req.valid("json")), 200),
  );

  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/v1/chat/slack/commands",
    description:
      "Slack slash command (application/x-www-form-urlencoded, signed with X-Slack-Signature/X-Slack-Request-Timestamp). Text: help | status [cluster] | weight <ip>[:port] <n> [cluster] [service] | start [cluster] [host] | stop [cluster] [host]",
    request: {
      body: {
        content: {
          "application/x-www-form-urlencoded": {
            schema: z.object({
              text: z.string(),
              response_url: z.string().optional(),
              user_name: z.string().optional(),
            }),
          },
        },
      },
    },
    responses: { 200: { description: "An ephemeral Slack message" }, 401: { description: "Bad or stale signature" } },
  });
  app.doc("/openapi.json", {
    openapi: "3.0.3",
    info: {
      title: "lvsfleet",
      version: "1",
      description:
        "Control plane for LVS/IPVS clusters. Authorization: Bearer <token> on everything but /v1/health and the signed chat endpoint.",
    },
    security: [{ bearer: [] }],
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  return app;
}
