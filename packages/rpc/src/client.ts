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
  directorConfigToWire,
  eventFromWire,
  infoFromWire,
  operationFromWire,
  realServerConfigToWire,
  simulatedTrafficChangeToWire,
  simulatedTrafficFromWire,
  stateFromWire,
  tableFromWire,
  tableToWire,
} from "./convert.ts";
import { realServerHealthFromWire, specToJson } from "./convert-failover.ts";
import { AgentCallError, isServiceError } from "./errors.ts";
import { HealthClient } from "./health.ts";
import { publishRpcCall } from "./observe.ts";
import { agentService } from "./proto.ts";
import { currentRequestId, REQUEST_ID_HEADER } from "./request-id.ts";
import type {
  WireAgentInfo,
  WireAgentState,
  WireApplyResponse,
  WireEvent,
  WireSimulatedTraffic,
  WireStartRequest,
  WireStartResponse,
} from "./wire.ts";
import type { WireSetSimulatedHealthResponse } from "./wire-failover.ts";

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
}

/** Channel options shared by every agent connection: keepalives that notice a dead peer within seconds. */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.keepalive_time_ms": 10_000,
  "grpc.keepalive_timeout_ms": 5_000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.initial_reconnect_backoff_ms": 200,
  "grpc.max_reconnect_backoff_ms": 5_000,
};

/** The RPC names as the proto spells them, for error messages. */
const RPC_NAMES: Record<string, string> = {
  getInfo: "GetInfo",
  apply: "Apply",
  getState: "GetState",
  start: "Start",
  stop: "Stop",
  watchEvents: "WatchEvents",
  setSimulatedTraffic: "SetSimulatedTraffic",
  setSimulatedHealth: "SetSimulatedHealth",
  runAction: "RunAction",
};

/** grpc-js appends an empty "Resolution note:" to connection errors; drop it. */
function cleanDetails(details: string): string {
  return details.replace(/\.?\s*Resolution note:\s*$/, "").trim();
}

type Unary = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: unknown) => void,
) => void;

/** The agent API (agent-api.ts) over gRPC, for one agent. Every call carries a deadline. */
export class AgentClient implements AgentApi {
  readonly host: string;
  readonly endpoint: string;
  private readonly client: grpc.Client;
  private readonly health: HealthClient;
  private readonly deadlineMs: number;

  constructor(options: AgentClientOptions) {
    this.host = options.host;
    this.endpoint = options.endpoint;
    this.deadlineMs = options.deadlineMs ?? 5_000;
    const credentials = options.credentials ?? grpc.credentials.createInsecure();
    const Agent = agentService();
    this.client = new Agent(options.endpoint, credentials, { ...CHANNEL_OPTIONS, ...options.channelOptions });
    this.health = new HealthClient(options.endpoint, credentials, { channelOverride: this.client.getChannel() });
  }

  private call<T>(method: string, request: unknown, deadlineMs = this.deadlineMs): Promise<T> {
    const fn = (this.client as unknown as Record<string, Unary>)[method];
    if (!fn) throw new Error(`no such method ${method}`);
    const started = performance.now();
    const requestId = currentRequestId();
    const metadata = new grpc.Metadata();
    if (requestId !== undefined) metadata.set(REQUEST_ID_HEADER, requestId);
    return new Promise<T>((resolve, reject) => {
      const done = (error: grpc.ServiceError | null, response: unknown) => {
        const code = error
          ? isServiceError(error)
            ? (grpc.status[error.code] ?? String(error.code))
            : "UNKNOWN"
          : "OK";
        publishRpcCall({
          host: this.host,
          method: RPC_NAMES[method] ?? method,
          code,
          durationSeconds: (performance.now() - started) / 1_000,
        });
        if (error) reject(this.wrap(method, error));
        else resolve(response as T);
      };
      fn.call(this.client, request, metadata, { deadline: Date.now() + deadlineMs }, done);
    });
  }

