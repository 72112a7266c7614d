import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEMO_CLUSTER, parseSimTraffic } from "@lvsfleet/model";
import { readDemoSettings } from "./demo-settings.ts";
import { DEMO_AGENTS, repoRoot, startFleet } from "./fleet.ts";
import { ProcessesFile } from "./processes-file.ts";
import type { ProgramHandle } from "./program.ts";
import { ensureRedis } from "./redis.ts";
import { redactRedisUrl } from "./redis-url.ts";
import { startSentinelRedis } from "./sentinel.ts";

/**
 * `npm run demo`: Redis (the one at REDIS_URL, or a local redis-server with its data under
 * .data/redis), the server on PORT (8080), and the guide's four hosts as sim agents; the
 * cluster `web` is created and started. Ctrl-C stops everything the demo started.
 *
 * LVSFLEET_DEMO_REPLICAS=3: three server replicas on PORT, PORT+1, PORT+2 (one CA, sealed in Redis with
 * the key in .data/demo/ca-encryption.key); LVSFLEET_DEMO_SENTINEL=1: a private Redis master, replica and
 * three sentinels (data under .data/demo/redis-sentinel) instead of one Redis. Every process started is
 * listed in .data/demo/processes.json (demo-settings.ts, processes-file.ts). LVSFLEET_DEMO_DATA moves
 * .data/demo elsewhere (a local redis-server's data then goes to its redis/ instead of .data/redis).
 */
