import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEndpoint, parseSimTraffic, type SimulatedTraffic } from "@lvsfleet/model";
import type { AgentClient } from "@lvsfleet/rpc";
import { agentControlClient } from "./agent-control.ts";
import { Api } from "./api.ts";
import { repoRoot } from "./fleet.ts";

/**
 * `npm run sim-traffic -- [host] [status | RATE[,LIFETIME[,CLIENTS]] | hold ADDRESS:PORT COUNT [LIFETIME] | release]`:
 * changes the simulated clients of a sim director of the running demo (default lb-master) through
 * its SetSimulatedTraffic RPC, dialed with the demo server's certificate, and prints what they do.
 * The demo's URL and token come from .data/demo/env (or LVSFLEET_URL, LVSFLEET_API_TOKEN); its data
 * directory is .data/demo (or LVSFLEET_DEMO_DATA).
 */
const USAGE =
  "usage: npm run sim-traffic -- [host] [status | RATE[,LIFETIME[,CLIENTS]] | hold ADDRESS:PORT COUNT [LIFETIME] | release]";

function settings(): Record<string, string> {
  const fromFile: Record<string, string> = {};
  try {
    for (const line of readFileSync(join(repoRoot(), ".data", "demo", "env"), "utf8").split("\n")) {
      const [k, ...v] = line.split("=");
      if (k) fromFile[k] = v.join("=");
    }
  } catch {}
  return { ...fromFile, ...(process.env as Record<string, string>) };
}

function fail(message: string): never {
  console.error(`sim-traffic: ${message}\n${USAGE}`);
  process.exit(2);
}

const COMMANDS = new Set(["status", "hold", "release"]);
let args = process.argv.slice(2);
const host = args[0] && !COMMANDS.has(args[0]) && !/^[\d.]/.test(args[0]) ? args[0] : "lb-master";
if (args[0] === host) args = args.slice(1);
const [command = "status", ...rest] = args;

type Change = Parameters<AgentClient["setSimulatedTraffic"]>[0];
let change: Change;
try {
  if (command === "status") change = {};
  else if (command === "release") change = { releaseHeld: true };
  else if (command === "hold") {
    const [where = "", count = "", lifetime] = rest;
    const endpoint = parseEndpoint(where);
    if (!endpoint || endpoint.port === undefined) fail(`hold needs ADDRESS:PORT, got ${JSON.stringify(where)}`);
    if (!/^\d+$/.test(count)) fail(`hold needs a COUNT, got ${JSON.stringify(count)}`);
    change = {
      hold: [
        {
          address: endpoint.address,
          port: endpoint.port,
          count: Number(count),
          ...(lifetime ? { lifetimeSeconds: Number(lifetime) } : {}),
        },
      ],
    };
  } else change = { load: parseSimTraffic(command, "load") };
} catch (error) {
  fail((error as Error).message);
}

const env = settings();
const api = new Api(env.LVSFLEET_URL ?? "http://127.0.0.1:8080", env.LVSFLEET_API_TOKEN ?? "");
const agents = await api.get("/v1/agents");
if (agents.status !== 200) fail(`GET /v1/agents: HTTP ${agents.status} ${agents.text} (is the demo running?)`);
const agent = (agents.body.agents as { host: string; endpoint: string; role: "director" | "real-server" }[]).find(
  (a) => a.host === host,
);
if (!agent) fail(`no agent ${host}`);
const client = await agentControlClient({
  // the demo's data directory (its server keeps the certificate agents accept there)
  dataDir: env.LVSFLEET_DEMO_DATA ?? join(repoRoot(), ".data", "demo"),
  host,
  endpoint: agent.endpoint,
  role: agent.role,
});
try {
  const traffic: SimulatedTraffic = await client.setSimulatedTraffic(change);
  const { load } = traffic;
  console.log(
    `${host}: ${load.connectionsPerSecond} new connections/s per virtual service (mean lifetime ${load.meanLifetimeSeconds} s, ${load.clients} clients); ` +
      `${traffic.opened} opened, ${traffic.refused} refused, ${traffic.held} held, ${traffic.connections} connections in the table`,
  );
} catch (error) {
  console.error(`sim-traffic: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  client.close();
}
