import type { AgentEvent, AgentState, DesiredState, RoleConfig } from "@lvsfleet/model";
import type { AgentApi, ApplyResult, RoleChangeResult, RunActionResult } from "@lvsfleet/rpc";
import type { AgentRegistration } from "../store/agents.ts";
import { HostNotOwnedError, HostOwnedError } from "../store/host-owners.ts";
import { AgentNotRegisteredError } from "./pool.ts";

/**
 * The one way the server talks to its agents. Every call is made for a cluster and reaches only
 * the hosts that cluster owns (HostOwnedError: another cluster owns it; HostNotOwnedError: nobody
 * does yet), never a host that is not registered (AgentNotRegisteredError) or is revoked
 * (AgentRefusedError); every call has a deadline. Implemented over gRPC (GrpcFleet) and, for
 * tests, by in-process agents (server/test/support/fake-fleet.ts).
 */
export interface Fleet {
  /** A host's state now. */
  state(cluster: string, host: string, options?: ReadOptions): Promise<AgentState>;
  /**
   * The state of each of `hosts`, asked concurrently: each answer, or why there is none (the first
   * of: owned elsewhere, not registered, owned by nobody, refused, the call failed). Never throws
   * for one host.
   */
  states(cluster: string, hosts: readonly string[], options?: ReadOptions): Promise<HostReading[]>;
  /** Brings a director to the desired table (dryRun: only says what it would do). */
  apply(cluster: string, host: string, request: ApplyRequest, options?: Reach): Promise<ApplyResult>;
  /** lvsdr/realdr start. */
  start(cluster: string, host: string, config: RoleConfig): Promise<RoleChangeResult>;
  /** lvsdr/realdr stop. */
  stop(cluster: string, host: string): Promise<RoleChangeResult>;
  /** An action from a real-server agent's own allowlist, by name. */
  runAction(cluster: string, host: string, name: string): Promise<RunActionResult>;
  /**
   * The events of a registered agent until the stream ends (error, deadline, or cancel). Not for
   * one cluster: the supervisor watches every agent. Throws AgentRefusedError when it is revoked.
   */
  watch(registration: AgentRegistration, options: WatchOptions, listener: EventListener): { cancel(): void };
}

/**
 * The desired state, once: the spec (the director derives its table from it, and its health checks
 * and VRRP follow it) or a bare table (a plan's dry run; the director keeps the spec it has).
 */
export type ApplyRequest = {
  generation: number;
  dryRun?: boolean | undefined;
} & DesiredState;

export interface Reach {
  /**
   * Hosts to reach whoever owns them (or nobody): those a PUT of this cluster would claim or move,
   * for a plan's preview. Whether the caller may is the caller's to decide before.
   */
  claiming?: ReadonlySet<string> | undefined;
}

export interface ReadOptions extends Reach {
  /**
   * "status": someone is waiting for the answer (the short status deadline); "call" (default):
   * the agent call deadline, for jobs.
   */
  deadline?: "status" | "call" | undefined;
}

export interface WatchOptions {
  heartbeatIntervalMs: number;
  /** The stream's own deadline: watchers re-open it when it expires. */
  deadlineMs: number;
}

export interface EventListener {
  onEvent(event: AgentEvent): void;
  onEnd(error: Error | undefined): void;
}

/** One host's state, or why there is none. */
export type HostReading =
  | { host: string; ok: true; state: AgentState; registration: AgentRegistration }
  | { host: string; ok: false; reason: "owned-elsewhere"; owner: string; error: string }
  | { host: string; ok: false; reason: "not-registered" | "not-owned"; error: string }
  | {
      host: string;
      ok: false;
      /** refused: revoked; unreachable: the call failed (deadline, connection, the agent's error). */
      reason: "refused" | "unreachable";
      registration: AgentRegistration;
      error: string;
    };

/** The calls the server makes to one agent (AgentClient over gRPC; a HostAgent in process for tests). */
export type AgentCalls = Pick<AgentApi, "getState" | "apply" | "start" | "stop" | "runAction" | "watchEvents">;

