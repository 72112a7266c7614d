import { createRoute, z } from "@hono/zod-openapi";
import type { CommandContext } from "../../commands/context.ts";
import { createToken, listTokens, revokeToken } from "../../commands/tokens.ts";
import { type Api, errors, json, pathParam } from "../openapi.ts";
import { TokenRecord } from "../schemas.ts";

const routes = {
  create: createRoute({
    method: "post",
    path: "/v1/tokens",
    operationId: "createToken",
    summary: "Create an API token",
    request: {
      body: {
        content: {
          "application/json": {
            schema: z
              .object({
                name: z.string(),
                role: z.enum(["viewer", "operator", "admin"]),
                clusters: z.array(z.string()).optional(),
              })
              .openapi("TokenRequest", { example: { name: "ci-deploy", role: "operator", clusters: ["web"] } }),
          },
        },
        required: true,
      },
    },
    responses: {
      201: json(
        TokenRecord.extend({ token: z.string().openapi({ description: "Shown once; only its hash is stored" }) }),
        "The new token. Admin.",
      ),
      ...errors,
    },
  }),
  list: createRoute({
    method: "get",
    path: "/v1/tokens",
    operationId: "listTokens",
    summary: "List API tokens",
    responses: {
      200: json(z.object({ tokens: z.array(TokenRecord) }), "Every token (never the secrets). Admin."),
      401: errors[401],
      403: errors[403],
    },
  }),
  revoke: createRoute({
    method: "delete",
    path: "/v1/tokens/{id}",
    operationId: "revokeToken",
    summary: "Revoke an API token",
    request: { params: z.object({ id: pathParam("id", "9f3a0c1b2d4e") }) },
    responses: { 200: json(TokenRecord, "Revoked. Admin."), 401: errors[401], 403: errors[403], 404: errors[404] },
  }),
};

export function registerTokenRoutes(app: Api, ctx: CommandContext): void {
  app.openapi(routes.create, async (c) => c.json(await createToken(ctx, c.get("actor"), c.req.valid("json")), 201));
  app.openapi(routes.list, async (c) => c.json({ tokens: await listTokens(ctx, c.get("actor")) }, 200));
  app.openapi(routes.revoke, async (c) => c.json(await revokeToken(ctx, c.get("actor"), c.req.valid("param").id), 200));
}
