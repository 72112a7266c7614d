import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO_CLUSTER, parseSimTraffic } from "@lvsfleet/model";
import { DEMO_AGENTS, repoRoot, startFleet } from "./fleet.ts";
import { ensureRedis } from "./redis.ts";

/**
 * `npm run demo`: Redis (the one at REDIS_URL, or a local redis-server with its data under
 * .data/redis), the server on PORT (8080), and the guide's four hosts as sim agents; the
 * cluster `web` is created and started. Ctrl-C stops everything the demo started.
 */
const root = repoRoot();
const dataDir = join(root, ".data", "demo");
rmSync(join(dataDir, "agents"), { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });

const token = process.env.LVSFLEET_API_TOKEN ?? randomBytes(24).toString("base64url");
const slackSecret = process.env.SLACK_SIGNING_SECRET ?? randomBytes(16).toString("hex");
const port = Number(process.env.PORT ?? 8080);
// Simulated clients against the VIP on the master director (the backup gets traffic only when it is master).
const traffic = process.env.LVSFLEET_DEMO_TRAFFIC ?? "2,30";
try {
  parseSimTraffic(traffic, "LVSFLEET_DEMO_TRAFFIC");
} catch (error) {
  console.error(`demo: ${(error as Error).message}`);
  process.exit(2);
}
const agents = DEMO_AGENTS.map((a) => (a.host === "lb-master" ? { ...a, args: ["--sim-traffic", traffic] } : a));
const redis = await ensureRedis({
  url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  dataDir: join(root, ".data", "redis"),
});
console.log(
  redis.started ? `started redis-server at ${redis.url} (data in .data/redis)` : `using Redis at ${redis.url}`,
);

let fleet: Awaited<ReturnType<typeof startFleet>> | undefined;
let stopping = false;
async function stopAll(code: number) {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping the demo fleet, the server and what else the demo started…");
  await fleet?.stop().catch(() => undefined);
  await redis.stop();
  process.exit(code);
}
process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));

try {
  fleet = await startFleet({
    root,
    redisUrl: redis.url,
    token,
    dataDir,
    agents,
    port,
    env: {
      SLACK_SIGNING_SECRET: slackSecret,
      LVSFLEET_CHAT_RESPONSE_HOSTS: "hooks.slack.com,127.0.0.1",
      // npm run chat signs as Slack user U0001; map your own Slack users the same way.
      LVSFLEET_CHAT_USERS: process.env.LVSFLEET_CHAT_USERS ?? "U0001=admin",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    },
  });
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
  console.log(`
${status.text}
lvsfleet demo is running: server + Redis + four sim agents (the guide's topology; the 192.168.1.x
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

Logs are in .data/demo/logs. Ctrl-C stops everything the demo started.`);
} catch (error) {
  console.error(`demo failed: ${(error as Error).message}`);
  await stopAll(1);
}
