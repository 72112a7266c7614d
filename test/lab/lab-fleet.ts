import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Api, findRedisServer, freePort, redisAnswers, signSlackCommand } from "@lvsfleet/devfleet";
import { type Lab, SERVER_NET, VIP } from "./lab.ts";

/**
 * The whole of lvsfleet on a lab: Redis and the server on the machine's loopback, the real agent
 * programs inside the host namespaces, registering themselves with the server and dialled by it,
 * so that tests drive the cluster through the REST API and chat exactly as an operator would.
 *
 * Loopback and the namespaces cannot reach each other by IP (the lab never joins a namespace to
 * the machine's own network), so the two directions go through Unix sockets in the lab's
 * directory, with a relay on each side (programs/relay.mjs):
 *
 *   server → agent:  127.0.0.1:<free port> (advertised by the agent) → <host>.agent.sock → 127.0.0.1:7100 in the namespace
 *   agent → server:  127.0.0.1:7000 in the namespace → server.sock → 127.0.0.1:<server port>
 *
 * Every process is the lab's child (stopped at teardown, and swept after a killed run).
 * gRPC between them is plaintext (`--insecure`, LVSFLEET_INSECURE_GRPC): the relays only ever
 * carry loopback and Unix-socket traffic.
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const RELAY = new URL("./programs/relay.mjs", import.meta.url).pathname;
/** Inside each namespace: where the agent listens, and where the server appears. */
const AGENT_PORT = 7100;
const SERVER_PORT = 7000;

export const SLACK_SECRET = "lab-signing-secret";
/** The chat user the fleet knows (admin). */
export const CHAT_USER = "U0LAB";

type AgentChild = Awaited<ReturnType<Lab["spawnProgram"]>>["child"];

export interface LabFleetAgent {
  /** The lab host (dir1, rs1, …). */
  name: string;
  role: "director" | "realserver";
  driver: string;
}

export class LabFleet {
  private constructor(
    readonly api: Api,
    readonly token: string,
  ) {}

