import { AgentClient } from "@lvsfleet/rpc";
import type { AgentChannel } from "../pki/trust.ts";
import type { AgentRegistration } from "../store/agents.ts";

/** Raised when a command needs an agent that never announced itself. */
export class AgentNotRegisteredError extends Error {
  override name = "AgentNotRegisteredError";
  constructor(readonly host: string) {
    super(
      `agent ${host} is not registered: enroll lvsfleet's agent on ${host} (POST /v1/pki/join-tokens) and start it with --server pointing here`,
    );
  }
}

/** The host may not be called: it is revoked. */
export class AgentRefusedError extends Error {
  override name = "AgentRefusedError";
  constructor(
    readonly host: string,
    reason: string,
  ) {
    super(`agent ${host} is not called: ${reason}`);
  }
}

/**
 * One gRPC client per agent, re-created when the agent's endpoint changes. `channelFor` decides how
 * to dial (mutual TLS expecting that host's certificate, or plaintext when explicitly insecure).
 * The server calls agents through GrpcFleet, which checks ownership and registration first.
 */
export class AgentPool {
  private readonly clients = new Map<string, AgentClient>();

  constructor(
    private readonly deadlineMs: number,
    private readonly channelFor: (registration: AgentRegistration) => AgentChannel,
    /** Why a host may not be called now (revoked), or undefined. */
    private readonly refused: (host: string) => string | undefined = () => undefined,
    /** The largest gRPC message sent or received (LVSFLEET_GRPC_MAX_MESSAGE_BYTES); undefined: the rpc default. */
    private readonly maxMessageBytes?: number | undefined,
  ) {}

  /** The client of an agent; throws AgentRefusedError when the host may not be called (revoked). */
  clientFor(registration: AgentRegistration): AgentClient {
    const refused = this.refused(registration.host);
    if (refused) {
      this.drop(registration.host);
      throw new AgentRefusedError(registration.host, refused);
    }
    const existing = this.clients.get(registration.host);
    if (existing && existing.endpoint === registration.endpoint) return existing;
    existing?.close();
    const channel = this.channelFor(registration);
    const client = new AgentClient({
      host: registration.host,
      endpoint: registration.endpoint,
      deadlineMs: this.deadlineMs,
      ...(this.maxMessageBytes === undefined ? {} : { maxMessageBytes: this.maxMessageBytes }),
      credentials: channel.credentials,
      ...(channel.channelOptions ? { channelOptions: channel.channelOptions } : {}),
    });
    this.clients.set(registration.host, client);
    return client;
  }

  /** Closes the client of a host (e.g. revoked): its open connections end now. Case-insensitive, as DNS names. */
  drop(host: string): void {
    for (const [name, client] of this.clients)
      if (name.toLowerCase() === host.toLowerCase()) {
        client.close();
        this.clients.delete(name);
      }
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
