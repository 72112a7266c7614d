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
  deadlines: CallDeadlines;
}

/** How long each kind of call to an agent may take. */
export interface CallDeadlines {
  /** Reads someone waits for (status, doctor, what-if, plan). */
  statusMs: number;
  /** Every other short call (a job's reads, a dry run); undefined: the agent client's own default. */
  callMs?: number | undefined;
  /**
   * Calls that change the table, which take as long as the table is big: Apply, Start and Stop
   * (LVSFLEET_APPLY_DEADLINE_MS). Undefined: DEFAULT_APPLY_DEADLINE_MS.
   */
  applyMs?: number | undefined;
  /** The longest an action may run (its own timeout is the agent's; this bounds the call). */
  actionMs: number;
}

/**
 * The deadline of an Apply, Start or Stop unless the server says otherwise: 15 minutes. Longer than
 * the agents' longest batch command (hostops BATCH_TIMEOUT_CAP_MS, 10 min), so that a stuck batch
 * fails with the agent's own reason rather than "Deadline exceeded".
 */
export const DEFAULT_APPLY_DEADLINE_MS = 15 * 60_000;

/** The kinds of call, by the deadline they get. */
export type CallKind = "status" | "call" | "dry-run" | "apply" | "start" | "stop" | "action";

/**
 * The deadline of one call: status reads the short status deadline; a job's reads and a dry run
 * (a plan's preview changes nothing) the call deadline; Apply, Start and Stop — they reconcile the
 * whole table, 10,000 services take minutes on a slow driver — the apply deadline; an action its own.
 * Undefined: the agent client's default (its pool's LVSFLEET_AGENT_DEADLINE_MS).
 */
export function callDeadlineMs(kind: CallKind, deadlines: CallDeadlines): number | undefined {
  switch (kind) {
    case "status":
      return deadlines.statusMs;
    case "call":
    case "dry-run":
      return deadlines.callMs;
    case "apply":
    case "start":
    case "stop":
      return deadlines.applyMs ?? DEFAULT_APPLY_DEADLINE_MS;
    case "action":
      return deadlines.actionMs;
  }
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
    return callDeadlineMs(options.deadline === "status" ? "status" : "call", this.parts.deadlines);
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
    return calls.apply(
      { ...request, cluster },
      callDeadlineMs(request.dryRun === true ? "dry-run" : "apply", this.parts.deadlines),
    );
  }

  async start(cluster: string, host: string, config: RoleConfig): Promise<RoleChangeResult> {
    return (await this.reach(cluster, host)).start(cluster, config, callDeadlineMs("start", this.parts.deadlines));
  }

  async stop(cluster: string, host: string): Promise<RoleChangeResult> {
    return (await this.reach(cluster, host)).stop(cluster, callDeadlineMs("stop", this.parts.deadlines));
  }

  async runAction(cluster: string, host: string, name: string): Promise<RunActionResult> {
    return (await this.reach(cluster, host)).runAction(name, callDeadlineMs("action", this.parts.deadlines));
  }

  watch(registration: AgentRegistration, options: WatchOptions, listener: EventListener): { cancel(): void } {
    return this.parts.dial(registration).watchEvents(
      options,
      (event) => listener.onEvent(event),
      (error) => listener.onEnd(error),
    );
  }
}
