import { randomBytes } from "node:crypto";
import { availableParallelism, hostname } from "node:os";
import { validate } from "@lvsfleet/model";
import { DEFAULT_MAX_MESSAGE_BYTES } from "@lvsfleet/rpc";
import { z } from "zod";
import { DEFAULT_APPLY_DEADLINE_MS } from "./agents/fleet.ts";
import { CaEncryptionKeyFile, CaEncryptionKeyFromEnv, checkCaEncryptionKey } from "./pki/encryption-key.ts";
import { redisUrlProblem } from "./store/redis-connection.ts";
import { TlsNamesFromEnv } from "./tls/names.ts";
import { checkApiTlsSettings } from "./tls/settings.ts";

const CsvList = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean),
);

const IntFromEnv = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Server settings, all from the environment (twelve-factor), validated at start. */
export const ServerConfig = z.object({
  PORT: IntFromEnv(0, 65535).default(8080),
  /** Address to bind the HTTP API to. */
  LVSFLEET_BIND: z.string().default("127.0.0.1"),
  /**
   * `redis://`, `rediss://`, or Redis Sentinel: `redis+sentinel://[user:pass@]host:26379,host:26380/mymaster[?db=N&sentinelPassword=…]`
   * (store/redis-connection.ts; docs/operations.md, Redis Sentinel). The reason of a bad one never repeats the URL (a password).
   */
  REDIS_URL: z
    .string()
    .default("redis://127.0.0.1:6379")
    .superRefine((url, ctx) => {
      const problem = redisUrlProblem(url);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
  /**
   * Prefix of every Redis key (and BullMQ queue) this server uses, so several installations can share one Redis.
   * It may carry one hash tag, `{lvsfleet}`, so that on Redis Cluster every key lands in one slot.
   */
  LVSFLEET_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]*(\{[A-Za-z0-9_-]+\})?[A-Za-z0-9_-]*$/, {
      error: "must be letters, digits, _ and -, with at most one hash tag such as {lvsfleet}",
    })
    .min(1)
    .default("lvsfleet"),
  LVSFLEET_API_TOKEN: z.string().min(16, { error: "must be at least 16 characters" }),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  /** Hosts the chat adapter may POST job outcomes to (a Slack response_url is on hooks.slack.com). */
  LVSFLEET_CHAT_RESPONSE_HOSTS: CsvList.default(["hooks.slack.com"]),
  LVSFLEET_JOB_ATTEMPTS: IntFromEnv(1, 100).default(8),
  /** First retry delay; it doubles per attempt up to 30 s. */
  LVSFLEET_JOB_BACKOFF_MS: IntFromEnv(10, 60_000).default(500),
  LVSFLEET_WORKER_CONCURRENCY: IntFromEnv(1, 1000).default(32),
  /** A job held by a server that died is taken over after this long (BullMQ lock and stalled check). */
  LVSFLEET_JOB_LOCK_MS: IntFromEnv(1_000, 600_000).default(30_000),
  /** Heartbeat period asked of agents; an agent is unreachable after three missed beats. */
  LVSFLEET_HEARTBEAT_MS: IntFromEnv(200, 60_000).default(2_000),
  /** Deadline of each gRPC call to an agent, but Apply, Start and Stop. */
  LVSFLEET_AGENT_DEADLINE_MS: IntFromEnv(100, 120_000).default(5_000),
  /**
   * Deadline of Apply, Start and Stop, which reconcile the whole table: 15 min, longer than the
   * agents' longest batch command (10 min), so a stuck one fails with the agent's reason. The apply
   * job reports its progress meanwhile (GET /v1/jobs/{id}).
   */
  LVSFLEET_APPLY_DEADLINE_MS: IntFromEnv(1_000, 24 * 3_600_000).default(DEFAULT_APPLY_DEADLINE_MS),
  /** How many finished jobs to keep, and for how long (seconds). */
  LVSFLEET_JOB_RETENTION_COUNT: IntFromEnv(100, 1_000_000).default(10_000),
  LVSFLEET_JOB_RETENTION_SECONDS: IntFromEnv(60, 31_536_000).default(7 * 86_400),
  /** Maintenance jobs (drain, rolling…) run at once; most of their time is spent waiting. */
  LVSFLEET_MAINTENANCE_CONCURRENCY: IntFromEnv(1, 10_000).default(256),
  /** How often a maintenance job polls connection counts, health and its own cancel/pause (ms). */
  LVSFLEET_MAINTENANCE_POLL_MS: IntFromEnv(20, 60_000).default(500),
  /** A Slack incoming webhook that hears every maintenance job's progress (its host must be in LVSFLEET_CHAT_RESPONSE_HOSTS). */
  LVSFLEET_CHAT_WEBHOOK_URL: z.url({ error: "must be a URL (a Slack incoming webhook)" }).optional(),
  /** Chat users' roles: `U0123ABC=admin,U0456DEF=operator` (Slack user ids, never names). Unlisted users get nothing. */
  LVSFLEET_CHAT_USERS: z.string().default(""),
  /** The Slack workspace (team_id) chat requests must come from; others are refused. */
  LVSFLEET_CHAT_TEAM_ID: z
    .string()
    .regex(/^T[A-Z0-9]{2,31}$/, { error: "must be a Slack team id such as T0123ABCD" })
    .optional(),
  /** The Slack Enterprise Grid organisation (enterprise_id) chat requests must come from. */
  LVSFLEET_CHAT_ENTERPRISE_ID: z
    .string()
    .regex(/^E[A-Z0-9]{2,31}$/, { error: "must be a Slack enterprise id such as E0123ABCD" })
    .optional(),
  /** Channels that cap the role of everyone in them: `C0123ABC=viewer`. */
  LVSFLEET_CHAT_CHANNELS: z.string().default(""),
  /** How long a dangerous chat command waits for its confirmation. */
  LVSFLEET_CONFIRM_TTL_SECONDS: IntFromEnv(1, 3_600).default(120),
  /** Requests per minute per API token. */
  LVSFLEET_RATE_LIMIT_PER_MINUTE: IntFromEnv(1, 10_000_000).default(1_200),
  /** Commands per minute per chat user. */
  LVSFLEET_CHAT_RATE_LIMIT_PER_MINUTE: IntFromEnv(1, 100_000).default(30),
  /** Largest request body accepted, in bytes (every route but the two that take a whole spec). */
  LVSFLEET_MAX_BODY_BYTES: IntFromEnv(1_024, 64 * 1024 * 1024).default(1024 * 1024),
  /**
   * Largest spec accepted by PUT /v1/clusters/{cluster} and POST /v1/clusters/{cluster}/plan, in bytes.
   * 32 MiB: a 10,000-service × 10-real-server spec is about 7.4 MB of JSON (docs/operations.md, Big tables).
   */
  LVSFLEET_MAX_SPEC_BYTES: IntFromEnv(1_024, 1024 * 1024 * 1024).default(32 * 1024 * 1024),
  /**
   * Largest gRPC message the server sends to or accepts from an agent, in bytes (an Apply carries the
   * spec; its answer, GetState and the events carry the table). gRPC's own default, 4 MiB, is too
   * small for a 10,000-service table. The agents have the same default (packages/rpc, DEFAULT_MAX_MESSAGE_BYTES: 64 MiB).
   */
  LVSFLEET_GRPC_MAX_MESSAGE_BYTES: IntFromEnv(4 * 1024 * 1024, 2 * 1024 * 1024 * 1024 - 1).default(
    DEFAULT_MAX_MESSAGE_BYTES,
  ),
  /** Where the server keeps its CA and its own certificate (pki/, mode 0700). */
  LVSFLEET_DATA_DIR: z.string().default(".data/server"),
  /** An operator-supplied CA (both or neither); otherwise one is generated on first start. */
  LVSFLEET_CA_CERT: z.string().optional(),
  LVSFLEET_CA_KEY: z.string().optional(),
  /**
   * Several servers, one CA (docs/operations.md): the AES-256 key (32 bytes, base64) that seals the CA
   * key every server loads from Redis — given itself, or as a file (0600). One of the two, or neither.
   */
  LVSFLEET_CA_ENCRYPTION_KEY: CaEncryptionKeyFromEnv.optional(),
  LVSFLEET_CA_ENCRYPTION_KEY_FILE: CaEncryptionKeyFile.optional(),
  /**
   * Seal a version 1 CA record (from a release before the sealed key was bound to its prefix) again as
   * version 2. Set it on one server once every server runs a release that reads version 2.
   */
  LVSFLEET_CA_RECORD_UPGRADE: z
    .enum(["0", "1", "true", "false"], { error: "must be 1/true or 0/false" })
    .default("0")
    .transform((v) => v === "1" || v === "true"),
  /** Plaintext gRPC to agents: for labs only; the server warns at every start. */
  LVSFLEET_INSECURE_GRPC: z
    .enum(["0", "1", "true", "false"], { error: "must be 1/true or 0/false" })
    .default("0")
    .transform((v) => v === "1" || v === "true"),
  /**
   * HTTPS on the API (REST, chat, /docs, /metrics, /admin): `ca` — a certificate from the lvsfleet CA for
   * LVSFLEET_TLS_NAMES, renewed by the server; `files` — the operator's LVSFLEET_TLS_CERT and
   * LVSFLEET_TLS_KEY (and LVSFLEET_TLS_CHAIN), read again when they change; `off` — plain HTTP (loopback,
   * or behind a TLS proxy). Default: `files` when LVSFLEET_TLS_CERT is set, else `off`. See tls/settings.ts.
   */
  LVSFLEET_TLS: z.enum(["off", "ca", "files"], { error: "must be off, ca or files" }).optional(),
  /** LVSFLEET_TLS=ca: the DNS names and IP addresses clients use to reach this server, comma-separated. */
  LVSFLEET_TLS_NAMES: TlsNamesFromEnv.optional(),
  LVSFLEET_TLS_CERT: z.string().optional(),
  LVSFLEET_TLS_KEY: z.string().optional(),
  LVSFLEET_TLS_CHAIN: z.string().optional(),
  /** Threads running what-ifs and plans at once, off the event loop (default: one per core but one, at most 2). */
  LVSFLEET_SIM_THREADS: IntFromEnv(1, 64).default(Math.max(1, Math.min(2, availableParallelism() - 1))),
  /** What-ifs and plans that may wait for a thread; one more is refused with 429 and Retry-After. */
  LVSFLEET_SIM_QUEUE: IntFromEnv(0, 1_000).default(4),
  /** How long one simulation or plan may run once started; its thread is then terminated (422). */
  LVSFLEET_SIM_DEADLINE_MS: IntFromEnv(100, 600_000).default(10_000),
  /** The estimated CPU cost (ms) one what-if may have; a dearer question is refused before it starts (400). */
  LVSFLEET_SIM_BUDGET_MS: IntFromEnv(10, 600_000).default(2_000),
  /** Heap limit of each simulation thread (MB); a thread over it is terminated (422). */
  LVSFLEET_SIM_MEMORY_MB: IntFromEnv(32, 65_536).default(512),
  /** How much lower the simulation threads' CPU priority is than the server's (nice increment, 0–19). */
  LVSFLEET_SIM_NICE: IntFromEnv(0, 19).default(10),
  /**
   * This server's name among the replicas sharing the Redis (GET /v1/health, /metrics, logs);
   * unique per running process. Default: `<hostname>-<pid>-<random>`.
   */
  LVSFLEET_REPLICA_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/, { error: "must be 1-128 letters, digits, '.', '_' or '-'" })
    .default(() => `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`.replace(/[^A-Za-z0-9._-]/g, "-")),
  /**
   * The supervisor lease's time to live (ms): one replica at a time supervises the agents and runs
   * fleet health; it renews the lease every third of this, and another replica takes over within
   * about this long after the holder dies.
   */
  LVSFLEET_SUPERVISOR_LEASE_MS: IntFromEnv(300, 120_000).default(3_000),
  /**
   * How many Redis replicas must hold a change's writes before it is answered (Redis WAIT; a change
   * they do not confirm in LVSFLEET_REDIS_WAIT_MS is answered 503, safe to retry). 0: answered at once.
   * Default: 1 with a Sentinel REDIS_URL (the replica Sentinel promotes must have every acknowledged
   * change), else 0 (store/replication-barrier.ts; docs/operations.md, Redis Sentinel).
   */
  LVSFLEET_REDIS_WAIT_REPLICAS: IntFromEnv(0, 100).optional(),
  LVSFLEET_REDIS_WAIT_MS: IntFromEnv(10, 60_000).default(1_000),
  /**
   * The supervisor opens at most this many agent streams at once (a start, a restart, a lease taken
   * over): the rest wait for a slot (agents/attach-pacing.ts).
   */
  LVSFLEET_SUPERVISOR_ATTACH_CONCURRENCY: IntFromEnv(1, 10_000).default(32),
  /** When more streams are due than that, each waits a random delay up to this long (ms), so that they spread. */
  LVSFLEET_SUPERVISOR_ATTACH_JITTER_MS: IntFromEnv(0, 60_000).default(1_000),
  /** Directors one apply calls at once (a cluster with many directors: the rest wait for a slot). */
  LVSFLEET_APPLY_CONCURRENCY: IntFromEnv(1, 10_000).default(128),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
});
export type ServerConfig = z.output<typeof ServerConfig>;

/** ServerConfig with the rules between settings (HTTPS on the API: tls/settings.ts). */
const CheckedServerConfig = ServerConfig.superRefine(checkApiTlsSettings).superRefine(checkCaEncryptionKey);

/** Reads the configuration; an empty variable counts as unset (as compose files pass `${X:-}`). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  return validate(CheckedServerConfig, Object.fromEntries(Object.entries(env).filter(([, v]) => v !== "")));
}
