import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentSpec, DEMO_AGENTS, type Fleet, startFleet } from "@lvsfleet/devfleet";
import { DEMO_CLUSTER } from "@lvsfleet/model";
import { inject } from "vitest";

export const SLACK_SECRET = "e2e-signing-secret";

/** The demo fleet as real processes against the tier's Redis, with a private key prefix. */
export async function startDemoFleet(
  env: NodeJS.ProcessEnv = {},
  agents: AgentSpec[] = DEMO_AGENTS,
): Promise<Fleet & { dataDir: string; cleanup(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), "lvsfleet-e2e-"));
  const fleet = await startFleet({
    redisUrl: inject("redisUrl"),
    token: randomBytes(18).toString("base64url"),
    dataDir,
    agents,
    env: {
      LVSFLEET_PREFIX: `e2e-${randomBytes(4).toString("hex")}`,
      SLACK_SIGNING_SECRET: SLACK_SECRET,
      LVSFLEET_CHAT_RESPONSE_HOSTS: "127.0.0.1",
      LVSFLEET_CHAT_USERS: "U0001=admin,U0002=operator,U0003=viewer",
      LVSFLEET_HEARTBEAT_MS: "300",
      LVSFLEET_JOB_BACKOFF_MS: "100",
      LVSFLEET_AGENT_DEADLINE_MS: "1500",
      LOG_LEVEL: "info",
      ...env,
    },
  });
  const put = await fleet.api.put("/v1/clusters/web", DEMO_CLUSTER);
  if (put.status !== 202) throw new Error(`PUT demo cluster: ${put.status} ${put.text}`);
  const start = await fleet.api.post("/v1/clusters/web/start");
  const job = await fleet.api.waitForJob(start.body.job.id);
  if (job.state !== "completed") throw new Error(`start failed: ${job.error}`);
  return {
    ...fleet,
    dataDir,
    async cleanup() {
      await fleet.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An HTTP server on 127.0.0.1 standing in for Slack's response_url; collects what is posted. */
export async function responseUrlServer(): Promise<{
  url: string;
  received: unknown[];
  next(timeoutMs?: number): Promise<any>;
  close(): void;
}> {
  const received: unknown[] = [];
  const waiters: ((body: unknown) => void)[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const parsed = JSON.parse(body);
      received.push(parsed);
      waiters.shift()?.(parsed);
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/slack/response`,
    received,
    next: (timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("nothing posted to the response_url")), timeoutMs);
        waiters.push((b) => {
          clearTimeout(timer);
          resolve(b);
        });
      }),
    close: () => server.close(),
  };
}

/** Weights of the http service's real servers as a director reports them (live status). */
export async function directorWeights(fleet: Fleet, host: string): Promise<Record<string, number>> {
  const { body } = await fleet.api.get("/v1/clusters/web/status");
  const director = body.hosts.find((h: any) => h.host === host);
  const service = director?.table?.services?.[0];
  return Object.fromEntries((service?.destinations ?? []).map((d: any) => [`${d.address}:${d.port}`, d.weight]));
}
