import * as grpc from "@grpc/grpc-js";
import type {
  AgentEvent,
  AgentInfo,
  AgentState,
  RealServerHealth,
  RoleConfig,
  SimulatedHealthChange,
  SimulatedTraffic,
} from "@lvsfleet/model";
import type {
  AgentApi,
  ApplyRequest,
  ApplyResult,
  EventWatch,
  RoleChangeResult,
  RunActionResult,
  SimulatedTrafficRequest,
  WatchEventsOptions,
} from "./agent-api.ts";
import {
  desiredStateToWire,
  directorConfigToWire,
  eventFromWire,
  infoFromWire,
  operationFromWire,
  realServerConfigToWire,
  simulatedTrafficChangeToWire,
  simulatedTrafficFromWire,
  stateFromWire,
  tableFromWire,
} from "./convert.ts";
import { realServerHealthFromWire } from "./convert-failover.ts";
import { AgentCallError, isServiceError } from "./errors.ts";
import type { AgentClient as AgentStub } from "./generated/lvsfleet/v1/Agent.ts";
import type { AgentInfo__Output as WireAgentInfo__Output } from "./generated/lvsfleet/v1/AgentInfo.ts";
import type { AgentState__Output as WireAgentState__Output } from "./generated/lvsfleet/v1/AgentState.ts";
import type { ApplyResponse__Output as WireApplyResponse__Output } from "./generated/lvsfleet/v1/ApplyResponse.ts";
import type { Event__Output as WireEvent__Output } from "./generated/lvsfleet/v1/Event.ts";
import type { RunActionResponse__Output as WireRunActionResponse__Output } from "./generated/lvsfleet/v1/RunActionResponse.ts";
import type { SetSimulatedHealthResponse__Output as WireSetSimulatedHealthResponse__Output } from "./generated/lvsfleet/v1/SetSimulatedHealthResponse.ts";
import type { StartRequest as WireStartRequest } from "./generated/lvsfleet/v1/StartRequest.ts";
import type { StartResponse__Output as WireStartResponse__Output } from "./generated/lvsfleet/v1/StartResponse.ts";
import type { StopResponse__Output as WireStopResponse__Output } from "./generated/lvsfleet/v1/StopResponse.ts";
import { HealthClient } from "./health.ts";
import { messageSizeOptions } from "./message-size.ts";
import { publishRpcCall } from "./observe.ts";
import { agentService } from "./proto.ts";
import { currentRequestId, REQUEST_ID_HEADER } from "./request-id.ts";

export interface AgentClientOptions {
  /** Host name, for error messages. */
  host: string;
  /** `127.0.0.1:7101` */
  endpoint: string;
  credentials?: grpc.ChannelCredentials;
  /** Extra channel options, merged over CHANNEL_OPTIONS (e.g. agentChannelOptions(host) for TLS). */
  channelOptions?: grpc.ChannelOptions;
  /** Deadline for unary calls unless a call says otherwise (default 5 s). */
  deadlineMs?: number;
  /** The largest message sent or received (default DEFAULT_MAX_MESSAGE_BYTES, 64 MiB). */
  maxMessageBytes?: number;
}

/**
 * Channel options shared by every agent connection. A keepalive ping every 10 s; its answer may wait
 * 5 minutes before the connection is dropped: an agent busy with a big table is not dead — a sim
 * director held its event loop for 42 s applying 10,000 services × 10 on a loaded 2-core machine
 * (bench/bigspec). The former 5 s wait dropped the in-flight Apply ("Connection dropped") and the job
 * started it all over again; with 60 s, a one-weight-change Apply at that size did not complete in
 * 5 minutes, with 5 minutes it did (test/e2e/big-spec.test.ts; docs/benchmarks.md). A dead agent is
 * noticed by the supervisor's heartbeats within seconds; only a call in flight to it waits that long
 * (reads have their own short deadlines).
 */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.keepalive_time_ms": 10_000,
  "grpc.keepalive_timeout_ms": 300_000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.initial_reconnect_backoff_ms": 200,
  "grpc.max_reconnect_backoff_ms": 5_000,
};

