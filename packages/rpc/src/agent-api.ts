import type {
  AgentEvent,
  AgentInfo,
  AgentState,
  DesiredState,
  HeldConnections,
  HostChange,
  IpvsTable,
  Operation,
  RealServerHealth,
  RoleConfig,
  SimulatedHealthChange,
  SimulatedLoad,
  SimulatedTraffic,
} from "@lvsfleet/model";

/**
 * The API an agent offers, in the model's terms: the lvsfleet.v1.Agent service of
 * proto/lvsfleet/v1/agent.proto without the wire. Implemented over gRPC by `AgentClient`
 * (client.ts) and in process by the agent runtime's `HostAgent`; `serveAgent` (server.ts) serves
 * any implementation. Every method takes an optional deadline, which remote calls honour and an
 * in-process agent may ignore. Refusals are `RpcError`s (in process) or `AgentCallError`s (over
 * gRPC) carrying the gRPC status: FAILED_PRECONDITION for what this agent cannot do, NOT_FOUND
 * for what it does not know, INVALID_ARGUMENT for a malformed request.
 */
export interface AgentApi {
  /** Who the agent is: host name, role, driver, version. */
  getInfo(deadlineMs?: number): Promise<AgentInfo>;
  /**
   * Directors: reconcile the IPVS table with the desired one. A request with an older generation
   * than the agent holds changes nothing; a stopped director keeps no table.
   */
  apply(request: ApplyRequest, deadlineMs?: number): Promise<ApplyResult>;
  /** What the host really has now: role state, table, addresses, routes, sysctls, problems, health. */
  getState(deadlineMs?: number): Promise<AgentState>;
  /** Take up the host's role (lvsdr/realdr start). Idempotent. */
  start(cluster: string, config: RoleConfig, deadlineMs?: number): Promise<RoleChangeResult>;
  /** Give up the role, removing exactly what Start added. Idempotent. */
  stop(cluster: string, deadlineMs?: number): Promise<RoleChangeResult>;
  /**
   * The agent's events (a heartbeat at once, then at the period asked for; state and health
   * changes) until the watch ends — cancel(), the deadline, an error — and then `onEnd` once:
   * with the error, or undefined when it ended cleanly.
   */
  watchEvents(
    options: WatchEventsOptions,
    onEvent: (event: AgentEvent) => void,
    onEnd: (error: Error | undefined) => void,
  ): EventWatch;
  /** Sim driver only: changes the simulated client traffic and returns what it does now (`{}` only reads it). */
  setSimulatedTraffic(change: SimulatedTrafficRequest, deadlineMs?: number): Promise<SimulatedTraffic>;
  /** Sim driver only: fails or restores a simulated real server's health checks. */
  setSimulatedHealth(change: SimulatedHealthChange, deadlineMs?: number): Promise<RealServerHealth[]>;
  /** Real-server agents with an allowlist (--actions-file): runs one action by name. */
  runAction(name: string, deadlineMs?: number): Promise<RunActionResult>;
}

/**
 * The desired state of a director (Apply), given once: `spec` (the table is the spec's, and health
 * checks, VRRP and scripts follow it) or a bare `desired` table (the director keeps the spec it holds).
 */
export type ApplyRequest = {
  cluster: string;
  /** The desired-state generation; echoed back and in heartbeats. */
  generation: number;
  /** Plan only: report the operations without executing them. */
  dryRun?: boolean | undefined;
} & DesiredState;

export interface ApplyResult {
  operations: Operation[];
  observed: IpvsTable;
  /** The generation the agent holds after the call (may be newer than the request's). */
  generation: number;
}

export interface RoleChangeResult {
  changes: HostChange[];
  state: AgentState;
}

/** What an allowlisted action did (RunAction). */
export interface RunActionResult {
  /** -1 when the command was killed (timed out, or a signal). */
  exitCode: number;
  /** The end of its output, at most 4 KiB. */
  output: string;
  durationMs: number;
  timedOut: boolean;
}

export interface WatchEventsOptions {
  /** Heartbeat period wanted; the agent clamps it to [200 ms, 60 s]. */
  heartbeatIntervalMs: number;
  /** The watch's own deadline (watchers re-open it when it passes); absent: none. */
  deadlineMs?: number | undefined;
}

export interface EventWatch {
  cancel(): void;
}

/** What a caller gives: the rate, and optionally the lifetime and client pool (the agent's defaults otherwise). */
export type SimulatedLoadInput = Pick<SimulatedLoad, "connectionsPerSecond"> & Partial<SimulatedLoad>;

/** Connections to hold: the lifetime is optional (0, the default, holds them until released). */
export type HeldConnectionsInput = Omit<HeldConnections, "lifetimeSeconds"> & { lifetimeSeconds?: number | undefined };

/** A change to the simulated traffic as a caller gives it; the agent validates it with SimulatedTrafficChange. */
export interface SimulatedTrafficRequest {
  load?: SimulatedLoadInput | undefined;
  hold?: HeldConnectionsInput[] | undefined;
  releaseHeld?: boolean | undefined;
}
