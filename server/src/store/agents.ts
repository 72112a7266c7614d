import type { AgentRole, RoleState } from "@lvsfleet/model";
import type { Redis } from "ioredis";
import type { WriteFence } from "./events.ts";
import type { Keys } from "./keys.ts";

/** How to reach an agent, as it announced itself (or an operator registered it). */
export interface AgentRegistration {
  host: string;
  role: AgentRole;
  endpoint: string;
  driver: string;
  registeredAt: number;
}

/** What the server last heard from an agent. */
export interface AgentLiveness {
  reachable: boolean;
  lastHeartbeat?: number | undefined;
  roleState?: RoleState | undefined;
  generation?: number | undefined;
  activeConns?: number | undefined;
  inactConns?: number | undefined;
  lastError?: string | undefined;
  since: number;
}

export class AgentRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async register(registration: AgentRegistration): Promise<{ changed: boolean }> {
    const previous = await this.get(registration.host);
    await this.redis.hset(this.keys.agents, registration.host, JSON.stringify(registration));
    return {
      changed:
        !previous ||
        previous.endpoint !== registration.endpoint ||
        previous.role !== registration.role ||
        previous.driver !== registration.driver,
    };
  }

  async get(host: string): Promise<AgentRegistration | undefined> {
    const raw = await this.redis.hget(this.keys.agents, host);
    return raw ? (JSON.parse(raw) as AgentRegistration) : undefined;
  }

  async list(): Promise<AgentRegistration[]> {
    const all = await this.redis.hgetall(this.keys.agents);
    return Object.values(all)
      .map((raw) => JSON.parse(raw) as AgentRegistration)
      .sort((a, b) => a.host.localeCompare(b.host));
  }

  async setLiveness(host: string, liveness: AgentLiveness): Promise<void> {
    await this.redis.hset(this.keys.agentStatus, host, JSON.stringify(liveness));
  }

  /**
   * The registry as the supervisor uses it: liveness written only while `fence` holds, so a replica
   * that lost the supervisor lease (even before it notices) overwrites no agent's liveness.
   */
  fencedBy(fence: WriteFence): Pick<AgentRegistry, "list" | "liveness" | "setLiveness"> {
    return {
      list: () => this.list(),
      liveness: (host) => this.liveness(host),
      setLiveness: async (host, liveness) => {
        await fence.fencedHset(this.keys.agentStatus, host, JSON.stringify(liveness));
      },
    };
  }

  async liveness(host: string): Promise<AgentLiveness | undefined> {
    const raw = await this.redis.hget(this.keys.agentStatus, host);
    return raw ? (JSON.parse(raw) as AgentLiveness) : undefined;
  }

  async allLiveness(): Promise<Record<string, AgentLiveness>> {
    const all = await this.redis.hgetall(this.keys.agentStatus);
    return Object.fromEntries(Object.entries(all).map(([host, raw]) => [host, JSON.parse(raw) as AgentLiveness]));
  }
}