/** grpc-js appends an empty "Resolution note:" to connection errors; drop it. */
function cleanDetails(details: string): string {
  return details.replace(/\.?\s*Resolution note:\s*$/, "").trim();
}

/** One unary call on the generated client: the request and the callback are bound by the caller. */
type Invoke<T> = (
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<T>,
) => grpc.ClientUnaryCall;

/** The agent API (agent-api.ts) over gRPC, for one agent. Every call carries a deadline. */
export class AgentClient implements AgentApi {
  readonly host: string;
  readonly endpoint: string;
  private readonly client: AgentStub;
  private readonly health: HealthClient;
  private readonly deadlineMs: number;

  constructor(options: AgentClientOptions) {
    this.host = options.host;
    this.endpoint = options.endpoint;
    this.deadlineMs = options.deadlineMs ?? 5_000;
    const credentials = options.credentials ?? grpc.credentials.createInsecure();
    const Agent = agentService();
    this.client = new Agent(options.endpoint, credentials, {
      ...CHANNEL_OPTIONS,
      ...messageSizeOptions(options.maxMessageBytes),
      ...options.channelOptions,
    });
    this.health = new HealthClient(options.endpoint, credentials, { channelOverride: this.client.getChannel() });
  }

  /** `method`: the RPC's name as the proto spells it (metrics, error messages). */
  private call<T>(method: string, invoke: Invoke<T>, deadlineMs = this.deadlineMs): Promise<T> {
    const started = performance.now();
    const requestId = currentRequestId();
    const metadata = new grpc.Metadata();
    if (requestId !== undefined) metadata.set(REQUEST_ID_HEADER, requestId);
    return new Promise<T>((resolve, reject) => {
      invoke(metadata, { deadline: Date.now() + deadlineMs }, (error, response) => {
        const code = error
          ? isServiceError(error)
            ? (grpc.status[error.code] ?? String(error.code))
            : "UNKNOWN"
          : "OK";
        publishRpcCall({ host: this.host, method, code, durationSeconds: (performance.now() - started) / 1_000 });
        if (error) reject(this.wrap(method, error));
        else if (response === undefined) reject(new Error(`${method}: no response`));
        else resolve(response);
      });
    });
  }

  private wrap(method: string, error: unknown): Error {
    if (isServiceError(error))
      return new AgentCallError(this.host, this.endpoint, method, error.code, cleanDetails(error.details));
    return error instanceof Error ? error : new Error(String(error));
  }

  async getInfo(deadlineMs?: number): Promise<AgentInfo> {
    return infoFromWire(
      await this.call<WireAgentInfo__Output>("GetInfo", (...args) => this.client.getInfo({}, ...args), deadlineMs),
    );
  }

  /** `spec` (health checks, quorum, sorry servers, slow start, VRRP) replaces the agent's; absent: unchanged. */
  async apply(request: ApplyRequest, deadlineMs?: number): Promise<ApplyResult> {
    const wire = {
      cluster: request.cluster,
      generation: request.generation,
      ...desiredStateToWire(request),
      dryRun: request.dryRun ?? false,
    };
    const response = await this.call<WireApplyResponse__Output>(
      "Apply",
      (...args) => this.client.apply(wire, ...args),
      deadlineMs,
    );
    return {
      operations: response.operations.map(operationFromWire),
      observed: tableFromWire(response.observed),
      generation: response.generation,
    };
  }

  async getState(deadlineMs?: number): Promise<AgentState> {
    return stateFromWire(
      await this.call<WireAgentState__Output>("GetState", (...args) => this.client.getState({}, ...args), deadlineMs),
    );
  }

  async start(cluster: string, config: RoleConfig, deadlineMs?: number): Promise<RoleChangeResult> {
    const request: WireStartRequest =
      config.kind === "director"
        ? { cluster, director: directorConfigToWire(config.director) }
        : { cluster, realServer: realServerConfigToWire(config.realServer) };
    const response = await this.call<WireStartResponse__Output>(
      "Start",
      (...args) => this.client.start(request, ...args),
      deadlineMs,
    );
    return { changes: response.changes, state: stateFromWire(response.state) };
  }

