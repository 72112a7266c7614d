import * as grpc from "@grpc/grpc-js";
import {
  type AgentEvent,
  type AgentInfo,
  type AgentState,
  type ClusterSpec,
  type IpvsTable,
  type RealServerHealth,
  type RoleConfig,
  SCRIPT_NAME,
  SimulatedHealthChange,
  type SimulatedTraffic,
  SimulatedTrafficChange,
  ValidationError,
  validate,
} from "@lvsfleet/model";
import { HealthImplementation } from "grpc-health-check";
import { applyRequestFromWire, startRequestFromWire, stopRequestFromWire } from "./agent-input.ts";
import type { ApplyResult, RoleChangeResult } from "./client.ts";
import {
  changesToWire,
  eventToWire,
  infoToWire,
  operationToWire,
  simulatedTrafficChangeFromWire,
  simulatedTrafficToWire,
  stateToWire,
  tableToWire,
} from "./convert.ts";
import { realServerHealthToWire } from "./convert-failover.ts";
import { RpcError } from "./errors.ts";
import { agentService } from "./proto.ts";
import { acceptRequestId, REQUEST_ID_HEADER, withRequestId } from "./request-id.ts";
import type {
  WireApplyRequest,
  WireSetSimulatedTrafficRequest,
  WireStartRequest,
  WireStopRequest,
  WireWatchEventsRequest,
} from "./wire.ts";
import type { WireSetSimulatedHealthRequest } from "./wire-failover.ts";

/** What an agent implements; the rpc layer only translates messages and errors. */
export interface AgentHandlers {
  info(): AgentInfo;
  /** `spec`: the cluster spec for health checks and VRRP, when the caller sent one (absent: keep the current). */
  apply(request: {
    cluster: string;
    generation: number;
    desired: IpvsTable;
    dryRun: boolean;
    spec?: ClusterSpec | undefined;
  }): Promise<ApplyResult>;
  state(): Promise<AgentState>;
  start(cluster: string, config: RoleConfig): Promise<RoleChangeResult>;
  stop(cluster: string): Promise<RoleChangeResult>;
  /** Calls emit for every event until signal aborts. */
  watch(heartbeatIntervalMs: number, emit: (event: AgentEvent) => void, signal: AbortSignal): void;
  /** Sim driver only: changes the simulated traffic. Absent: the call answers FAILED_PRECONDITION. */
  setSimulatedTraffic?(change: SimulatedTrafficChange): Promise<SimulatedTraffic>;
  /** Sim driver only: fails or restores a simulated real server's health. Absent: FAILED_PRECONDITION. */
  setSimulatedHealth?(change: SimulatedHealthChange): Promise<RealServerHealth[]>;
  /** Real-server agents with an action allowlist: runs one action by name. Absent: FAILED_PRECONDITION. */
  runAction?(name: string): Promise<RunActionResult>;
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

/** Action names: what an allowlist may define and what RunAction accepts (the same rule as script names). */
export const ACTION_NAME = SCRIPT_NAME;

/** A bad spec_json (or another message part that does not validate) is the caller's mistake: INVALID_ARGUMENT. */
function parsed<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ValidationError || error instanceof SyntaxError)
      throw new RpcError(grpc.status.INVALID_ARGUMENT, `${what}: ${error.message}`);
    throw error;
  }
}

export interface ServeOptions {
  /** `127.0.0.1:7101`; port 0 picks a free one. */
  listen: string;
  credentials?: grpc.ServerCredentials;
}

export interface RunningAgentServer {
  port: number;
  health: HealthImplementation;
  close(): Promise<void>;
}

/** The fully qualified service name, as health checks name it. */
export const AGENT_SERVICE_NAME = "lvsfleet.v1.Agent";

/** Half of a surrogate pair on its own (a message cut in the middle of an emoji, say). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * grpc-js percent-encodes the details with encodeURI, which throws on a lone surrogate: the call
 * would never be answered and the error would escape. Such halves become U+FFFD.
 */
function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, "\uFFFD");
}

function toStatus(error: unknown): Partial<grpc.StatusObject> {
  if (error instanceof RpcError) return { code: error.code, details: wellFormed(error.message) };
  return { code: grpc.status.INTERNAL, details: wellFormed(error instanceof Error ? error.message : String(error)) };
}

