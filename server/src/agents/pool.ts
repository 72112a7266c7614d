import { AgentClient } from "@lvsfleet/rpc";
import type { AgentRegistration, AgentRegistry } from "../store/agents.ts";

/** Raised when a command needs an agent that never announced itself. */
export class AgentNotRegisteredError extends Error {
  override name = "AgentNotRegisteredError";
  constructor(readonly host: string) {
    super(
      `agent ${host} is not registered: start lvsfleet's agent on ${host} with --server pointing here, or PUT /v1/agents/${host}`,
    );
  }
}

/** One gRPC client per agent, re-created when the agent's endpoint changes. */
export class AgentPool {
  private readonly clients = new Map<string, AgentClient>();

  constructor(
    private readonly registry: AgentRegistry,
    private readonly deadlineMs: number,
  ) {}

  clientFor(registration: AgentRegistration): AgentClient {
    const existing = this.clients.get(registration.host);
    if (existing && existing.endpoint === registration.endpoint) return existing;
    existing?.close();
    const client = new AgentClient({
      host: registration.host,
      endpoint: registration.endpoint,
      deadlineMs: this.deadlineMs,
    });
    this.clients.set(registration.host, client);
    return client;
  }

  async client(host: string): Promise<AgentClient> {
    const registration = await this.registry.get(host);
    if (!registration) throw new AgentNotRegisteredError(host);
    return this.clientFor(registration);
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
