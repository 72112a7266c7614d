import { createRoute, z } from "@hono/zod-openapi";
import type { CommandContext } from "../../commands/context.ts";
import { clusterDoctor } from "../../commands/doctor.ts";
import { renderDoctorText } from "../../status/doctor-text.ts";
import { type Api, errors } from "../openapi.ts";
import { ClusterParam, Problem } from "../schemas.ts";

const ClusterDoctor = z
  .object({
    cluster: z.string(),
    healthy: z.boolean().openapi({ description: "Every host was checked and none has a problem" }),
    problemCount: z.number(),
    hosts: z.array(
      z.object({
        host: z.string(),
        kind: z.enum(["director", "real-server"]),
        checked: z.boolean().openapi({ description: "The agent answered and ran its doctor" }),
        roleState: z.enum(["running", "stopped"]).optional(),
        problems: z.array(Problem),
      }),
    ),
  })
  .openapi("ClusterDoctor");

const route = createRoute({
  method: "get",
  path: "/v1/clusters/{cluster}/doctor",
  operationId: "getClusterDoctor",
  summary: "Preflight check of a cluster's hosts",
  description:
    "The preflight check of every host of the cluster, read live from the agents: on real servers the VIP on lo, arp_ignore/arp_announce on all and lo, the NAT reply path; on directors ip_forward, the VIP interface, the kernel's ip_vs or nftables support and the IPVS sysctls. Every problem comes with its fix. Viewer.",
  request: {
    params: ClusterParam,
    query: z.object({
      format: z.enum(["json", "text"]).optional().openapi({ description: "text: one line per problem and its fix" }),
    }),
  },
  responses: {
    200: {
      content: { "application/json": { schema: ClusterDoctor }, "text/plain": { schema: z.string() } },
      description: "Every host and every problem found on it, with the fix",
    },
    ...errors,
  },
});

export function registerDoctorRoutes(app: Api, ctx: CommandContext): void {
  app.openapi(route, async (c) => {
    const report = await clusterDoctor(ctx, c.get("actor"), c.req.valid("param").cluster);
    if (c.req.valid("query").format === "text") return c.text(renderDoctorText(report), 200);
    return c.json(report, 200);
  });
}
