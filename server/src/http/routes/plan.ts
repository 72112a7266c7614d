import { createRoute, z } from "@hono/zod-openapi";
import type { CommandContext } from "../../commands/context.ts";
import { planCluster } from "../../commands/plan.ts";
import { type Api, errors, json, simulationErrors } from "../openapi.ts";
import { ClusterParam, hostList, MoveHostsQuery, Problem } from "../schemas.ts";

const DirectorPlan = z
  .object({
    host: z.string(),
    roleState: z.enum(["running", "stopped"]).optional(),
    changes: z
      .array(z.string())
      .openapi({ example: ["edit-destination TCP 192.168.1.229:80 -> 192.168.1.220:80 dr weight 5"] }),
    note: z.string().optional(),
    error: z.string().optional().openapi({ description: "Why this director could not be asked" }),
    problems: z.array(Problem).optional().openapi({
      description:
        "Why this director would refuse the spec (Start and Apply fail there, nothing changes): e.g. a script its own allowlist (--actions-file, section scripts) does not have",
    }),
  })
  .openapi("DirectorPlan");

const ClusterPlan = z
  .object({
    cluster: z.string(),
    exists: z.boolean().openapi({ description: "False: PUT would create the cluster" }),
    generation: z.number().openapi({ description: "The stored generation (0 when new)" }),
    specChanged: z.boolean().openapi({ description: "False: the spec equals the stored one; PUT changes nothing" }),
    specChanges: z.array(z.string()).openapi({
      description: "Stored spec → this spec: table operations, directors added or removed, other settings changed",
    }),
    directors: z.array(DirectorPlan),
  })
  .openapi("ClusterPlan");

const route = createRoute({
  method: "post",
  path: "/v1/clusters/{cluster}/plan",
  operationId: "planCluster",
  summary: "Dry run of a spec change",
  description:
    "Dry run of PUT /v1/clusters/{cluster}: validates the spec like PUT and asks every director for an Apply with dry_run, so each answers with the operations it would run against the table it holds. Nothing is stored, queued or audited. Viewer.",
  request: {
    params: ClusterParam,
    query: MoveHostsQuery,
    body: {
      content: {
        "application/json": {
          schema: z.looseObject({}).openapi({ description: "A ClusterSpec, as for PUT" }),
        },
      },
      required: true,
    },
  },
  responses: { 200: json(ClusterPlan, "What PUT would change, per director"), ...errors, ...simulationErrors },
});

export function registerPlanRoutes(app: Api, ctx: CommandContext): void {
  app.openapi(route, async (c) =>
    c.json(
      await planCluster(ctx, c.get("actor"), c.req.valid("param").cluster, c.req.valid("json"), {
        moveHosts: hostList(c.req.valid("query").moveHosts),
      }),
      200,
    ),
  );
}
