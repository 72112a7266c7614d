import { createRoute, z } from "@hono/zod-openapi";
import type { CommandContext } from "../../commands/context.ts";
import {
  caCertificate,
  createJoinToken,
  deleteJoinToken,
  enrollAgent,
  listJoinTokens,
  registerEnrolledAgent,
  reinstateHost,
  renewAgent,
  revokeHost,
} from "../../commands/pki.ts";
import { type Api, errors, json, pathParam } from "../openapi.ts";
import { Agent } from "../schemas.ts";

const Pem = z.string().openapi({ description: "PEM" });
const Certificate = z
  .object({ certificate: Pem, caCertificate: Pem, serial: z.string(), notAfter: z.string(), renewAfter: z.string() })
  .openapi("CertificateResponse");
const anyBody = (description: string) => ({
  body: { content: { "application/json": { schema: z.looseObject({}).openapi({ description }) } }, required: true },
});

const routes = {
  ca: createRoute({
    method: "get",
    path: "/v1/pki/ca",
    operationId: "getCaCertificate",
    summary: "The CA certificate agents trust",
    responses: {
      200: json(z.object({ pem: Pem, pin: z.string() }), "The CA agents must trust, and its pin (sha256:…)"),
      409: errors[400],
    },
  }),
  createJoinToken: createRoute({
    method: "post",
    path: "/v1/pki/join-tokens",
    operationId: "createJoinToken",
    summary: "Create a one-time join token for a host",
    request: {
      body: {
        content: {
          "application/json": {
            schema: z
              .object({
                host: z.string(),
                role: z.enum(["director", "real-server"]).optional(),
                ttlSeconds: z.number().optional(),
                cluster: z.string().optional().openapi({
                  description:
                    "The cluster the host is for: it belongs to that cluster at once, so no other cluster can claim the name first (409 when another cluster owns it)",
                }),
              })
              .openapi("JoinTokenRequest"),
          },
        },
        required: true,
      },
    },
    responses: {
      201: json(
        z
          .object({
            token: z.string(),
            id: z.string(),
            host: z.string(),
            role: z.string().optional(),
            expiresAt: z.string(),
            caPin: z.string(),
          })
          .openapi("JoinTicket"),
        "A one-time join token (shown once), valid 1 h by default. Admin.",
      ),
      ...errors,
    },
  }),
  listJoinTokens: createRoute({
    method: "get",
    path: "/v1/pki/join-tokens",
    operationId: "listJoinTokens",
    summary: "List outstanding join tokens",
    responses: {
      200: json(z.object({ tokens: z.array(z.looseObject({})) }), "Outstanding join tokens (never the tokens). Admin."),
      401: errors[401],
      403: errors[403],
    },
  }),
  deleteJoinToken: createRoute({
    method: "delete",
    path: "/v1/pki/join-tokens/{id}",
    operationId: "deleteJoinToken",
    summary: "Withdraw a join token",
    request: { params: z.object({ id: pathParam("id", "3fa2b1c0d9e8") }) },
    responses: { 204: { description: "Withdrawn. Admin." }, 401: errors[401], 403: errors[403], 404: errors[404] },
  }),
  enroll: createRoute({
    method: "post",
    path: "/v1/pki/enroll",
    operationId: "enrollAgent",
    summary: "Enroll an agent with a join token",
    request: anyBody("{token, csr}: the join token is the credential (no bearer token)"),
    responses: {
      200: json(Certificate, "The agent's certificate"),
      400: errors[400],
      401: errors[401],
      403: errors[403],
    },
  }),
  renew: createRoute({
    method: "post",
    path: "/v1/pki/renew",
    operationId: "renewAgentCertificate",
    summary: "Renew an agent's certificate",
    request: anyBody("{certificate, csr, signedAt, signature}: signed with the current certificate's key"),
    responses: { 200: json(Certificate, "A new certificate"), 400: errors[400], 401: errors[401], 403: errors[403] },
  }),
  register: createRoute({
    method: "post",
    path: "/v1/pki/register",
    operationId: "registerEnrolledAgent",
    summary: "Register an enrolled agent's endpoint",
    request: anyBody(
      "{host, endpoint, role, driver, certificate, signedAt, signature}: an enrolled agent says where it listens",
    ),
    responses: { 200: json(Agent, "Registered"), 400: errors[400], 401: errors[401], 403: errors[403] },
  }),
  revoke: createRoute({
    method: "post",
    path: "/v1/pki/revocations",
    operationId: "revokeHost",
    summary: "Revoke a host's certificates",
    request: {
      body: {
        content: {
          "application/json": {
            schema: z.object({ host: z.string(), reason: z.string().optional() }).openapi("Revocation"),
          },
        },
        required: true,
      },
    },
    responses: {
      200: json(z.object({ host: z.string(), serials: z.array(z.string()) }), "Revoked: refused from now on. Admin."),
      ...errors,
    },
  }),
  reinstate: createRoute({
    method: "delete",
    path: "/v1/pki/revocations/{host}",
    operationId: "reinstateHost",
    summary: "Lift a host's revocation",
    request: { params: z.object({ host: pathParam("host", "lb-backup") }) },
    responses: { 200: json(z.object({ host: z.string() }), "Reinstated (it must enroll again). Admin."), ...errors },
  }),
};

/** Paths under /v1/pki that authenticate by their own proof (a join token, a signature), not a bearer token. */
export const PUBLIC_PKI_PATHS = new Set(["/v1/pki/ca", "/v1/pki/enroll", "/v1/pki/renew", "/v1/pki/register"]);

export function registerPkiRoutes(app: Api, ctx: CommandContext): void {
  app.openapi(routes.ca, async (c) => c.json(caCertificate(ctx), 200));
  app.openapi(routes.createJoinToken, async (c) =>
    c.json(await createJoinToken(ctx, c.get("actor"), c.req.valid("json")), 201),
  );
  app.openapi(routes.listJoinTokens, async (c) => c.json({ tokens: await listJoinTokens(ctx, c.get("actor")) }, 200));
  app.openapi(routes.deleteJoinToken, async (c) => {
    await deleteJoinToken(ctx, c.get("actor"), c.req.valid("param").id);
    return c.body(null, 204);
  });
  app.openapi(routes.enroll, async (c) => c.json(await enrollAgent(ctx, c.req.valid("json")), 200));
  app.openapi(routes.renew, async (c) => c.json(await renewAgent(ctx, c.req.valid("json")), 200));
  app.openapi(routes.register, async (c) => c.json(await registerEnrolledAgent(ctx, c.req.valid("json")), 200));
  app.openapi(routes.revoke, async (c) => c.json(await revokeHost(ctx, c.get("actor"), c.req.valid("json")), 200));
  app.openapi(routes.reinstate, async (c) =>
    c.json(await reinstateHost(ctx, c.get("actor"), c.req.valid("param").host), 200),
  );
}
