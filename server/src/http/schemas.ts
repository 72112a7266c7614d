import { z } from "@hono/zod-openapi";
import { ClusterSpec, Weight } from "@lvsfleet/model";

export const ErrorBody = z
  .object({
    error: z.object({
      field: z.string().optional().openapi({ example: "weight" }),
      message: z.string().openapi({ example: "must be between 0 and 65535" }),
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
      candidates: z.array(z.string()).optional(),
    }),
  })
  .openapi("Error");

export const Actor = z
  .object({
    type: z.enum(["token", "chat", "job", "agent", "system"]),
    name: z.string().openapi({ description: "Token name, chat user, job id or agent host (never a secret)" }),
    role: z.enum(["viewer", "operator", "admin"]),
    clusters: z.array(z.string()).optional(),
    channel: z.enum(["rest", "chat", "job", "agent", "system"]),
    source: z
      .object({
        token: z.string().optional(),
        chatUser: z.string().optional(),
        team: z.string().optional(),
        enterprise: z.string().optional(),
      })
      .optional()
      .openapi({
        description:
          "Where the authority comes from (a token's id, `bootstrap`, or a chat user's id): work done later in the actor's name checks it still holds. Never a secret.",
      }),
  })
  .openapi("Actor");

export const TokenRecord = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(["viewer", "operator", "admin"]),
    clusters: z.array(z.string()).optional(),
    createdAt: z.number(),
    createdBy: z.string(),
    lastUsedAt: z.number().optional(),
    revokedAt: z.number().optional(),
  })
  .openapi("Token");

export const AuditEntry = z
  .object({
    id: z.string().optional(),
    time: z.number(),
    actor: z.object({ type: z.string(), name: z.string(), role: z.string().optional() }),
    channel: z.string(),
    command: z.string(),
    cluster: z.string().optional(),
    target: z.string().optional(),
    before: z.unknown().optional(),
    after: z.unknown().optional(),
    outcome: z.enum(["accepted", "completed", "failed", "denied"]),
    detail: z.string().optional(),
    job: z.string().optional(),
  })
  .openapi("AuditEntry");

const HostOutcome = z.object({
  host: z.string(),
  role: z.enum(["director", "real-server"]),
  changes: z
    .array(z.string())
    .openapi({ example: ["edit-destination TCP 192.168.1.229:80 -> 192.168.1.220:80 dr weight 5"] }),
  generation: z.number().optional(),
  roleState: z.string().optional(),
  table: z.string().optional().openapi({ description: "The director's table after the job, as ipvsadm -Ln prints it" }),
});

export const Job = z
  .object({
    id: z.string().openapi({ example: "42" }),
    kind: z.enum(["apply", "start", "stop"]),
    cluster: z.string(),
    command: z.string().openapi({ example: "weight 192.168.1.220:80 in web/http: 3 -> 5" }),
    actor: Actor,
    need: z
      .enum(["viewer", "operator", "admin"])
      .openapi({ description: "The role the command needs; retrying the job needs it on the job's cluster" }),
    requestId: z
      .string()
      .optional()
      .openapi({ description: "X-Request-Id of the request that queued it; the server's and agents' logs carry it" }),
    state: z.enum(["queued", "active", "completed", "failed"]),
    retrying: z.boolean().openapi({ description: "A failed attempt is waiting for its retry (see error)" }),
    attempts: z.object({ made: z.number(), max: z.number() }),
    error: z.string().optional(),
    result: z
      .object({ summary: z.string(), generation: z.number().optional(), hosts: z.array(HostOutcome) })
      .optional(),
    createdAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
  })
  .openapi("Job");

export const Accepted = z.object({ job: Job }).passthrough().openapi("Accepted");

export const WeightBody = z.strictObject({ weight: Weight }).openapi("WeightChange", { example: { weight: 5 } });

export const HostBody = z
  .strictObject({
    host: z.string().optional().openapi({ description: "One host of the cluster; all hosts when absent" }),
  })
  .openapi("HostSelection");

export const ClusterSpecDoc = ClusterSpec.openapi("ClusterSpec");

export const ClusterParam = z.object({
  cluster: z.string().openapi({ param: { name: "cluster", in: "path" }, example: "web" }),
});

export const Agent = z
  .object({
    host: z.string(),
    role: z.enum(["director", "real-server"]),
    endpoint: z.string(),
    driver: z.string(),
    registeredAt: z.number(),
    cluster: z
      .string()
      .optional()
      .openapi({ description: "The cluster that owns the host (whose spec names it); absent: none yet" }),
    reachable: z.boolean(),
    lastHeartbeat: z.string().optional(),
    roleState: z.string().optional(),
    generation: z.number().optional(),
    lastError: z.string().optional(),
  })
  .openapi("Agent");

/** `?moveHosts=a,b` on PUT and plan: hosts a spec takes over from the clusters that own them. */
export const MoveHostsQuery = z.object({
  moveHosts: z.string().max(4_096).optional().openapi({
    description:
      "Comma-separated hosts this spec takes over from the clusters that own them (a cluster owns the hosts it names). Needs admin of both clusters; without it a spec naming another cluster's host is refused with 400.",
    example: "lb-master,web1",
  }),
});

export function hostList(text: string | undefined): string[] | undefined {
  return text
    ?.split(",")
    .map((h) => h.trim())
    .filter(Boolean);
}
