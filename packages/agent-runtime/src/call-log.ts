import { type AgentApi, GrpcStatus, RpcError } from "@lvsfleet/rpc";
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
 * Wraps an agent so that every change (Apply without dry run, Start, Stop) is logged
 * with what it did — the log line carries the caller's request id (reqId) — and every call is
 * reported to `observe` (the agent's metrics). Reads are not logged.
 */
export function loggedAgent(
  agent: AgentApi & { close(): Promise<void> },
  log: Logger,
  observe: (call: ServedCall) => void = () => undefined,
): AgentApi & { close(): Promise<void> } {
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
    getInfo: () => agent.getInfo(),
    getState: () => timed("GetState", () => agent.getState()),
    apply: (request) =>
      timed(
        "Apply",
        () => agent.apply(request),
        request.dryRun
          ? undefined
          : (r) => ({ cluster: request.cluster, generation: r.generation, operations: r.operations.length }),
      ),
    start: (cluster, config) =>
      timed(
        "Start",
        () => agent.start(cluster, config),
        (r) => ({ cluster, changes: r.changes.length }),
      ),
    stop: (cluster) =>
      timed(
        "Stop",
        () => agent.stop(cluster),
        (r) => ({ cluster, changes: r.changes.length }),
      ),
    watchEvents: (options, onEvent, onEnd) => agent.watchEvents(options, onEvent, onEnd),
    setSimulatedTraffic: (change) =>
      timed(
        "SetSimulatedTraffic",
        () => agent.setSimulatedTraffic(change),
        (r) => ({ load: r.load, held: r.held, connections: r.connections }),
      ),
    setSimulatedHealth: (change) =>
      timed(
        "SetSimulatedHealth",
        () => agent.setSimulatedHealth(change),
        () => ({ address: change.address, port: change.port, healthy: change.healthy }),
      ),
    runAction: (name) =>
      timed(
        "RunAction",
        () => agent.runAction(name),
        (r) => ({ action: name, exitCode: r.exitCode, durationMs: r.durationMs, timedOut: r.timedOut }),
      ),
    close: () => agent.close(),
  };
}
