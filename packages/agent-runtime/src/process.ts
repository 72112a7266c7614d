import { join } from "node:path";
import type { AgentRole } from "@lvsfleet/model";
import { isLoopbackHost, ValidationError } from "@lvsfleet/model";
import { signRegistration, type TlsMaterial } from "@lvsfleet/pki/light";
import { type AgentApi, requestLogFields, serveAgent } from "@lvsfleet/rpc";
import { agentServerCredentials, TlsIdentitySource } from "@lvsfleet/rpc/tls";
import pino, { type Logger } from "pino";
import { loggedAgent } from "./call-log.ts";
import type { AgentMetricsListener } from "./metrics-listener.ts";
import { type AgentOptions, parseAgentOptions, USAGE } from "./options.ts";
import { keepRegistered } from "./registration.ts";
import { ensureAgentIdentity, keepRenewed, runIdentityCommand } from "./tls/bootstrap.ts";

export interface AgentContext {
  options: AgentOptions;
  stateDir: string;
  log: Logger;
}

export interface AgentProgram {
  role: AgentRole;
  name: string;
  /** Builds the agent; may throw an Error whose message tells the operator what to fix. */
  create(context: AgentContext): Promise<AgentApi & { close(): Promise<void> }>;
}

/** The command-line spelling of an option's field: serverCaRoots → server-ca-roots. */
const optionName = (field: string) => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The life of an agent process: options, logging, the gRPC server, registration with the
 * lvsfleet server, and a clean exit on SIGINT/SIGTERM. A bad option exits 2 with the reason.
 */
export async function runAgentProcess(program: AgentProgram, argv = process.argv.slice(2)): Promise<void> {
  const action = argv[0] === "enroll" || argv[0] === "renew" ? argv[0] : undefined;
  const optionArgs = action ? argv.slice(1) : argv;
  let options: AgentOptions;
  try {
    options = parseAgentOptions(optionArgs);
  } catch (error) {
    const reason =
      error instanceof ValidationError
        ? error.errors.map((e) => `--${optionName(e.field)}: ${e.message}`).join("\n")
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
  if (action) {
    // The child process that enrolls or renews (see tls/bootstrap.ts); prints the reason on failure.
    try {
      await runIdentityCommand(action, program.role, options, stateDir);
      process.exit(0);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exit(1);
    }
  }
  if (options.serverCaRoots === "public" && options.server?.startsWith("https:"))
    log.info(
      { server: options.server },
      "--server-ca-roots public: a certificate from any of Node's public roots for the server's name is trusted, not only the pinned lvsfleet CA",
    );
  let material: TlsMaterial | undefined;
  if (options.insecure) {
    log.warn("--insecure: gRPC is PLAINTEXT and unauthenticated; anyone who reaches this port can command this host");
    const server = options.server ? new URL(options.server) : undefined;
    if (server?.protocol === "http:" && !isLoopbackHost(server.hostname))
      log.warn(
        { server: server.origin },
        "--insecure: the server's URL is plain http to another host: the agent token and registrations cross the network in the clear",
      );
  } else
    try {
      material = await ensureAgentIdentity({ role: program.role, options, stateDir, argv: optionArgs, log });
    } catch (error) {
      log.fatal({ err: (error as Error).message }, "cannot start");
      process.exit(1);
    }
  const identity = material ? new TlsIdentitySource(material) : undefined;
  let agent: Awaited<ReturnType<AgentProgram["create"]>>;
  try {
    agent = await program.create({ options, stateDir, log });
  } catch (error) {
    log.fatal({ err: (error as Error).message }, "cannot start");
    process.exit(1);
  }
  let metrics: AgentMetricsListener | undefined;
  if (options.metrics) {
    const { startMetricsListener } = await import("./metrics-listener.ts");
    const state = agent.getState.bind(agent);
    metrics = await startMetricsListener(options.metrics, state, log);
    log.info({ metrics: `http://${metrics.address}/metrics` }, "serving metrics");
  }
  const served = loggedAgent(agent, log, (call) => metrics?.observe(call));
  const server = await serveAgent(served, {
    listen: options.listen,
    ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
    ...(identity ? { credentials: agentServerCredentials(identity) } : {}),
  });
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
          trust: () => ({ roots: options.serverCaRoots, caPem: identity?.current.caPem }),
          host: options.host,
          endpoint,
          role: program.role,
          driver: options.driver,
          proof: identity
            ? {
                kind: "certificate",
                sign: (fields) => signRegistration(identity.current.keyPem, identity.current.certPem, fields),
              }
            : { kind: "token", token: process.env.LVSFLEET_AGENT_TOKEN },
        },
        log,
      )
    : undefined;
  const renewal = identity
    ? keepRenewed({
        current: () => identity.current,
        options,
        stateDir,
        argv: optionArgs,
        log,
        onRenewed: (renewed) => {
          identity.update(renewed);
          registration?.renew();
        },
      })
    : undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down; the host keeps its state (fail static)");
    registration?.stop();
    renewal?.stop();
    await server.close();
    await metrics?.close();
    await agent.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
