import { createServer } from "node:http";
import { tableSamples } from "@lvsfleet/metrics";
import { TableMetrics } from "@lvsfleet/metrics/prom";
import type { AgentState } from "@lvsfleet/model";
import type { Logger } from "pino";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { ServedCall } from "./call-log.ts";

export interface AgentMetricsListener {
  /** The address it really listens on (port 0 picks one). */
  address: string;
  observe(call: ServedCall): void;
  close(): Promise<void>;
}

/**
 * `--metrics HOST:PORT`: a Prometheus endpoint (GET /metrics) on the agent itself, so the host's
 * own table is visible even while the server is down (fail static). It shows the agent's table
 * (effective weights, ActiveConn/InActConn, counters when the data plane reports them), its role
 * and generation, the gRPC calls it served, and Node's process metrics. No token: bind it to
 * loopback or a management address and let the network decide who scrapes (docs/metrics.md).
 */
export async function startMetricsListener(
  listen: string,
  state: () => Promise<AgentState>,
  log: Logger,
): Promise<AgentMetricsListener> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const table = new TableMetrics(registry);
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const running = gauge("lvsfleet_agent_role_running", "1 while the host holds its role (lvsdr/realdr started)", [
    "role",
    "cluster",
  ]);
  const generation = gauge("lvsfleet_agent_generation", "Generation of the desired state the agent last applied");
  const problems = gauge("lvsfleet_agent_problems", "What the agent's doctor finds wrong with the host, by severity", [
    "severity",
  ]);
  const served = new Counter({
    name: "lvsfleet_agent_grpc_requests_total",
    help: "gRPC calls the agent served, by method and status code",
    labelNames: ["method", "code"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "lvsfleet_agent_grpc_request_duration_seconds",
    help: "How long the agent took to serve a gRPC call",
    labelNames: ["method"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  const render = async () => {
    const s = await state();
    table.set(tableSamples(s.table));
    running.reset();
    running.set({ role: s.info.role, cluster: s.cluster ?? "" }, s.roleState === "running" ? 1 : 0);
    generation.set(s.generation);
    problems.reset();
    if (s.problems)
      for (const severity of ["error", "warning"] as const)
        problems.set({ severity }, s.problems.filter((p) => p.severity === severity).length);
    return registry.metrics();
  };

  const server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("only GET /metrics here\n");
      return;
    }
    render().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      (error: Error) => {
        log.warn({ err: error.message }, "metrics scrape failed");
        res.writeHead(500, { "content-type": "text/plain" }).end(`scrape failed: ${error.message}\n`);
      },
    );
  });
  const { host, port } = splitListen(listen);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address();
  const address = `${host.includes(":") ? `[${host}]` : host}:${typeof bound === "object" && bound ? bound.port : port}`;
  return {
    address,
    observe(call) {
      served.inc({ method: call.method, code: call.code });
      latency.observe({ method: call.method }, call.durationSeconds);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function splitListen(listen: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(listen);
  if (!match) throw new Error(`--metrics: ${listen} is not HOST:PORT`);
  return { host: match[1] ?? "127.0.0.1", port: Number(match[2]) };
}