  private wrap(method: string, error: unknown): Error {
    if (isServiceError(error))
      return new AgentCallError(
        this.host,
        this.endpoint,
        RPC_NAMES[method] ?? method,
        error.code,
        cleanDetails(error.details),
      );
    return error instanceof Error ? error : new Error(String(error));
  }

  async getInfo(deadlineMs?: number): Promise<AgentInfo> {
    return infoFromWire(await this.call<WireAgentInfo>("getInfo", {}, deadlineMs));
  }

  /** `spec` (health checks, quorum, sorry servers, slow start, VRRP) replaces the agent's; absent: unchanged. */
  async apply(request: ApplyRequest, deadlineMs?: number): Promise<ApplyResult> {
    const response = await this.call<WireApplyResponse>(
      "apply",
      {
        cluster: request.cluster,
        generation: request.generation,
        desired: tableToWire(request.desired),
        dryRun: request.dryRun ?? false,
        specJson: specToJson(request.spec),
      },
      deadlineMs,
    );
    return {
      operations: response.operations.map(operationFromWire),
      observed: tableFromWire(response.observed),
      generation: response.generation,
    };
  }

  async getState(deadlineMs?: number): Promise<AgentState> {
    return stateFromWire(await this.call<WireAgentState>("getState", {}, deadlineMs));
  }

  async start(cluster: string, config: RoleConfig, deadlineMs?: number): Promise<RoleChangeResult> {
    const request: WireStartRequest =
      config.kind === "director"
        ? { cluster, director: directorConfigToWire(config.director) }
        : { cluster, realServer: realServerConfigToWire(config.realServer) };
    const response = await this.call<WireStartResponse>("start", request, deadlineMs);
    return { changes: response.changes, state: stateFromWire(response.state) };
  }

  async stop(cluster: string, deadlineMs?: number): Promise<RoleChangeResult> {
    const response = await this.call<WireStartResponse>("stop", { cluster }, deadlineMs);
    return { changes: response.changes, state: stateFromWire(response.state) };
  }

  /**
   * Sim driver only: changes the simulated traffic (the load, connections held on real servers,
   * releasing them) and returns what it does now. `{}` only reads it. Other drivers refuse with
   * FAILED_PRECONDITION; bad values with INVALID_ARGUMENT.
   */
  async setSimulatedTraffic(change: SimulatedTrafficRequest, deadlineMs?: number): Promise<SimulatedTraffic> {
    return simulatedTrafficFromWire(
      await this.call<WireSimulatedTraffic>("setSimulatedTraffic", simulatedTrafficChangeToWire(change), deadlineMs),
    );
  }

  /**
   * Sim driver only: fails (healthy false) or restores a simulated real server's health checks; the
   * agent's checkers see it at their next round. Returns the real servers' health now. Other drivers
   * refuse with FAILED_PRECONDITION, an unknown real server with NOT_FOUND.
   */
  async setSimulatedHealth(change: SimulatedHealthChange, deadlineMs?: number): Promise<RealServerHealth[]> {
    const response = await this.call<WireSetSimulatedHealthResponse>(
      "setSimulatedHealth",
      { address: change.address, port: change.port, healthy: change.healthy, service: change.service ?? "" },
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
    const response = await this.call<{ exitCode: number; output: string; durationMs: number; timedOut: boolean }>(
      "runAction",
      { name },
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
    const stream = (
      this.client as unknown as {
        watchEvents(request: unknown, options: grpc.CallOptions): grpc.ClientReadableStream<WireEvent>;
      }
    ).watchEvents(
      { heartbeatIntervalMs: options.heartbeatIntervalMs },
      { deadline: options.deadlineMs === undefined ? Infinity : Date.now() + options.deadlineMs },
    );
    let ended = false;
    const end = (error: Error | undefined) => {
      if (ended) return;
      ended = true;
      onEnd(error);
    };
    stream.on("data", (event: WireEvent) => {
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
