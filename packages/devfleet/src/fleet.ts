import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Api } from "./api.ts";
import { type ProgramHandle, startProgram } from "./program.ts";

/** One agent of a local fleet. `address` is the simulated host's own address (a label: nothing dials it). */
export interface AgentSpec {
  host: string;
  role: "director" | "real-server";
  address: string;
  interface?: string;
  /** More command-line arguments for this agent, e.g. `["--sim-traffic", "2,30"]`. */
  args?: string[];
}

/** The guide's four hosts. */
export const DEMO_AGENTS: AgentSpec[] = [
  { host: "lb-master", role: "director", address: "192.168.1.252/24" },
  { host: "lb-backup", role: "director", address: "192.168.1.230/24" },
  { host: "web1", role: "real-server", address: "192.168.1.220/24" },
  { host: "web2", role: "real-server", address: "192.168.1.231/24" },
];

/** The repository root: the nearest directory above this module whose package.json is lvsfleet's. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "lvsfleet") return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the lvsfleet repository root");
    dir = parent;
  }
}

/**
 * How agents run: a young generation of 1 MiB semi-spaces instead of V8's 16 MiB keeps a small,
 * mostly idle process small (measured in docs/benchmarks.md); the packaging uses the same flags.
 */
export const AGENT_NODE_FLAGS = process.env.LVSFLEET_AGENT_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [
  "--max-semi-space-size=1",
];

export const PROGRAM_FILES = {
  server: "server/dist/main.js",
  director: "agents/director/dist/main.js",
  "real-server": "agents/realserver/dist/main.js",
} as const;

export async function startServerProcess(options: {
  root: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
}): Promise<ProgramHandle<{ port: number }>> {
  return startProgram<{ port: number }>({
    name: "server",
    file: join(options.root, PROGRAM_FILES.server),
    env: options.env,
    logFile: options.logFile,
  });
}

export async function startAgentProcess(options: {
  root: string;
  agent: AgentSpec;
  serverUrl?: string | undefined;
  token?: string | undefined;
  stateDir: string;
  logFile: string;
  listen?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
}): Promise<ProgramHandle<{ endpoint: string; host: string }>> {
  const { agent } = options;
  return startProgram({
    name: agent.host,
    file: join(options.root, PROGRAM_FILES[agent.role]),
    nodeFlags: AGENT_NODE_FLAGS,
    args: [
      "--host",
      agent.host,
      "--listen",
      options.listen ?? "127.0.0.1:0",
      "--address",
      agent.address,
      "--interface",
      agent.interface ?? "eth0",
      "--state-dir",
      options.stateDir,
      ...(options.serverUrl ? ["--server", options.serverUrl] : []),
      ...(options.extraArgs ?? []),
    ],
    env: { ...process.env, ...options.env, ...(options.token ? { LVSFLEET_AGENT_TOKEN: options.token } : {}) },
    logFile: options.logFile,
  });
}

