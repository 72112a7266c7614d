import { join } from "node:path";
import type { AgentRole } from "@lvsfleet/model";
import { ValidationError } from "@lvsfleet/model";
import { type AgentHandlers, requestLogFields, serveAgent } from "@lvsfleet/rpc";
import pino, { type Logger } from "pino";
import { loggedHandlers } from "./call-log.ts";
import type { AgentMetricsListener } from "./metrics-listener.ts";
import { type AgentOptions, parseAgentOptions, USAGE } from "./options.ts";
import { keepRegistered } from "./registration.ts";

export interface AgentContext {
  options: AgentOptions;
  stateDir: string;
  log: Logger;
}

export interface AgentProgram {
  role: AgentRole;
  name: string;
  /** Builds the handlers; may throw an Error whose message tells the operator what to fix. */
  create(context: AgentContext): Promise<AgentHandlers & { close(): Promise<void> }>;
}

/**
 * The life of an agent process: options, logging, the gRPC server, registration with the
 * lvsfleet server, and a clean exit on SIGINT/SIGTERM. A bad option exits 2 with the reason.
 */
export async function runAgentProcess(program: AgentProgram, argv = process.argv.slice(2)): Promise<void> {
  let options: AgentOptions;
  try {
    options = parseAgentOptions(argv);
  } catch (error) {
    const reason =
      error instanceof ValidationError
        ? error.errors.map((e) => `--${e.field}: ${e.message}`).join("\n")
        : (error as Error).message;
    process.stderr.write(`${program.name}: ${reason}\n${USAGE}\n`);
    process.exit(2);
  }
  // Lines logged while serving a call carry the caller's request id (reqId), as the server's do.
  const log = pino({
    name: program.name,
    level: options.logLevel,
    base: { host: options.host },
    mixin: requestLogFields,
  });
  const stateDir = options.stateDir ?? join(".data", "agents", options.host);
  let handlers: Awaited<ReturnType<AgentProgram["create"]>>;
  try {
    handlers = await program.create({ options, stateDir, log });
  } catch (error) {
    log.fatal({ err: (error as Error).message }, "cannot start");
    process.exit(1);
  }
  let metrics: AgentMetricsListener | undefined;
  if (options.metrics) {
    const { startMetricsListener } = await import("./metrics-listener.ts");
    const state = handlers.state.bind(handlers);
    metrics = await startMetricsListener(options.metrics, state, log);
    log.info({ metrics: `http://${metrics.address}/metrics` }, "serving metrics");
  }
  const served = loggedHandlers(handlers, log, (call) => metrics?.observe(call));
  const server = await serveAgent(served, { listen: options.listen });
  const listenHost = options.listen.replace(/:\d+$/, "");
  const endpoint = options.advertise ?? `${listenHost}:${server.port}`;
  log.info({ endpoint, driver: options.driver, stateDir }, `${program.name} serving`);
  // A line the demo and tests wait for: the endpoint the agent really listens on.
  process.stdout.write(
    `${JSON.stringify({ ready: true, host: options.host, endpoint, ...(metrics ? { metrics: metrics.address } : {}) })}\n`,
  );
  const registration = options.server
    ? keepRegistered(
        {
          server: options.server,
          token: process.env.LVSFLEET_AGENT_TOKEN,
          host: options.host,
          endpoint,
          role: program.role,
          driver: options.driver,
        },
        log,
      )
    : undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down; the host keeps its state (fail static)");
    registration?.stop();
    await server.close();
    await metrics?.close();
    await handlers.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
