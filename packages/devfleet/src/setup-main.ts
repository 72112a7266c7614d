import { DEMO_CLUSTER } from "@lvsfleet/model";
import { Api } from "./api.ts";
import { DEMO_AGENTS } from "./fleet.ts";

/**
 * Creates and starts the demo cluster on a running server (used by docker-compose's `setup`
 * service): waits for the server and the four agents, PUTs the spec, starts it, prints the table.
 * Settings: LVSFLEET_URL (http://127.0.0.1:8080; an https:// server needs its CA in NODE_EXTRA_CA_CERTS),
 * LVSFLEET_API_TOKEN.
 */
const url = process.env.LVSFLEET_URL ?? "http://127.0.0.1:8080";
const token = process.env.LVSFLEET_API_TOKEN;
if (!token) {
  console.error("set LVSFLEET_API_TOKEN");
  process.exit(2);
}
const api = new Api(url, token);
const deadline = Date.now() + 120_000;
for (;;) {
  const agents = await api.get("/v1/agents").catch(() => undefined);
  const up = new Set(
    (agents?.body?.agents ?? [])
      .filter((a: { reachable: boolean }) => a.reachable)
      .map((a: { host: string }) => a.host),
  );
  if (DEMO_AGENTS.every((a) => up.has(a.host))) break;
  if (Date.now() > deadline) {
    console.error(
      `agents not reachable after 120 s: ${DEMO_AGENTS.filter((a) => !up.has(a.host))
        .map((a) => a.host)
        .join(", ")}`,
    );
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 500));
}
const put = await api.put("/v1/clusters/web", DEMO_CLUSTER);
if (put.status !== 202) throw new Error(`PUT /v1/clusters/web: ${put.status} ${put.text}`);
const job = await api.waitForJob((await api.post("/v1/clusters/web/start")).body.job.id);
if (job.state !== "completed") throw new Error(`start failed: ${job.error}`);
console.log((await api.get("/v1/clusters/web/status?format=text")).text);