export interface Fleet {
  /** The first server's URL and API (the only ones with one replica). */
  url: string;
  api: Api;
  server: ProgramHandle<{ port: number }>;
  /** Every server replica, in order (`replicas` of startFleet; one by default). */
  servers: ProgramHandle<{ port: number }>[];
  urls: string[];
  /** Which replica (index into servers) each agent was given as its --server. */
  agentServer: Map<string, number>;
  agents: Map<string, ProgramHandle<{ endpoint: string; host: string }>>;
  /** Restarts an agent that was stopped or killed, with the same state directory and port. */
  restartAgent(host: string): Promise<void>;
  /** Starts the server again on the same port and settings (after stop() or a kill). */
  restartServer(): Promise<void>;
  waitForAgents(hosts: string[], timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the server and the agents as real processes (the built bundles), agents registering
 * themselves with the server; returns once every agent is registered and reachable.
 */
export async function startFleet(options: {
  root?: string;
  redisUrl: string;
  token: string;
  dataDir: string;
  agents: AgentSpec[];
  env?: NodeJS.ProcessEnv;
  port?: number;
  /** Plaintext gRPC without certificates (default: mutual TLS, each agent enrolled with a join token). */
  insecure?: boolean;
  /**
   * Server replicas sharing the Redis (default 1), on port, port+1, … (free ports when port is 0),
   * each with its own data directory (the first keeps `server`, then `server-2`, …), log file and
   * LVSFLEET_REPLICA_ID (`server-1`, …); `env` must give them one CA (LVSFLEET_CA_ENCRYPTION_KEY(_FILE)).
   * The agents are spread over them, each registering with one.
   */
  replicas?: number;
}): Promise<Fleet> {
  const root = options.root ?? repoRoot();
  const insecure = options.insecure ?? false;
  const replicas = options.replicas ?? 1;
  const several = replicas > 1;
  const serverEnv = (index: number, port: number): NodeJS.ProcessEnv => ({
    ...process.env,
    PORT: String(port),
    REDIS_URL: options.redisUrl,
    LVSFLEET_API_TOKEN: options.token,
    LVSFLEET_DATA_DIR: join(options.dataDir, index === 0 ? "server" : `server-${index + 1}`),
    ...(insecure ? { LVSFLEET_INSECURE_GRPC: "1" } : {}),
    ...(several ? { LVSFLEET_REPLICA_ID: `server-${index + 1}` } : {}),
    ...options.env,
  });
  const logFile = (index: number) => join(options.dataDir, "logs", several ? `server-${index + 1}.log` : "server.log");
  const startReplica = (index: number, port: number) =>
    startServerProcess({ root, env: serverEnv(index, port), logFile: logFile(index) });
  const firstPort = options.port ?? 0;
  // The first replica makes (or loads) the fleet's CA; the others then load it.
  const servers = [await startReplica(0, firstPort)];
  // every replica's start settles before any is judged: one that failed must not leave the others running
  const rest = await Promise.allSettled(
    Array.from({ length: replicas - 1 }, (_, i) => startReplica(i + 1, firstPort === 0 ? 0 : firstPort + i + 1)),
  );
  for (const started of rest) if (started.status === "fulfilled") servers.push(started.value);
  const failed = rest.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await Promise.all(servers.map((s) => s.stop()));
    throw failed.reason;
  }
  const server = servers[0]!;
  const urls = servers.map((s) => `http://127.0.0.1:${s.ready.port}`);
  const url = urls[0]!;
  const api = new Api(url, options.token);
  const apis = urls.map((u) => new Api(u, options.token));
  const agentServer = new Map(options.agents.map((a, i) => [a.host, i % replicas]));
  const agents = new Map<string, ProgramHandle<{ endpoint: string; host: string }>>();
  const specs = new Map(options.agents.map((a) => [a.host, a]));
  const enrolled = new Set<string>();
  const launch = async (agent: AgentSpec, listen?: string) => {
    // First start of a host: an admin's join token (one-time) and the CA pin, as an operator would.
    let enrollment: { args: string[]; env: NodeJS.ProcessEnv } = { args: [], env: {} };
    const replica = agentServer.get(agent.host) ?? 0;
    if (!insecure && !enrolled.has(agent.host)) {
      const ticket = await apis[replica]!.post("/v1/pki/join-tokens", { host: agent.host, role: agent.role });
      if (ticket.status !== 201) throw new Error(`join token for ${agent.host}: ${ticket.status} ${ticket.text}`);
      enrollment = { args: ["--ca-pin", ticket.body.caPin], env: { LVSFLEET_JOIN_TOKEN: ticket.body.token } };
    }
    const handle = await startAgentProcess({
      root,
      agent,
      serverUrl: urls[replica]!,
      ...(insecure ? { token: options.token } : {}),
      stateDir: join(options.dataDir, "agents", agent.host),
      logFile: join(options.dataDir, "logs", `${agent.host}.log`),
      extraArgs: [...(insecure ? ["--insecure"] : []), ...enrollment.args, ...(agent.args ?? [])],
      env: enrollment.env,
      ...(listen ? { listen } : {}),
    });
    enrolled.add(agent.host);
    agents.set(agent.host, handle);
  };
  const fleet: Fleet = {
    url,
    api,
    server,
    servers,
    urls,
    agentServer,
    agents,
    async restartServer() {
      await fleet.server.stop();
      fleet.server = await startReplica(0, server.ready.port);
      servers[0] = fleet.server;
    },
    async restartAgent(host) {
      const previous = agents.get(host);
      const spec = specs.get(host);
      if (!spec) throw new Error(`no agent ${host}`);
      await previous?.stop();
      await launch(spec, previous?.ready.endpoint);
    },
    async waitForAgents(hosts, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { body } = await api.get("/v1/agents");
        const up = new Set<string>((body?.agents ?? []).filter((a: any) => a.reachable).map((a: any) => a.host));
        if (hosts.every((h) => up.has(h))) return;
        if (Date.now() > deadline)
          throw new Error(`agents not reachable within ${timeoutMs} ms: ${hosts.filter((h) => !up.has(h)).join(", ")}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      await Promise.all([...agents.values()].map((a) => a.stop()));
      await Promise.all([fleet.server, ...servers.slice(1)].map((s) => s.stop()));
    },
  };
  try {
    // every launch settles first, so a failure stops the agents that did start too
    const launched = await Promise.allSettled(options.agents.map((a) => launch(a)));
    const failed = launched.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    await fleet.waitForAgents(options.agents.map((a) => a.host));
  } catch (error) {
    await fleet.stop();
    throw error;
  }
  return fleet;
}
