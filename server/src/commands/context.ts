import type { Logger } from "pino";
import type { ActorAuthority } from "../access/authority.ts";
import type { TokenStore } from "../access/tokens.ts";
import type { Fleet } from "../agents/fleet.ts";
import type { AgentSupervisor } from "../agents/supervisor.ts";
import type { LeaseView } from "../agents/supervisor-lease.ts";
import type { AuditLog } from "../audit/log.ts";
import type { MaintenanceService } from "../maintenance/service.ts";
import type { RevocationFeed } from "../pki/revocation-feed.ts";
import type { ServerTrust } from "../pki/trust.ts";
import type { CommandQueue } from "../queue/queue.ts";
import type { Simulations } from "../simulation/pool.ts";
import type { AgentRegistry } from "../store/agents.ts";
import type { ClusterWriter } from "../store/cluster-writer.ts";
import type { ClusterStore } from "../store/clusters.ts";
import type { EventLog } from "../store/events.ts";
import type { HostOwners } from "../store/host-owners.ts";
import type { ReplicationBarrier } from "../store/replication-barrier.ts";

/** Everything a command may use. Front doors (REST, chat, CLI, jobs) build nothing else. */
export interface CommandContext {
  clusters: ClusterStore;
  registry: AgentRegistry;
  /** Which cluster owns each host: a cluster never reads or changes another cluster's hosts. */
  owners: HostOwners;
  queue: CommandQueue;
  /** The agents: every call to one goes through it (ownership, registration, revocation, deadlines). */
  fleet: Fleet;
  supervisor: AgentSupervisor;
  /** This replica's id and whether it holds the supervisor lease (health, metrics); absent in servers built without one. */
  lease?: LeaseView | undefined;
  events: EventLog;
  audit: AuditLog;
  tokens: TokenStore;
  /** Whether an actor's authority still holds (schedules firing, open event streams). */
  authority: ActorAuthority;
  /** Mutual TLS with the agents; undefined only when the server runs with LVSFLEET_INSECURE_GRPC. */
  trust: ServerTrust | undefined;
  /** Revocations across every server sharing the Redis; undefined when trust is. */
  revocations?: RevocationFeed | undefined;
  log: Logger;
  /** Every change to a cluster's spec goes through it (group commit, compare-and-set). */
  writer: ClusterWriter;
  /** The worker-thread pool that runs what-ifs and plans off the event loop (bounded, with deadlines). */
  simulations: Simulations;
  /** Maintenance jobs (drain, maintenance windows, rolling restarts, switch-over); absent in servers built without them. */
  maintenance?: MaintenanceService | undefined;
  /** Mutating commands are answered once their writes are on the Redis replicas (LVSFLEET_REDIS_WAIT_REPLICAS); absent: not waited for. */
  replication?: ReplicationBarrier | undefined;
}
