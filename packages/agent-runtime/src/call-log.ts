import type { SimulatedHealthChange, SimulatedTrafficChange } from "@lvsfleet/model";
import { type AgentHandlers, GrpcStatus, RpcError } from "@lvsfleet/rpc";
import type { Logger } from "pino";

/** What each served call did, for the agent's metrics. */
export interface ServedCall {
  method:
    | "Apply"
    | "GetState"
    | "Start"
    | "Stop"
    | "GetInfo"
    | "SetSimulatedTraffic"
    | "SetSimulatedHealth"
    | "RunAction";
  /** `OK` or the gRPC status name the caller got. */
  code: string;
  durationSeconds: number;
}

/**
 * Wraps an agent's handlers so that every change (Apply without dry run, Start, Stop) is logged
 * with what it did — the log line carries the caller's request id (reqId) — and every call is
 * reported to `observe` (the agent's metrics). Reads are not logged.
 */
export function loggedHandlers(
  handlers: AgentHandlers & { close(): Promise<void> },
  log: Logger,
  observe: (call: ServedCall) => void = () => undefined,
): AgentHandlers & { close(): Promise<void> } {
  const timed = async <T>(method: ServedCall["method"], run: () => Promise<T>, describe?: (r: T) => object) => {
    const started = performance.now();
    try {
      const result = await run();
      observe({ method, code: "OK", durationSeconds: (performance.now() - started) / 1_000 });
      if (describe) log.info(describe(result), method);
      return result;
    } catch (error) {
      // As the rpc server answers: an RpcError's own status, anything else INTERNAL.
      const name = error instanceof RpcError ? (GrpcStatus[error.code] ?? "UNKNOWN") : "INTERNAL";
      observe({ method, code: name, durationSeconds: (performance.now() - started) / 1_000 });
      if (describe) log.warn({ err: (error as Error).message }, `${method} failed`);
      throw error;
    }
  };
  return {
    info: () => handlers.info(),
    state: () => timed("GetState", () => handlers.state()),
    apply: (request) =>
      timed(
        "Apply",
        () => handlers.apply(request),
        request.dryRun
          ? undefined
          : (r) => ({ cluster: request.cluster, generation: r.generation, operations: r.operations.length }),
      ),
    start: (cluster, config) =>
      timed(
        "Start",
        () => handlers.start(cluster, config),
        (r) => ({ cluster, changes: r.changes.length }),
      ),
    stop: (cluster) =>
      timed(
        "Stop",
        () => handlers.stop(cluster),
        (r) => ({ cluster, changes: r.changes.length }),
      ),
    watch: (interval, emit, signal) => handlers.watch(interval, emit, signal),
    ...(handlers.setSimulatedTraffic
      ? {
          setSimulatedTraffic: (change: SimulatedTrafficChange) =>
            timed(
              "SetSimulatedTraffic",
              () => handlers.setSimulatedTraffic!(change),
              (r) => ({ load: r.load, held: r.held, connections: r.connections }),
            ),
        }
      : {}),
    ...(handlers.setSimulatedHealth
      ? {
          setSimulatedHealth: (change: SimulatedHealthChange) =>
            timed(
              "SetSimulatedHealth",
              () => handlers.setSimulatedHealth!(change),
              () => ({ address: change.address, port: change.port, healthy: change.healthy }),
            ),
        }
      : {}),
    ...(handlers.runAction
      ? {
          runAction: (name: string) =>
            timed(
              "RunAction",
              () => handlers.runAction!(name),
              (r) => ({ action: name, exitCode: r.exitCode, durationMs: r.durationMs, timedOut: r.timedOut }),
            ),
        }
      : {}),
    close: () => handlers.close(),
  };
}