function unary<Req, Res>(handler: (request: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    // The caller's request id (if any) is current while the handler runs: agents log it.
    const given = call.metadata.get(REQUEST_ID_HEADER)[0];
    const requestId = typeof given === "string" ? acceptRequestId(given) : undefined;
    withRequestId(requestId, () => handler(call.request)).then(
      (response) => callback(null, response),
      (error) => callback(toStatus(error)),
    );
  };
}

/** Serves lvsfleet.v1.Agent and grpc.health.v1.Health. */
export async function serveAgent(handlers: AgentHandlers, options: ServeOptions): Promise<RunningAgentServer> {
  const server = new grpc.Server({
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 5_000,
  });
  server.addService(agentService().service, {
    getInfo: unary(async () => infoToWire(handlers.info())),
    apply: unary(async (request: WireApplyRequest) => {
      const result = await handlers.apply(applyRequestFromWire(request));
      return {
        operations: result.operations.map(operationToWire),
        observed: tableToWire(result.observed),
        generation: result.generation,
      };
    }),
    getState: unary(async () => stateToWire(await handlers.state())),
    start: unary(async (request: WireStartRequest) => {
      const { cluster, config } = startRequestFromWire(request);
      const result = await handlers.start(cluster, config);
      return { changes: changesToWire(result.changes), state: stateToWire(result.state) };
    }),
    stop: unary(async (request: WireStopRequest) => {
      const result = await handlers.stop(stopRequestFromWire(request).cluster);
      return { changes: changesToWire(result.changes), state: stateToWire(result.state) };
    }),
    setSimulatedTraffic: unary(async (request: WireSetSimulatedTrafficRequest) => {
      if (!handlers.setSimulatedTraffic)
        throw new RpcError(grpc.status.FAILED_PRECONDITION, "this agent has no simulated traffic (sim driver only)");
      let change: SimulatedTrafficChange;
      try {
        change = validate(SimulatedTrafficChange, simulatedTrafficChangeFromWire(request));
      } catch (error) {
        if (error instanceof ValidationError) throw new RpcError(grpc.status.INVALID_ARGUMENT, error.message);
        throw error;
      }
      return simulatedTrafficToWire(await handlers.setSimulatedTraffic(change));
    }),
    setSimulatedHealth: unary(async (request: WireSetSimulatedHealthRequest) => {
      if (!handlers.setSimulatedHealth)
        throw new RpcError(grpc.status.FAILED_PRECONDITION, "this agent has no simulated health (sim driver only)");
      const change = parsed("health change", () =>
        validate(SimulatedHealthChange, {
          address: request.address,
          port: request.port,
          healthy: request.healthy,
          ...(request.service ? { service: request.service } : {}),
        }),
      );
      return { realServers: (await handlers.setSimulatedHealth(change)).map(realServerHealthToWire) };
    }),
    runAction: unary(async (request: { name?: string }) => {
      if (!handlers.runAction)
        throw new RpcError(
          grpc.status.FAILED_PRECONDITION,
          "this agent has no actions (start the real-server agent with --actions-file)",
        );
      const name = request.name ?? "";
      if (!ACTION_NAME.test(name))
        throw new RpcError(
          grpc.status.INVALID_ARGUMENT,
          `name: ${JSON.stringify(name.slice(0, 80))} is not an action name (lowercase letters, digits, - and _)`,
        );
      const result = await handlers.runAction(name);
      return {
        exitCode: result.exitCode,
        output: result.output,
        durationMs: Math.round(result.durationMs),
        timedOut: result.timedOut,
      };
    }),
    watchEvents: (call: grpc.ServerWritableStream<WireWatchEventsRequest, unknown>) => {
      const controller = new AbortController();
      const stop = () => controller.abort();
      call.on("cancelled", stop);
      call.on("close", stop);
      call.on("error", stop);
      handlers.watch(
        call.request.heartbeatIntervalMs,
        (event) => {
          if (!controller.signal.aborted) call.write(eventToWire(event));
        },
        controller.signal,
      );
    },
  });
  const health = new HealthImplementation({ "": "SERVING", [AGENT_SERVICE_NAME]: "SERVING" });
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(options.listen, options.credentials ?? grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  return {
    port,
    health,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), 2_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