  async stop(cluster: string, deadlineMs?: number): Promise<RoleChangeResult> {
    const response = await this.call<WireStopResponse__Output>(
      "Stop",
      (...args) => this.client.stop({ cluster }, ...args),
      deadlineMs,
    );
    return { changes: response.changes, state: stateFromWire(response.state) };
  }

  /**
   * Sim driver only: changes the simulated traffic (the load, connections held on real servers,
   * releasing them) and returns what it does now. `{}` only reads it. Other drivers refuse with
   * FAILED_PRECONDITION; bad values with INVALID_ARGUMENT.
   */
  async setSimulatedTraffic(change: SimulatedTrafficRequest, deadlineMs?: number): Promise<SimulatedTraffic> {
    const request = simulatedTrafficChangeToWire(change);
    return simulatedTrafficFromWire(
      await this.call(
        "SetSimulatedTraffic",
        (...args) => this.client.setSimulatedTraffic(request, ...args),
        deadlineMs,
      ),
    );
  }

  /**
   * Sim driver only: fails (healthy false) or restores a simulated real server's health checks; the
   * agent's checkers see it at their next round. Returns the real servers' health now. Other drivers
   * refuse with FAILED_PRECONDITION, an unknown real server with NOT_FOUND.
   */
  async setSimulatedHealth(change: SimulatedHealthChange, deadlineMs?: number): Promise<RealServerHealth[]> {
    const request = {
      address: change.address,
      port: change.port,
      healthy: change.healthy,
      service: change.service ?? "",
    };
    const response = await this.call<WireSetSimulatedHealthResponse__Output>(
      "SetSimulatedHealth",
      (...args) => this.client.setSimulatedHealth(request, ...args),
      deadlineMs,
    );
    return response.realServers.map(realServerHealthFromWire);
  }

  /**
   * Real-server agents: runs an action from the agent's own allowlist (its --actions-file) and
   * returns its exit status and the end of its output. The deadline should exceed the action's
   * own timeout. NOT_FOUND for an unknown action, FAILED_PRECONDITION when the agent has none.
   */
  async runAction(name: string, deadlineMs?: number): Promise<RunActionResult> {
    const response = await this.call<WireRunActionResponse__Output>(
      "RunAction",
      (...args) => this.client.runAction({ name }, ...args),
      deadlineMs,
    );
    return {
      exitCode: response.exitCode,
      output: response.output,
      durationMs: response.durationMs,
      timedOut: response.timedOut,
    };
  }

  /** grpc.health.v1 Check: SERVING, NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN. */
  checkHealth(service = "", deadlineMs?: number): Promise<string> {
    return this.health.check(service, deadlineMs ?? this.deadlineMs).catch((error) => {
      throw this.wrap("Health.Check", error);
    });
  }

  /**
   * Streams the agent's events until the stream ends (error, deadline, or cancel()).
   * The stream has a deadline too: watchers re-open it when it expires.
   */
  watchEvents(
    options: WatchEventsOptions,
    onEvent: (event: AgentEvent) => void,
    onEnd: (error: Error | undefined) => void,
  ): EventWatch {
    const stream = this.client.watchEvents(
      { heartbeatIntervalMs: options.heartbeatIntervalMs },
      { deadline: options.deadlineMs === undefined ? Infinity : Date.now() + options.deadlineMs },
    );
    let ended = false;
    const end = (error: Error | undefined) => {
      if (ended) return;
      ended = true;
      onEnd(error);
    };
    stream.on("data", (event: WireEvent__Output) => {
      try {
        onEvent(eventFromWire(event));
      } catch (error) {
        end(error instanceof Error ? error : new Error(String(error)));
        stream.cancel();
      }
    });
    stream.on("error", (error) => {
      const cancelled = isServiceError(error) && error.code === grpc.status.CANCELLED;
      end(cancelled ? undefined : this.wrap("WatchEvents", error));
    });
    stream.on("end", () => end(undefined));
    return { cancel: () => stream.cancel() };
  }

  close(): void {
    this.client.close();
  }
}