const root = repoRoot();
let settings: ReturnType<typeof readDemoSettings>;
try {
  settings = readDemoSettings(process.env);
} catch (error) {
  console.error(`demo: ${(error as Error).message}`);
  process.exit(2);
}
const dataDir = settings.LVSFLEET_DEMO_DATA ? resolve(settings.LVSFLEET_DEMO_DATA) : join(root, ".data", "demo");
rmSync(join(dataDir, "agents"), { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
const replicas = settings.LVSFLEET_DEMO_REPLICAS;

const token = process.env.LVSFLEET_API_TOKEN ?? randomBytes(24).toString("base64url");
const slackSecret = process.env.SLACK_SIGNING_SECRET ?? randomBytes(16).toString("hex");
const port = settings.PORT;
// Simulated clients against the VIP on the master director (the backup gets traffic only when it is master).
const traffic = process.env.LVSFLEET_DEMO_TRAFFIC ?? "2,30";
try {
  parseSimTraffic(traffic, "LVSFLEET_DEMO_TRAFFIC");
} catch (error) {
  console.error(`demo: ${(error as Error).message}`);
  process.exit(2);
}
const agents = DEMO_AGENTS.map((a) => (a.host === "lb-master" ? { ...a, args: ["--sim-traffic", traffic] } : a));

const processes = new ProcessesFile(join(dataDir, "processes.json"));
let stopping = false;
/** Lists a process the demo started, and takes it off the list when it exits (killed by an operator, say). */
function track(
  name: string,
  kind: "server" | "redis" | "sentinel" | "agent",
  child: ProgramHandle<unknown>["child"],
  url?: string,
) {
  if (child.pid === undefined) return;
  processes.set({ name, kind, pid: child.pid, ...(url ? { url } : {}) });
  child.once("exit", (code, signal) => {
    if (stopping) return;
    processes.remove(name);
    console.log(`demo: ${name} (pid ${child.pid}) exited (${signal ?? code}); ${processes.path} no longer lists it`);
  });
}

// A signal while something is still starting: stop once it is up (or failed), so nothing is left running.
let starting = true;
let stopRequested = false;
function onSignal() {
  if (!starting) return void stopAll(0);
  stopRequested = true;
  console.log("\nstopping once what is starting now is up…");
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

let redis: { url: string; stop(): Promise<void> } | undefined;
if (settings.LVSFLEET_DEMO_SENTINEL) {
  const sentinelDir = join(dataDir, "redis-sentinel");
  console.log("starting a Redis master, its replica and three sentinels…");
  const deployment = await startSentinelRedis({ dataDir: sentinelDir }).catch((error: Error) => {
    console.error(`demo failed: ${error.message}`);
    process.exit(1);
  });
  for (const node of deployment.processes) track(node.name, node.kind, node.child, `redis://127.0.0.1:${node.port}`);
  redis = deployment;
  console.log(`started Redis Sentinel at ${deployment.url} (data in ${sentinelDir})`);
} else {
  const redisDir = settings.LVSFLEET_DEMO_DATA ? join(dataDir, "redis") : join(root, ".data", "redis");
  const handle = await ensureRedis({ url: settings.REDIS_URL ?? "redis://127.0.0.1:6379", dataDir: redisDir });
  if (handle.child) track("redis", "redis", handle.child, handle.url);
  redis = handle;
  console.log(
    handle.started
      ? `started redis-server at ${handle.url} (data in ${settings.LVSFLEET_DEMO_DATA ? redisDir : ".data/redis"})`
      : `using Redis at ${redactRedisUrl(handle.url)}`,
  );
}

/**
 * Several replicas share one CA: sealed in Redis with a key every replica has (docs/operations.md,
 * Several servers: one CA). The demo keeps its key in its data directory, as an operator keeps it in a
 * secret file, so the next run opens the same CA; yours wins when you set one.
 */
function caEncryptionEnv(): NodeJS.ProcessEnv {
  if (replicas === 1 || process.env.LVSFLEET_CA_ENCRYPTION_KEY || process.env.LVSFLEET_CA_ENCRYPTION_KEY_FILE)
    return {};
  const keyFile = join(dataDir, "ca-encryption.key");
  if (!existsSync(keyFile)) writeFileSync(keyFile, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
  return { LVSFLEET_CA_ENCRYPTION_KEY_FILE: keyFile };
}

type DemoFleet = Awaited<ReturnType<typeof startFleet>>;
let fleet: DemoFleet | undefined;

/** With replicas or Sentinel: how to reach each process, and how to kill one to watch the fail-over. */
function highAvailabilityGuide(running: DemoFleet): string {
  if (replicas === 1 && !settings.LVSFLEET_DEMO_SENTINEL) return "";
  const rows = processes
    .list()
    .map((p) => `  ${p.name.padEnd(14)} ${p.kind.padEnd(9)} pid ${String(p.pid).padEnd(8)} ${p.url ?? ""}`);
  const byReplica = running.urls.map(
    (url, i) =>
      `  ${url}: ${
        [...running.agentServer]
          .filter(([, r]) => r === i)
          .map(([host]) => host)
          .join(", ") || "(no agent)"
      }`,
  );
  const supervisor = running.urls.map((url) => `curl -s ${url}/v1/health`).join("; ");
  return `

High availability: every process the demo started is in ${processes.path}
(name, kind, pid, url); kill one and watch the rest carry on, e.g. kill <pid of a server>.
${rows.join("\n")}

  REDIS_URL ${redis ? redactRedisUrl(redis.url) : ""}
${
  replicas > 1
    ? `Any replica answers any request, with the same token. Which one supervises the agents (one at a time):
  ${supervisor}
Kill the one that says "supervisor": true (kill <its pid>); another takes the lease within a few seconds.
Each agent takes one --server address (no list, no fail-over of its own): it registers with one replica,
and keeps serving when that replica is gone (the supervisor, whichever replica it is, calls it from the
registration kept in Redis); only its re-registration waits for that replica to come back.
${byReplica.join("\n")}
`
    : ""
}${
  settings.LVSFLEET_DEMO_SENTINEL
    ? `Kill redis-master (kill <its pid>): the sentinels promote redis-replica in a few seconds and the servers follow.
`
    : ""
}`;
}
async function stopAll(code: number) {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping the demo fleet, the server and what else the demo started…");
  await fleet?.stop().catch(() => undefined);
  await redis?.stop();
  processes.delete();
  process.exit(code);
}
if (stopRequested) await stopAll(0);

try {
  fleet = await startFleet({
    root,
    redisUrl: redis.url,
    token,
    dataDir,
    agents,
    port,
    replicas,
    env: {
      ...caEncryptionEnv(),
      SLACK_SIGNING_SECRET: slackSecret,
      LVSFLEET_CHAT_RESPONSE_HOSTS: "hooks.slack.com,127.0.0.1",
      // npm run chat signs as Slack user U0001; map your own Slack users the same way.
      LVSFLEET_CHAT_USERS: process.env.LVSFLEET_CHAT_USERS ?? "U0001=admin",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    },
  });
  for (const [i, server] of fleet.servers.entries())
    track(replicas > 1 ? `server-${i + 1}` : "server", "server", server.child, fleet.urls[i]);
  for (const [host, agent] of fleet.agents) track(host, "agent", agent.child);
  starting = false;
  if (stopRequested) await stopAll(0);
  const put = await fleet.api.put("/v1/clusters/web", DEMO_CLUSTER);
  if (put.status !== 202) throw new Error(`PUT /v1/clusters/web: ${put.status} ${put.text}`);
  const start = await fleet.api.post("/v1/clusters/web/start");
  const job = await fleet.api.waitForJob(start.body.job.id);
  if (job.state !== "completed") throw new Error(`starting the demo cluster failed: ${job.error}`);
  const status = await fleet.api.get("/v1/clusters/web/status?format=text");
  writeFileSync(
    join(dataDir, "env"),
    `LVSFLEET_URL=${fleet.url}\nLVSFLEET_API_TOKEN=${token}\nSLACK_SIGNING_SECRET=${slackSecret}\n`,
    { mode: 0o600 },
  );
  const u = fleet.url;
  const logs = settings.LVSFLEET_DEMO_DATA ? join(dataDir, "logs") : ".data/demo/logs";
  console.log(`
${status.text}
lvsfleet demo is running: ${replicas > 1 ? `${replicas} server replicas` : "server"} + ${settings.LVSFLEET_DEMO_SENTINEL ? "Redis Sentinel" : "Redis"} + four sim agents (the guide's topology; the 192.168.1.x
addresses are labels inside the simulation — nothing opens a socket to them).

  API      ${u}/v1      OpenAPI ${u}/openapi.json
  token    ${token}

Try it (another terminal):
  export LVSFLEET_API_TOKEN=${token}
  curl -s -H "Authorization: Bearer $LVSFLEET_API_TOKEN" '${u}/v1/clusters/web/status?format=text'
  curl -s -X PATCH -H "Authorization: Bearer $LVSFLEET_API_TOKEN" -H 'content-type: application/json' \\
       -d '{"weight": 5}' ${u}/v1/clusters/web/services/http/real-servers/192.168.1.220:80
  curl -s -H "Authorization: Bearer $LVSFLEET_API_TOKEN" ${u}/v1/jobs/<id from the answer above>
  curl -s -H "Authorization: Bearer $LVSFLEET_API_TOKEN" ${u}/v1/agents

Simulated clients open ${traffic.split(",")[0]} connection(s)/s against the VIP through lb-master (LVSFLEET_DEMO_TRAFFIC=RATE[,LIFETIME[,CLIENTS]]
sets it, 0 turns it off), so the counts in status move. Change it while the demo runs:
  npm run sim-traffic -- 20,30                      20 new connections/s, 30 s on average
  npm run sim-traffic -- hold 192.168.1.231:80 50    50 long-lived connections on web2 (then set its weight to 0)
  npm run sim-traffic -- release                    their clients close them
Ask before changing: what happens if web2 gets weight 0?
  curl -s -X POST -H "Authorization: Bearer $LVSFLEET_API_TOKEN" -H 'content-type: application/json' \\
       -d '{"change": {"kind": "weight", "server": "192.168.1.231:80", "weight": 0}}' ${u}/v1/clusters/web/simulate

Chat (a slash command signed as Slack signs it; the job's outcome comes back on a response_url):
  npm run chat -- 'weight 192.168.1.220 2'
  npm run chat -- status
  npm run chat -- 'whatif weight 192.168.1.231 0'

Logs are in ${logs}. Ctrl-C stops everything the demo started.${highAvailabilityGuide(fleet)}`);
} catch (error) {
  console.error(`demo failed: ${(error as Error).message}`);
  await stopAll(1);
}