/** Where the fleet finds who owns a host, how to reach it, and how to call it. */
export interface FleetParts {
  owners: { ownersOf(hosts: readonly string[]): Promise<Map<string, string>> };
  registry: { get(host: string): Promise<AgentRegistration | undefined> };
  /** The calls to a registered agent; throws AgentRefusedError when the host may not be called (revoked). */
  dial(registration: AgentRegistration): AgentCalls;
  deadlines: {
    /** Reads someone waits for (status, doctor, what-if, plan). */
    statusMs: number;
    /** Every other call; undefined: the agent client's own default. */
    callMs?: number | undefined;
    /** The longest an action may run (its own timeout is the agent's; this bounds the call). */
    actionMs: number;
  };
}

/** The fleet over any way of calling agents: ownership, registration and revocation are checked here, once. */
export class AgentFleet implements Fleet {
  constructor(private readonly parts: FleetParts) {}

  /** The calls to `host` for `cluster`, after the ownership and registration checks. */
  private async reach(cluster: string, host: string, reach: Reach = {}): Promise<AgentCalls> {
    const owner = (await this.parts.owners.ownersOf([host])).get(host);
    if (owner !== cluster && !reach.claiming?.has(host)) {
      if (owner === undefined) throw new HostNotOwnedError(host, cluster);
      throw new HostOwnedError(host, owner, "host");
    }
    const registration = await this.parts.registry.get(host);
    if (!registration) throw new AgentNotRegisteredError(host);
    return this.parts.dial(registration);
  }

  private readMs(options: ReadOptions): number | undefined {
    return options.deadline === "status" ? this.parts.deadlines.statusMs : this.parts.deadlines.callMs;
  }

  async state(cluster: string, host: string, options: ReadOptions = {}): Promise<AgentState> {
    return (await this.reach(cluster, host, options)).getState(this.readMs(options));
  }

  async states(cluster: string, hosts: readonly string[], options: ReadOptions = {}): Promise<HostReading[]> {
    const owners = await this.parts.owners.ownersOf(hosts);
    return Promise.all(
      hosts.map(async (host): Promise<HostReading> => {
        const owner = owners.get(host);
        const claimed = options.claiming?.has(host) === true;
        if (owner !== undefined && owner !== cluster && !claimed)
          return {
            host,
            ok: false,
            reason: "owned-elsewhere",
            owner,
            error: new HostOwnedError(host, owner, "host").message,
          };
        const registration = await this.parts.registry.get(host);
        if (!registration)
          return { host, ok: false, reason: "not-registered", error: new AgentNotRegisteredError(host).message };
        if (owner === undefined && !claimed)
          return { host, ok: false, reason: "not-owned", error: new HostNotOwnedError(host, cluster).message };
        let calls: AgentCalls;
        try {
          calls = this.parts.dial(registration);
        } catch (error) {
          return { host, ok: false, reason: "refused", registration, error: (error as Error).message };
        }
        try {
          return { host, ok: true, state: await calls.getState(this.readMs(options)), registration };
        } catch (error) {
          return { host, ok: false, reason: "unreachable", registration, error: (error as Error).message };
        }
      }),
    );
  }

  async apply(cluster: string, host: string, request: ApplyRequest, options: Reach = {}): Promise<ApplyResult> {
    // reaching a host the cluster does not own is for a preview only: a real change never goes there
    if (options.claiming && request.dryRun !== true)
      throw new Error(`only a dry run may reach hosts ${cluster} does not own yet (apply to ${host})`);
    const calls = await this.reach(cluster, host, options);
    return calls.apply({ ...request, cluster }, this.parts.deadlines.callMs);
  }

  async start(cluster: string, host: string, config: RoleConfig): Promise<RoleChangeResult> {
    return (await this.reach(cluster, host)).start(cluster, config, this.parts.deadlines.callMs);
  }

  async stop(cluster: string, host: string): Promise<RoleChangeResult> {
    return (await this.reach(cluster, host)).stop(cluster, this.parts.deadlines.callMs);
  }

  async runAction(cluster: string, host: string, name: string): Promise<RunActionResult> {
    return (await this.reach(cluster, host)).runAction(name, this.parts.deadlines.actionMs);
  }

  watch(registration: AgentRegistration, options: WatchOptions, listener: EventListener): { cancel(): void } {
    return this.parts.dial(registration).watchEvents(
      options,
      (event) => listener.onEvent(event),
      (error) => listener.onEnd(error),
    );
  }
}
