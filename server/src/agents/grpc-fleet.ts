import type { AgentRegistry } from "../store/agents.ts";
import type { HostOwners } from "../store/host-owners.ts";
import { AgentFleet, type CallDeadlines } from "./fleet.ts";
import type { AgentPool } from "./pool.ts";

/** How long the fleet's calls may take over gRPC (other calls: the pool's deadline). */
export type FleetDeadlines = Omit<CallDeadlines, "callMs">;

/** The longest an allowlisted action may run, unless the server says otherwise. */
export const ACTION_DEADLINE_MS = 15 * 60_000;

/**
 * The fleet over gRPC: one client per agent from the pool (mutual TLS, re-created when an agent's
 * endpoint changes), ownership from Redis. Apply, Start and Stop get the apply deadline
 * (LVSFLEET_APPLY_DEADLINE_MS); other calls keep the pool's deadline (LVSFLEET_AGENT_DEADLINE_MS).
 */
export class GrpcFleet extends AgentFleet {
  constructor(
    private readonly pool: AgentPool,
    owners: HostOwners,
    registry: AgentRegistry,
    deadlines: FleetDeadlines,
  ) {
    super({ owners, registry, dial: (registration) => pool.clientFor(registration), deadlines });
  }

  /** Closes the client of a host (revoked): its open connections end now. */
  drop(host: string): void {
    this.pool.drop(host);
  }

  close(): void {
    this.pool.close();
  }
}
