import { createServer as createHttpsServer } from "node:https";
import type { Server as TlsServer } from "node:tls";
import { serve } from "@hono/node-server";
import { isLoopbackHost } from "@lvsfleet/model";
import type { Worker } from "bullmq";
import type { Logger } from "pino";
import { ActorAuthority, bootstrapSource } from "./access/authority.ts";
import { type ChatRoles, parseRoleMap, SLACK_ID } from "./access/chat-roles.ts";
import { TokenStore } from "./access/tokens.ts";
import { ACTION_DEADLINE_MS, GrpcFleet } from "./agents/grpc-fleet.ts";
import { AgentPool } from "./agents/pool.ts";
import { ReplicaPresence } from "./agents/replica-presence.ts";
import { AgentSupervisor } from "./agents/supervisor.ts";
import { supervisorDuty } from "./agents/supervisor-duty.ts";
import { SupervisorLease } from "./agents/supervisor-lease.ts";
import { AuditLog } from "./audit/log.ts";
import { Confirmations } from "./chat/confirmations.ts";
import type { ChatAction } from "./chat/dispatch.ts";
import { slackRoutes } from "./chat/slack.ts";
import type { CommandContext } from "./commands/context.ts";
import { jobAdmission, scheduleFirer } from "./commands/maintenance.ts";
import { AgentEffects, AgentHealthView } from "./commands/maintenance-world.ts";
import type { ServerConfig } from "./config.ts";
import { createFleetHealth } from "./health/fleet-health.ts";
import { createHttpApp } from "./http/app.ts";
import { MaintenanceService } from "./maintenance/service.ts";
import { outcomeMessage } from "./notify/job-outcome.ts";
import { JobProgressNotifier } from "./notify/job-progress.ts";
import { postToResponseUrl, responseUrlAllowed } from "./notify/response-url.ts";
import { FleetCaRecord } from "./pki/fleet-ca-record.ts";
import { RedisPkiStore } from "./pki/redis-store.ts";
import { RevocationFeed } from "./pki/revocation-feed.ts";
import { INSECURE_CHANNEL, ServerTrust } from "./pki/trust.ts";
import { ClusterApplier } from "./queue/applier.ts";
import { auditJob } from "./queue/audit-job.ts";
import { CommandQueue } from "./queue/queue.ts";
import { startWorker } from "./queue/worker.ts";
import { CallerLimiter } from "./rate-limit/caller-limiter.ts";
import { resyncDirector } from "./resync.ts";
import { SimulationPool } from "./simulation/pool.ts";
import { AgentRegistry } from "./store/agents.ts";
import { ClusterWriter } from "./store/cluster-writer.ts";
import { ClusterStore } from "./store/clusters.ts";
import { EventLog } from "./store/events.ts";
import { claimNamedHosts, HostOwners } from "./store/host-owners.ts";
import { keys } from "./store/keys.ts";
import { migrateStoredSpecs } from "./store/migrate-specs.ts";
import { parseRedisUrl, redisConnection } from "./store/redis-connection.ts";
import { ReplicationBarrier } from "./store/replication-barrier.ts";
import { ApiTls } from "./tls/api-tls.ts";
import { apiTlsMode } from "./tls/settings.ts";

export interface RunningServer {
  port: number;
  context: CommandContext;
  close(): Promise<void>;
}

