import * as grpc from "@grpc/grpc-js";
import { SCRIPT_NAME, SimulatedHealthChange, SimulatedTrafficChange, ValidationError, validate } from "@lvsfleet/model";
import { HealthImplementation } from "grpc-health-check";
import type { AgentApi } from "./agent-api.ts";
import { applyRequestFromWire, startRequestFromWire, stopRequestFromWire } from "./agent-input.ts";
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
import type { AgentHandlers as WireAgentHandlers } from "./generated/lvsfleet/v1/Agent.ts";
import { messageSizeOptions } from "./message-size.ts";
import { agentService } from "./proto.ts";
import { acceptRequestId, REQUEST_ID_HEADER, withRequestId } from "./request-id.ts";

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
  /** The largest message received or sent (default DEFAULT_MAX_MESSAGE_BYTES, 64 MiB): an Apply carries the whole spec. */
  maxMessageBytes?: number;
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

/**
 * Serves an implementation of the agent API (agent-api.ts) as lvsfleet.v1.Agent, and
 * grpc.health.v1.Health. This layer only translates: it validates every request (agent-input.ts)
 * before the agent sees it, and turns errors into statuses (an RpcError keeps its own).
 */
export async function serveAgent(agent: AgentApi, options: ServeOptions): Promise<RunningAgentServer> {
  const server = new grpc.Server({
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 5_000,
    ...messageSizeOptions(options.maxMessageBytes),
  });
  const implementation: WireAgentHandlers = {
    GetInfo: unary(async () => infoToWire(await agent.getInfo())),
    Apply: unary(async (request) => {
      const result = await agent.apply(applyRequestFromWire(request));
      return {
        operations: result.operations.map(operationToWire),
        observed: tableToWire(result.observed),
        generation: result.generation,
      };
    }),
    GetState: unary(async () => stateToWire(await agent.getState())),
    Start: unary(async (request) => {
      const { cluster, config } = startRequestFromWire(request);
      const result = await agent.start(cluster, config);
      return { changes: changesToWire(result.changes), state: stateToWire(result.state) };
    }),
    Stop: unary(async (request) => {
      const result = await agent.stop(stopRequestFromWire(request).cluster);
      return { changes: changesToWire(result.changes), state: stateToWire(result.state) };
    }),
    SetSimulatedTraffic: unary(async (request) => {
      let change: SimulatedTrafficChange;
      try {
        change = validate(SimulatedTrafficChange, simulatedTrafficChangeFromWire(request));
      } catch (error) {
        if (error instanceof ValidationError) throw new RpcError(grpc.status.INVALID_ARGUMENT, error.message);
        throw error;
      }
      return simulatedTrafficToWire(await agent.setSimulatedTraffic(change));
    }),
    SetSimulatedHealth: unary(async (request) => {
      const change = parsed("health change", () =>
        validate(SimulatedHealthChange, {
          address: request.address,
          port: request.port,
          healthy: request.healthy,
          ...(request.service ? { service: request.service } : {}),
        }),
      );
      return { realServers: (await agent.setSimulatedHealth(change)).map(realServerHealthToWire) };
    }),
    RunAction: unary(async (request) => {
      const name = request.name ?? "";
      if (!ACTION_NAME.test(name))
        throw new RpcError(
          grpc.status.INVALID_ARGUMENT,
          `name: ${JSON.stringify(name.slice(0, 80))} is not an action name (lowercase letters, digits, - and _)`,
        );
      const result = await agent.runAction(name);
      return {
        exitCode: result.exitCode,
        output: result.output,
        durationMs: Math.round(result.durationMs),
        timedOut: result.timedOut,
      };
    }),
    WatchEvents: (call) => {
      let open = true;
      const watch = agent.watchEvents(
        { heartbeatIntervalMs: call.request.heartbeatIntervalMs },
        (event) => {
          if (open) call.write(eventToWire(event));
        },
        () => {
          if (open) call.end();
        },
      );
      const stop = () => {
        if (!open) return;
        open = false;
        watch.cancel();
      };
      call.on("cancelled", stop);
      call.on("close", stop);
      call.on("error", stop);
    },
  };
  server.addService(agentService().service, implementation);
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
