import type { Logger } from "pino";
import type { TokenStore } from "../access/tokens.ts";
import type { AgentPool } from "../agents/pool.ts";
import type { AgentSupervisor } from "../agents/supervisor.ts";
import type { AuditLog } from "../audit/log.ts";
import type { MaintenanceService } from "../maintenance/service.ts";
import type { ServerTrust } from "../pki/trust.ts";
import type { CommandQueue } from "../queue/queue.ts";
import type { Simulations } from "../simulation/pool.ts";
import type { AgentRegistry } from "../store/agents.ts";
import type { ClusterWriter } from "../store/cluster-writer.ts";
import type { ClusterStore } from "../store/clusters.ts";
import type { EventLog } from "../store/events.ts";

/** Everything a command may use. Front doors (REST, chat, CLI, jobs) build nothing else. */
export interface CommandContext {
  clusters: ClusterStore;
  registry: AgentRegistry;
  queue: CommandQueue;
  pool: AgentPool;
  supervisor: AgentSupervisor;
  events: EventLog;
  audit: AuditLog;
  tokens: TokenStore;
  /** Mutual TLS with the agents; undefined only when the server runs with LVSFLEET_INSECURE_GRPC. */
  trust: ServerTrust | undefined;
  log: Logger;
  /** Every change to a cluster's spec goes through it (group commit, compare-and-set). */
  writer: ClusterWriter;
  /** Deadline for live status reads from agents. */
  statusDeadlineMs: number;
  /** The worker-thread pool that runs what-ifs and plans off the event loop (bounded, with deadlines). */
  simulations: Simulations;
  /** Maintenance jobs (drain, maintenance windows, rolling restarts, switch-over); absent in servers built without them. */
  maintenance?: MaintenanceService | undefined;
}