/** Wires Redis, the queue and its worker, the agent supervisor and the HTTP API, and listens. */
export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  const chatRoles: ChatRoles = {
    users: parseRoleMap(config.LVSFLEET_CHAT_USERS, "LVSFLEET_CHAT_USERS", SLACK_ID.user),
    channels: parseRoleMap(config.LVSFLEET_CHAT_CHANNELS, "LVSFLEET_CHAT_CHANNELS", SLACK_ID.channel),
    team: config.LVSFLEET_CHAT_TEAM_ID,
    enterprise: config.LVSFLEET_CHAT_ENTERPRISE_ID,
  };
  const redisOptions = { maxRetriesPerRequest: null, lazyConnect: true } as const;
  const redis = redisConnection(config.REDIS_URL, redisOptions);
  const bullConnection = redisConnection(config.REDIS_URL, redisOptions);
  const waitReplicas =
    config.LVSFLEET_REDIS_WAIT_REPLICAS ?? (parseRedisUrl(config.REDIS_URL).kind === "sentinel" ? 1 : 0);
  const barrierConnection = waitReplicas > 0 ? redisConnection(config.REDIS_URL, redisOptions) : undefined;
  await Promise.all([redis.connect(), bullConnection.connect(), barrierConnection?.connect()]);
  // Changes are answered once their writes are on the replicas Sentinel may promote (WAIT).
  const replication = barrierConnection
    ? new ReplicationBarrier(barrierConnection, [redis, bullConnection], {
        replicas: waitReplicas,
        timeoutMs: config.LVSFLEET_REDIS_WAIT_MS,
        key: `${config.LVSFLEET_PREFIX}:replication:barrier`,
      })
    : undefined;
  const k = keys(config.LVSFLEET_PREFIX);
  const clusters = new ClusterStore(redis, k);
  const registry = new AgentRegistry(redis, k);
  const events = new EventLog(redis, k);
  const tlsMode = apiTlsMode(config);
  let trust: ServerTrust | undefined;
  if (config.LVSFLEET_INSECURE_GRPC)
    log.warn(
      "LVSFLEET_INSECURE_GRPC is set: gRPC to the agents is PLAINTEXT and unauthenticated; anyone on the network can impersonate the server or an agent",
    );
  else
    trust = await ServerTrust.open({
      dataDir: config.LVSFLEET_DATA_DIR,
      caCert: config.LVSFLEET_CA_CERT,
      caKey: config.LVSFLEET_CA_KEY,
      encryptionKey: config.LVSFLEET_CA_ENCRYPTION_KEY ?? config.LVSFLEET_CA_ENCRYPTION_KEY_FILE,
      upgradeRecord: config.LVSFLEET_CA_RECORD_UPGRADE,
      caRecord: new FleetCaRecord(redis, config.LVSFLEET_PREFIX),
      store: new RedisPkiStore(redis, config.LVSFLEET_PREFIX),
      log,
      names: tlsMode.kind === "ca" ? tlsMode.names : undefined,
    });
  const owners = new HostOwners(redis, k);
  const audit = new AuditLog(redis, k.audit);
  // Specs written by an older version first (scripts by name), so that the start and the API read them.
  await migrateStoredSpecs(clusters, audit, log);
  await claimNamedHosts(clusters, owners, log);
  const pool = new AgentPool(
    config.LVSFLEET_AGENT_DEADLINE_MS,
    (registration) => (trust ? trust.channelFor(registration.host, registration.role) : INSECURE_CHANNEL),
    (host) => trust?.revocations.reasonRevoked({ kind: "agent", host: host.toLowerCase() }),
    config.LVSFLEET_GRPC_MAX_MESSAGE_BYTES,
  );
  const fleet = new GrpcFleet(pool, owners, registry, {
    statusMs: Math.min(1_500, config.LVSFLEET_AGENT_DEADLINE_MS),
    applyMs: config.LVSFLEET_APPLY_DEADLINE_MS,
    actionMs: ACTION_DEADLINE_MS,
  });
  const queue = new CommandQueue(bullConnection, {
    prefix: config.LVSFLEET_PREFIX,
    attempts: config.LVSFLEET_JOB_ATTEMPTS,
    retentionCount: config.LVSFLEET_JOB_RETENTION_COUNT,
    retentionSeconds: config.LVSFLEET_JOB_RETENTION_SECONDS,
  });
  const applier = new ClusterApplier(clusters, fleet, config.LVSFLEET_APPLY_CONCURRENCY);
  const tokens = new TokenStore(redis, k);
  const writer = new ClusterWriter(clusters);
  // One live process per replica id (the lease lets an id take back its own lease): a restart waits
  // for its dead predecessor's claim to run out; a second live process with the same id stops here.
  const presence = new ReplicaPresence(redis, {
    key: `${config.LVSFLEET_PREFIX}:replica:${config.LVSFLEET_REPLICA_ID}`,
    replica: config.LVSFLEET_REPLICA_ID,
    ttlMs: config.LVSFLEET_SUPERVISOR_LEASE_MS,
    log,
  });
  await presence.claim();
  // One replica at a time supervises the fleet (docs/operations.md, the supervisor lease); its
  // events and audit entries are fenced, so a replica that lost the lease writes none.
  const lease = new SupervisorLease(redis, {
    key: `${config.LVSFLEET_PREFIX}:supervisor:lease`,
    fenceKey: `${config.LVSFLEET_PREFIX}:supervisor:fence`,
    replica: config.LVSFLEET_REPLICA_ID,
    ttlMs: config.LVSFLEET_SUPERVISOR_LEASE_MS,
    presence: { key: presence.options.key, instance: presence.instance },
    log,
  });
  const supervisorEvents = events.fencedBy(lease);
  // Health and fail-over across the fleet: VIP ownership alerts, last states, audit, chat webhook.
  const fleetHealth = createFleetHealth({
    redis,
    prefix: config.LVSFLEET_PREFIX,
    clusters,
    events: supervisorEvents,
    audit: audit.fencedBy(lease),
    webhookUrl: config.LVSFLEET_CHAT_WEBHOOK_URL,
    webhookHosts: config.LVSFLEET_CHAT_RESPONSE_HOSTS,
    stillSupervisor: () => lease.confirm(),
    fence: lease,
    log,
  });
  const supervisor = new AgentSupervisor(
    registry.fencedBy(lease),
    fleet,
    supervisorEvents,
    config.LVSFLEET_HEARTBEAT_MS,
    log,
    {
      ...fleetHealth.hooks(),
      // the context is built below, before the supervisor starts; only the lease holder queues re-syncs
      onAgentBack: (registration, liveness) => {
        if (!lease.holding) return;
        void resyncDirector(context, registration, liveness).catch((error) =>
          log.warn({ err: (error as Error).message }, "re-sync failed"),
        );
      },
    },
    {
      concurrency: config.LVSFLEET_SUPERVISOR_ATTACH_CONCURRENCY,
      jitterMs: config.LVSFLEET_SUPERVISOR_ATTACH_JITTER_MS,
    },
  );
  // Nothing is watched until this replica holds the lease.
  supervisor.stop();
  const maintenance = new MaintenanceService(
    redis,
    bullConnection,
    {
      prefix: config.LVSFLEET_PREFIX,
      concurrency: config.LVSFLEET_MAINTENANCE_CONCURRENCY,
      lockMs: config.LVSFLEET_JOB_LOCK_MS,
      retentionCount: config.LVSFLEET_JOB_RETENTION_COUNT,
      retentionSeconds: config.LVSFLEET_JOB_RETENTION_SECONDS,
      pollMs: config.LVSFLEET_MAINTENANCE_POLL_MS,
      replica: config.LVSFLEET_REPLICA_ID,
    },
    new AgentEffects(clusters, writer, applier, fleet, new AgentHealthView(fleet, registry)),
    audit,
    log,
  );
  const revocations = trust
    ? new RevocationFeed(
        trust,
        { publisher: redis, subscriber: redisConnection(config.REDIS_URL, { maxRetriesPerRequest: null }) },
        `${config.LVSFLEET_PREFIX}:revocations`,
        {
          revoked: (host) => {
            supervisor.forget(host);
            fleet.drop(host);
          },
          reinstated: (host) =>
            void registry.list().then((all) => {
              for (const registration of all)
                if (registration.host.toLowerCase() === host) supervisor.ensure(registration);
            }),
        },
        log,
      )
    : undefined;
  const context: CommandContext = {
    clusters,
    registry,
    owners,
    queue,
    fleet,
    supervisor,
    lease,
    events,
    audit,
    tokens,
    authority: new ActorAuthority(tokens, chatRoles, bootstrapSource(config.LVSFLEET_API_TOKEN)),
    trust,
    revocations,
    log,
    writer,
    simulations: new SimulationPool({
      threads: config.LVSFLEET_SIM_THREADS,
      queue: config.LVSFLEET_SIM_QUEUE,
      deadlineMs: config.LVSFLEET_SIM_DEADLINE_MS,
      budgetMs: config.LVSFLEET_SIM_BUDGET_MS,
      memoryMb: config.LVSFLEET_SIM_MEMORY_MB,
      nice: config.LVSFLEET_SIM_NICE,
      onError: (error) => log.error({ err: error.message }, "simulation thread failed"),
    }),
    maintenance,
    replication,
  };
  // Maintenance progress to chat (the incoming webhook, and the response_url of a job started from chat).
  const progress = new JobProgressNotifier(config.LVSFLEET_CHAT_RESPONSE_HOSTS, config.LVSFLEET_CHAT_WEBHOOK_URL, log);
  maintenance.onEvent(progress.jobEvent);

  const worker: Worker = startWorker(
    redisConnection(config.REDIS_URL, { maxRetriesPerRequest: null }),
    {
      prefix: config.LVSFLEET_PREFIX,
      concurrency: config.LVSFLEET_WORKER_CONCURRENCY,
      backoffMs: config.LVSFLEET_JOB_BACKOFF_MS,
      lockMs: config.LVSFLEET_JOB_LOCK_MS,
      replica: config.LVSFLEET_REPLICA_ID,
    },
    { clusters, fleet, applier, log },
    {
      onFinished: (job, outcome) => {
        void auditJob(context.audit, job, outcome).catch((error) =>
          log.error({ err: (error as Error).message }, "audit append failed"),
        );
        const url = job.data.notify?.responseUrl;
        if (url) void postToResponseUrl(url, outcomeMessage(job, outcome), config.LVSFLEET_CHAT_RESPONSE_HOSTS, log);
      },
    },
  );
  await revocations?.start();
  // A single server takes the lease at once and supervises from the start, as before.
  await lease.start(
    supervisorDuty(supervisor, fleetHealth, {
      syncMs: Math.max(250, Math.floor(config.LVSFLEET_SUPERVISOR_LEASE_MS / 3)),
      log,
      bookkeeping: () => maintenance.requeueOrphans(),
    }),
  );
  await maintenance.start(
    redisConnection(config.REDIS_URL, { maxRetriesPerRequest: null }),
    scheduleFirer(context),
    jobAdmission(context),
  );

  const app = createHttpApp(context, {
    apiToken: config.LVSFLEET_API_TOKEN,
    redis,
    limiter: new CallerLimiter(redis, `${config.LVSFLEET_PREFIX}:rate:rest`, config.LVSFLEET_RATE_LIMIT_PER_MINUTE),
    maxBodyBytes: config.LVSFLEET_MAX_BODY_BYTES,
    maxSpecBytes: config.LVSFLEET_MAX_SPEC_BYTES,
    chat: slackRoutes(context, {
      signingSecret: config.SLACK_SIGNING_SECRET,
      responseUrls: {
        allowed: (url) => responseUrlAllowed(url, config.LVSFLEET_CHAT_RESPONSE_HOSTS),
        post: (url, message) => postToResponseUrl(url, message, config.LVSFLEET_CHAT_RESPONSE_HOSTS, log),
      },
      roles: chatRoles,
      limiter: new CallerLimiter(
        redis,
        `${config.LVSFLEET_PREFIX}:rate:chat`,
        config.LVSFLEET_CHAT_RATE_LIMIT_PER_MINUTE,
      ),
      confirmations: new Confirmations<ChatAction>(redis, k.confirmations, config.LVSFLEET_CONFIRM_TTL_SECONDS),
      firstSeen: async (signature) => (await redis.set(k.slackReplay(signature), "1", "EX", 600, "NX")) === "OK",
    }),
  });
  // HTTPS (LVSFLEET_TLS): the whole app behind node:https, its certificate swapped in place on renewal.
  const apiTls =
    tlsMode.kind === "ca" && trust
      ? ApiTls.fromIdentity(trust.identity, log)
      : tlsMode.kind === "files"
        ? ApiTls.fromFiles(tlsMode.files, log)
        : undefined;
  const listen = { fetch: app.fetch, port: config.PORT, hostname: config.LVSFLEET_BIND };
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
    const s = serve(
      apiTls ? { ...listen, createServer: createHttpsServer, serverOptions: apiTls.serverOptions() } : listen,
      (info) => resolve({ server: s, port: info.port }),
    );
  });
  if (apiTls) apiTls.attach(server as TlsServer);
  if (!apiTls && !isLoopbackHost(config.LVSFLEET_BIND))
    log.warn(
      { bind: config.LVSFLEET_BIND },
      "the API listens on a non-loopback address in plain HTTP: tokens and join tokens cross the network in clear; set LVSFLEET_TLS (docs/operations.md, HTTPS on the API) or put a TLS proxy in front",
    );
  log.info(
    {
      port,
      bind: config.LVSFLEET_BIND,
      prefix: config.LVSFLEET_PREFIX,
      tls: tlsMode.kind,
      replica: config.LVSFLEET_REPLICA_ID,
      supervisor: lease.holding,
    },
    `lvsfleet server listening (${apiTls ? "https" : "http"})`,
  );

  return {
    port,
    context,
    async close() {
      // gives the lease up (streams cancelled first), so another replica takes over at once
      await lease.close();
      await presence.close();
      supervisor.stop();
      await revocations?.close();
      await fleetHealth.close();
      trust?.close();
      apiTls?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await maintenance.close();
      await progress.close();
      await worker.close();
      await queue.close();
      fleet.close();
      await context.simulations.close();
      redis.disconnect();
      bullConnection.disconnect();
      barrierConnection?.disconnect();
    },
  };
}
