import { z } from "@hono/zod-openapi";
import { ClusterSpec, FORWARDING_METHODS, PROTOCOLS, SCHEDULER_FLAGS, SCHEDULERS, Weight } from "@lvsfleet/model";

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
  table: z.string().optional().openapi({
    description:
      "The director's table after the job, as ipvsadm -Ln prints it, up to 500 lines; a bigger one ends with a line saying how many services are left out (GET /v1/clusters/{cluster}/status has the whole table)",
  }),
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
    progress: z
      .object({
        message: z.string().openapi({
          example: "generation 7: lb-master: applying 10,000 services, 12 s so far; lb-backup: applied in 9 s",
        }),
        generation: z.number(),
        services: z.number(),
        directors: z.array(
          z.object({
            host: z.string(),
            state: z.enum(["waiting", "applying", "applied", "failed"]),
            seconds: z.number().optional().openapi({ description: "How long its Apply has run, or ran" }),
          }),
        ),
      })
      .optional()
      .openapi({
        description:
          "A running apply job: where each director's Apply is, rewritten every second (a big table takes minutes)",
      }),
    createdAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
  })
  .openapi("Job");

export const Accepted = z.object({ job: Job }).passthrough().openapi("Accepted");

/** The answer to a weight change: the job, and what changed in the desired state. */
export const WeightChangeResult = Accepted.extend({
  target: z.object({
    cluster: z.string(),
    service: z.string(),
    address: z.string().openapi({ example: "192.168.1.220" }),
    port: z.number().openapi({ example: 80 }),
  }),
  before: z.number().openapi({ example: 3 }),
  after: z.number().openapi({ example: 5 }),
  changed: z
    .boolean()
    .openapi({ description: "False: the weight was already that (the job completes, changing nothing)" }),
  generation: z.number().openapi({ description: "The cluster's generation after the change" }),
}).openapi("WeightChangeResult");

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

/** What an agent's doctor finds wrong with a host for its role, with the fix. */
export const Problem = z
  .object({
    code: z.string().openapi({ example: "arp-ignore" }),
    severity: z.enum(["error", "warning"]),
    subject: z.string().openapi({ example: "net.ipv4.conf.all.arp_ignore" }),
    message: z.string().openapi({
      example:
        "net.ipv4.conf.all.arp_ignore is 0, needs 1: with 0 this server answers ARP for the VIP on lo and steals the director's traffic (the most common LVS-DR mistake)",
    }),
    fix: z.string().openapi({ example: "sysctl -w net.ipv4.conf.all.arp_ignore=1" }),
  })
  .openapi("Problem");

const Stats = z
  .object({ conns: z.number(), inPkts: z.number(), outPkts: z.number(), inBytes: z.number(), outBytes: z.number() })
  .openapi({ description: "Counters since the entry was added (ipvsadm -Ln --stats), when the source reports them" });
const Rates = z
  .object({ cps: z.number(), inPps: z.number(), outPps: z.number(), inBps: z.number(), outBps: z.number() })
  .openapi({ description: "Rates per second (ipvsadm -Ln --rate), when the source reports them" });

const IpvsDestination = z.object({
  address: z.string().openapi({ example: "192.168.1.220" }),
  port: z.number().openapi({ example: 80 }),
  forwarding: z.enum(FORWARDING_METHODS),
  weight: z.number().openapi({ example: 3 }),
  upperThreshold: z.number(),
  lowerThreshold: z.number(),
  tunnel: z
    .object({
      type: z.enum(["ipip", "gue", "gre"]),
      port: z.number().optional(),
      checksum: z.enum(["nocsum", "csum", "remcsum"]).optional(),
    })
    .optional()
    .openapi({ description: "Encapsulation of a tun destination; absent means ipip" }),
  activeConns: z.number(),
  inactConns: z.number(),
  persistConns: z.number(),
  stats: Stats.optional(),
  rates: Rates.optional(),
});

/** The IPVS table as a director's kernel holds it (what ipvsadm -Ln lists). */
export const IpvsTable = z
  .object({
    services: z.array(
      z.object({
        protocol: z.enum(PROTOCOLS),
        address: z.string().optional().openapi({ description: "Absent for fwmark services" }),
        port: z.number().optional(),
        fwmark: z.number().optional(),
        family: z.enum(["inet", "inet6"]),
        scheduler: z.enum(SCHEDULERS),
        schedulerFlags: z.array(z.enum(SCHEDULER_FLAGS)),
        persistence: z
          .object({ timeout: z.number(), netmask: z.number().openapi({ description: "A prefix length" }) })
          .optional(),
        onePacket: z.boolean().optional(),
        destinations: z.array(IpvsDestination),
        stats: Stats.optional(),
        rates: Rates.optional(),
      }),
    ),
  })
  .openapi("IpvsTable");

const HostStatus = z
  .object({
    host: z.string(),
    kind: z.enum(["director", "real-server"]),
    addresses: z.array(z.string()).openapi({ description: "Directors: the spec's address. Real servers: theirs." }),
    role: z.enum(["master", "backup"]).optional(),
    priority: z.number().optional(),
    agent: z.object({ registered: z.boolean(), reachable: z.boolean() }).openapi({
      description: "Whether the host's agent is registered and answered; when registered, its registration (see Agent)",
    }),
    roleState: z.string().optional(),
    generation: z.number().optional().openapi({ description: "The generation the agent applied" }),
    inSync: z.boolean().optional().openapi({ description: "Directors: the agent applied the stored generation" }),
    table: IpvsTable.optional().openapi({ description: "Directors: the table the agent observed" }),
    hostState: z.object({}).optional().openapi({ description: "Addresses, routes and sysctls the agent observed" }),
    problems: z.array(Problem).optional().openapi({ description: "What the agent's doctor finds wrong, with the fix" }),
    failover: z
      .object({})
      .optional()
      .openapi({ description: "Directors: health checks and local decisions, VRRP, the VIPs held" }),
    error: z.string().optional().openapi({ description: "Why the host could not be read" }),
  })
  .openapi("HostStatus");

/** GET /v1/clusters/{cluster}/status: every host read live from its agent. */
export const ClusterStatus = z
  .object({
    cluster: z.string(),
    generation: z.number(),
    hosts: z.array(HostStatus),
    recentEvents: z.array(z.object({})).openapi({ description: "The last events of the cluster's hosts" }),
    failover: z
      .object({})
      .optional()
      .openapi({ description: "VIP ownership across the directors, split-brain/no-owner alerts, last states" }),
    drift: z
      .array(
        z.object({
          host: z.string(),
          detail: z
            .string()
            .openapi({ description: "What the read-back found, and the operations that would repair it" }),
          since: z.number().openapi({ description: "When the director reported it (ms since the epoch)" }),
        }),
      )
      .optional()
      .openapi({
        description:
          "Directors whose table was changed behind their back and not repaired (driftPolicy report), while it stands",
      }),
  })
  .openapi("ClusterStatus", {
    description: "Per director and real server: agent, role, observed table, host state",
  });

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
