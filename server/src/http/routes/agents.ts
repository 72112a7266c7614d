import { createRoute, z } from "@hono/zod-openapi";
import { listAgents, registerAgent } from "../../commands/agents.ts";
import type { CommandContext } from "../../commands/context.ts";
import { type Api, errors, json, pathParam } from "../openapi.ts";
import { Agent } from "../schemas.ts";

const routes = {
  list: createRoute({
    method: "get",
    path: "/v1/agents",
    operationId: "listAgents",
    summary: "List registered agents",
    responses: {
      200: json(z.object({ agents: z.array(Agent) }), "Every registered agent and whether it is reachable"),
      401: errors[401],
      403: errors[403],
    },
  }),
  register: createRoute({
    method: "put",
    path: "/v1/agents/{host}",
    operationId: "registerAgent",
    summary: "Register an agent by hand",
    request: {
      params: z.object({ host: pathParam("host", "lb-master") }),
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
    responses: { 200: json(Agent, "Registered; the server watches the agent's events. Admin."), ...errors },
  }),
};

export function registerAgentRoutes(app: Api, ctx: CommandContext): void {
  app.openapi(routes.list, async (c) => c.json({ agents: await listAgents(ctx, c.get("actor")) }, 200));
  app.openapi(routes.register, async (c) =>
    c.json(await registerAgent(ctx, c.get("actor"), c.req.valid("param").host, c.req.valid("json")), 200),
  );
}
