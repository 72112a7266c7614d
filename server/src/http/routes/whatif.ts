import { createRoute, z } from "@hono/zod-openapi";
import type { CommandContext } from "../../commands/context.ts";
import { simulateChange, WhatIfRequest } from "../../commands/whatif.ts";
import { renderWhatIfText } from "../../status/whatif-render.ts";
import { type Api, errors, simulationErrors } from "../openapi.ts";
import { ClusterParam } from "../schemas.ts";

const BeforeAfter = <T extends z.ZodType>(schema: T) => z.object({ before: schema, after: schema });

const ServerComparison = z
  .object({
    server: z.string().openapi({ example: "192.168.1.231:80" }),
    address: z.string(),
    port: z.number(),
    weight: BeforeAfter(z.number()),
    present: BeforeAfter(z.boolean()),
    share: BeforeAfter(z.number()).openapi({ description: "Fraction (0..1) of the new connections it receives" }),
    newConnections: BeforeAfter(z.number()),
    activeConns: z
      .object({ now: z.number(), before: z.number(), after: z.number() })
      .openapi({ description: "ActiveConn now, and at the end of the duration without and with the change" }),
    emptyAfterSeconds: z
      .object({ before: z.number().nullable().optional(), after: z.number().nullable().optional() })
      .openapi({
        description:
          "For a server that takes no new connections in that branch (weight 0, removed): seconds until it holds none; null: not within drainHorizonSeconds; absent: it takes new connections",
      }),
  })
  .openapi("WhatIfServer");

const WhatIfReport = z
  .object({
    cluster: z.string(),
    service: z.string(),
    virtualService: z.string().openapi({ example: "TCP 192.168.1.229:80" }),
    changes: z.array(z.string()).openapi({ example: ["weight 192.168.1.231:80 1 → 0"] }),
    operations: z
      .array(z.string())
      .openapi({ example: ["edit-destination TCP 192.168.1.229:80 -> 192.168.1.231:80 dr weight 0"] }),
    source: z.looseObject({ kind: z.enum(["director", "desired"]) }).openapi({
      description:
        "director: the live table of the director the clients reach (its connections included); desired: the spec's",
    }),
    traffic: z.looseObject({}).openapi({ description: "The traffic profile used, with where each value came from" }),
    servers: z.array(ServerComparison),
    before: z
      .looseObject({})
      .openapi({ description: "Prediction without the change: servers, timeline, refused, drained" }),
    after: z.looseObject({}).openapi({ description: "Prediction with the change" }),
  })
  .openapi("WhatIfReport");

const route = createRoute({
  method: "post",
  path: "/v1/clusters/{cluster}/simulate",
  operationId: "simulateChange",
  summary: "Predict what a change would do (what-if)",
  description:
    "What if: predicts what a change (a weight, a drain, a removal, a scheduler; or several) would do to a service, before anyone makes it. Starts from the live table of the director the clients reach (its connections become existing ones) and runs the kernel-faithful IPVS simulator with the traffic profile twice, without and with the change: share of new connections per real server, ActiveConn over time, and for a drained or removed server the time until it holds no connections. Nothing changes. The simulation runs in the server's simulation pool: a question whose estimated CPU cost is over LVSFLEET_SIM_BUDGET_MS is refused before any work (400 naming the field to lower), a full pool answers 429 with Retry-After, and one that runs past LVSFLEET_SIM_DEADLINE_MS is stopped (422). Viewer.",
  request: {
    params: ClusterParam,
    query: z.object({
      format: z.enum(["json", "text"]).optional().openapi({ description: "text: a short table, as chat shows it" }),
    }),
    body: {
      content: {
        "application/json": {
          schema: WhatIfRequest.openapi("WhatIfRequest", {
            example: {
              service: "http",
              change: { kind: "weight", server: "192.168.1.231:80", weight: 0 },
              traffic: { connectionsPerSecond: 20, lifetime: { kind: "exponential", meanSeconds: 30 }, clients: 1000 },
            },
          }),
        },
      },
      required: true,
    },
  },
  responses: {
    200: {
      content: {
        "application/json": { schema: WhatIfReport },
        "text/plain": { schema: z.string() },
      },
      description: "The prediction, before and after the change",
    },
    ...errors,
    ...simulationErrors,
  },
});

export function registerWhatIfRoutes(app: Api, ctx: CommandContext): void {
  app.openapi(route, async (c) => {
    const report = await simulateChange(ctx, c.get("actor"), c.req.valid("param").cluster, c.req.valid("json"));
    if (c.req.valid("query").format === "text") return c.text(renderWhatIfText(report), 200);
    return c.json(report as unknown as z.infer<typeof WhatIfReport>, 200);
  });
}