  /** Starts Redis, the server and the agents; resolves once every agent is registered and reachable. */
  static async start(
    lab: Lab,
    agents: LabFleetAgent[],
    options: { serverEnv?: NodeJS.ProcessEnv; agentArgs?: string[] } = {},
  ): Promise<LabFleet> {
    const launchers: LabFleet["launchers"] = new Map();
    const redisServer = findRedisServer();
    if (!redisServer) throw new Error("redis-server is not installed (scripts/os-packages.txt lists it)");
    const redisPort = await freePort();
    const redisDir = join(lab.dir, "redis");
    mkdirSync(redisDir, { recursive: true });
    // biome-ignore format: one option per line
    await lab.spawnProgram(undefined, "redis", redisServer, [
      "--bind", "127.0.0.1",
      "--port", String(redisPort),
      "--dir", redisDir,
      "--save", "",
      "--appendonly", "no",
    ], { ready: false });
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    const deadline = Date.now() + 10_000;
    while (!(await redisAnswers(redisUrl))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer in 10 s: ${lab.logs()}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    const token = randomBytes(18).toString("base64url");
    const server = await lab.spawnProgram(undefined, "server", "node", [join(ROOT, "server/dist/main.js")], {
      env: {
        PORT: "0",
        REDIS_URL: redisUrl,
        LVSFLEET_PREFIX: lab.prefix,
        LVSFLEET_API_TOKEN: token,
        LVSFLEET_DATA_DIR: join(lab.dir, "server"),
        LVSFLEET_INSECURE_GRPC: "1",
        LVSFLEET_HEARTBEAT_MS: "500",
        LVSFLEET_JOB_BACKOFF_MS: "100",
        LVSFLEET_AGENT_DEADLINE_MS: "5000",
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        LVSFLEET_CHAT_USERS: `${CHAT_USER}=admin`,
        LVSFLEET_CHAT_RESPONSE_HOSTS: "127.0.0.1",
        LOG_LEVEL: "warn",
        ...options.serverEnv,
      },
    });
    const serverPort = Number(server.ready.port);

    const serverSocket = join(lab.dir, "server.sock");
    const agentSocket = (name: string) => join(lab.dir, `${name}.agent.sock`);
    const outside = await lab.spawnProgram(undefined, "relay", "node", [
      RELAY,
      serverSocket,
      `127.0.0.1:${serverPort}`,
      ...agents.flatMap((a) => ["127.0.0.1:0", agentSocket(a.name)]),
    ]);
    const advertised = (outside.ready.listening as string[]).slice(1);

    await Promise.all(
      agents.map(async (a, i) => {
        await lab.spawnProgram(a.name, "relay", "node", [
          RELAY,
          agentSocket(a.name),
          String(AGENT_PORT),
          String(SERVER_PORT),
          serverSocket,
        ]);
        // biome-ignore format: one option per line
        const launch = () => lab.spawnProgram(a.name, "agent", "node", [
          join(ROOT, "agents", a.role, "dist", "main.js"),
          "--insecure",
          "--host", a.name,
          "--driver", a.driver,
          "--interface", "eth0",
          "--listen", `127.0.0.1:${AGENT_PORT}`,
          "--advertise", advertised[i] ?? "",
          "--server", `http://127.0.0.1:${SERVER_PORT}`,
          "--state-dir", join(lab.dir, "agents", a.name),
          "--log-level", "warn",
          ...(options.agentArgs ?? []),
        ], { env: { LVSFLEET_AGENT_TOKEN: token } });
        launchers.set(a.name, { launch, child: (await launch()).child });
      }),
    );

    const fleet = new LabFleet(new Api(`http://127.0.0.1:${serverPort}`, token), token);
    fleet.lab = lab;
    fleet.launchers = launchers;
    await fleet.waitForAgents(agents.map((a) => a.name));
    return fleet;
  }

  private lab: Lab | undefined;
  private launchers = new Map<string, { launch: () => ReturnType<Lab["spawnProgram"]>; child: AgentChild }>();

  /**
   * Stops an agent process (SIGTERM: it leaves its host as it is, fail static) and starts it again
   * with the same options and state directory; resolves once the server hears from it again.
   */
  async restartAgent(name: string): Promise<void> {
    const agent = this.launchers.get(name);
    if (!agent || !this.lab) throw new Error(`no agent ${name} in this fleet`);
    await this.lab.stopProgram(agent.child);
    agent.child = (await agent.launch()).child;
    await this.waitForAgents([name]);
  }

  async waitForAgents(hosts: string[], timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await this.api.get("/v1/agents");
      const up = new Set<string>(
        ((body?.agents ?? []) as { host: string; reachable: boolean }[]).filter((a) => a.reachable).map((a) => a.host),
      );
      if (hosts.every((h) => up.has(h))) return;
      if (Date.now() > deadline)
        throw new Error(`agents not reachable within ${timeoutMs} ms: ${hosts.filter((h) => !up.has(h)).join(", ")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Sends a request that queues a job (202) and waits for the job to finish; returns the finished job. */
  async job(method: "POST" | "PATCH" | "PUT", path: string, body?: unknown): Promise<any> {
    const response = await this.api.request(method, path, body);
    if (response.status !== 202) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
    const job = await this.api.waitForJob(response.body.job.id, 60_000);
    if (job.state !== "completed") throw new Error(`${method} ${path}: job ${job.id} ${job.state}: ${job.error}`);
    return job;
  }

  /** A slash command from the fleet's chat user, signed as Slack signs it; returns Slack's reply text. */
  async chat(text: string): Promise<{ status: number; text: string }> {
    const { body, headers } = signSlackCommand(SLACK_SECRET, { text, user_id: CHAT_USER, user_name: "lab" });
    const response = await fetch(new URL("/v1/chat/slack/commands", this.api.baseUrl), {
      method: "POST",
      headers,
      body,
    });
    const reply = (await response.json()) as { text?: string };
    return { status: response.status, text: reply.text ?? "" };
  }
}

/**
 * The lab's cluster as the REST tests drive it: one director (dir1, nftables, no VRRP: two started
 * directors would both hold the VIP) and the two real servers at the given weights, wrr, LVS-DR.
 */
export function labClusterSpec(name: string, weights: { rs1: number; rs2: number }) {
  return {
    name,
    vips: [VIP],
    directors: [{ host: "dir1", address: `${SERVER_NET}.2`, role: "master", priority: 100, interface: "eth0" }],
    services: [
      {
        name: "http",
        protocol: "tcp",
        address: VIP,
        port: 80,
        scheduler: "wrr",
        forwarding: "dr",
        realServers: [
          { address: `${SERVER_NET}.11`, port: 80, weight: weights.rs1, host: "rs1" },
          { address: `${SERVER_NET}.12`, port: 80, weight: weights.rs2, host: "rs2" },
        ],
      },
    ],
  };
}
