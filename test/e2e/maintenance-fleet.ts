import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentSpec, agentControlClient, DEMO_AGENTS, type Fleet, startFleet } from "@lvsfleet/devfleet";
import type { ClusterSpecInput } from "@lvsfleet/model";
import type { AgentClient } from "@lvsfleet/rpc";
import { inject } from "vitest";
import { SLACK_SECRET } from "./fleet.ts";

/** The guide's cluster with four real servers of weight 1 (web1…web4), so that 75 % is three of them. */
export const FOUR_SERVERS: ClusterSpecInput = {
  name: "web",
  vips: ["192.168.1.229"],
  directors: [
    { host: "lb-master", address: "192.168.1.252", role: "master", priority: 100, interface: "eth0" },
    { host: "lb-backup", address: "192.168.1.230", role: "backup", priority: 90, interface: "eth0" },
  ],
  services: [
    {
      name: "http",
      protocol: "tcp",
      address: "192.168.1.229",
      port: 80,
      scheduler: "wrr",
      forwarding: "dr",
      realServers: [
        { address: "192.168.1.220", port: 80, weight: 1, host: "web1" },
        { address: "192.168.1.231", port: 80, weight: 1, host: "web2" },
        { address: "192.168.1.221", port: 80, weight: 1, host: "web3" },
        { address: "192.168.1.222", port: 80, weight: 1, host: "web4" },
      ],
    },
  ],
};

export const SERVERS = ["192.168.1.220:80", "192.168.1.231:80", "192.168.1.221:80", "192.168.1.222:80"];

export const FOUR_AGENTS: AgentSpec[] = [
  ...DEMO_AGENTS,
  { host: "web3", role: "real-server", address: "192.168.1.221/24" },
  { host: "web4", role: "real-server", address: "192.168.1.222/24" },
];

export type MaintenanceFleet = Fleet & { dataDir: string; master: AgentClient; cleanup(): Promise<void> };

/** Redis, the server and six agents (two sim directors, four real servers) as real processes, mutual TLS. */
export async function startMaintenanceFleet(
  env: NodeJS.ProcessEnv = {},
  agents: AgentSpec[] = FOUR_AGENTS,
): Promise<MaintenanceFleet> {
  const dataDir = mkdtempSync(join(tmpdir(), "lvsfleet-maint-"));
  const fleet = await startFleet({
    redisUrl: inject("redisUrl"),
    token: randomBytes(18).toString("base64url"),
    dataDir,
    agents,
    env: {
      LVSFLEET_PREFIX: `maint-${randomBytes(4).toString("hex")}`,
      SLACK_SIGNING_SECRET: SLACK_SECRET,
      LVSFLEET_CHAT_RESPONSE_HOSTS: "127.0.0.1",
      LVSFLEET_CHAT_USERS: "U0001=admin,U0002=operator,U0003=viewer",
      LVSFLEET_HEARTBEAT_MS: "300",
      LVSFLEET_JOB_BACKOFF_MS: "100",
      LVSFLEET_AGENT_DEADLINE_MS: "1500",
      LVSFLEET_JOB_LOCK_MS: "1500",
      LVSFLEET_MAINTENANCE_POLL_MS: "100",
      LOG_LEVEL: "info",
      ...env,
    },
  });
  const put = await fleet.api.put("/v1/clusters/web", FOUR_SERVERS);
  if (put.status !== 202) throw new Error(`PUT cluster: ${put.status} ${put.text}`);
  const start = await fleet.api.post("/v1/clusters/web/start");
  const job = await fleet.api.waitForJob(start.body.job.id);
  if (job.state !== "completed") throw new Error(`start failed: ${job.error}`);
  const master = await agentControlClient({
    dataDir,
    host: "lb-master",
    endpoint: fleet.agents.get("lb-master")!.ready.endpoint,
    role: "director",
  });
  return {
    ...fleet,
    dataDir,
    master,
    async cleanup() {
      master.close();
      await fleet.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const FINAL = new Set(["completed", "failed", "cancelled"]);

/** Polls a maintenance job until it is completed, failed or cancelled. */
export function finished(fleet: Fleet, id: string, timeoutMs = 30_000): Promise<any> {
  return until(
    `job ${id} to finish`,
    async () => {
      const { status, body } = await fleet.api.get(`/v1/jobs/${id}`);
      return status === 200 && FINAL.has(body.state) ? body : undefined;
    },
    timeoutMs,
  );
}

/** The http service's weights in the desired state (the spec), by ADDRESS:PORT. */
export async function specWeights(fleet: Fleet): Promise<Record<string, number>> {
  const { body } = await fleet.api.get("/v1/clusters/web");
  return Object.fromEntries(body.spec.services[0].realServers.map((r: any) => [`${r.address}:${r.port}`, r.weight]));
}

/** Reads a job's SSE stream to its end: every event, in the order received. */
export async function readEvents(fleet: Fleet, id: string, after = 0): Promise<any[]> {
  const response = await fetch(`${fleet.url}/v1/jobs/${id}/events${after ? `?after=${after}` : ""}`, {
    headers: { authorization: `Bearer ${fleet.api.token}`, accept: "text/event-stream" },
  });
  if (response.status !== 200) throw new Error(`events: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text
    .split("\n\n")
    .map((block) => block.split("\n").find((l) => l.startsWith("data:")))
    .filter((l): l is string => Boolean(l))
    .map((l) => JSON.parse(l.slice(5)));
}
