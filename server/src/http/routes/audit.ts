import { createRoute, z } from "@hono/zod-openapi";
import { readAudit } from "../../commands/audit.ts";
import type { CommandContext } from "../../commands/context.ts";
import { type Api, errors, json } from "../openapi.ts";
import { AuditEntry } from "../schemas.ts";

const route = createRoute({
  method: "get",
  path: "/v1/audit",
  operationId: "listAuditEntries",
  summary: "Read the audit log",
  request: {
    query: z.object({
      cluster: z.string().optional(),
      since: z
        .string()
        .optional()
        .openapi({ description: "ISO 8601, epoch ms, or a duration back from now: 15m, 2h, 7d" }),
      actor: z.string().optional().openapi({ description: "Part of the actor's name (token name, chat user, job id)" }),
      limit: z.coerce.number().int().min(1).max(1000).optional(),
    }),
  },
  responses: { 200: json(z.object({ entries: z.array(AuditEntry) }), "Audit entries, newest last"), ...errors },
});

export function registerAuditRoutes(app: Api, ctx: CommandContext): void {
  app.openapi(route, async (c) => c.json({ entries: await readAudit(ctx, c.get("actor"), c.req.valid("query")) }, 200));
}
