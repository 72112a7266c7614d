import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseAgentOptions } from "@lvsfleet/agent-runtime";
import { ensureRedis, startFleet } from "@lvsfleet/devfleet";
import type { ClusterSpecInput } from "@lvsfleet/model";
import { type AgentApi, serveAgent } from "@lvsfleet/rpc";
import pino from "pino";
import { directorProgram } from "../../agents/director/src/program.ts";

/**
 * bench/jobs: N clusters, each with its own sim director, one drain job each, all submitted at
 * once. Clients hold connections on the drained real server for H seconds (the drain's own wait).
 * Measures the time until every job completes and the queue's overhead beyond the drains' waits:
 * queue pickup (createdAt → startedAt), the gap between consecutive steps, each step that is not
 * the wait (the weight change: spec write + Apply on the director; the mark), and per job the
 * total minus the wait. The directors run in this process (N gRPC servers; N processes would not
 * fit a small machine); the server and Redis are real processes.
 * `queue` mode gives the clusters no director at all: the drains have nothing to wait for and
 * nothing to apply, so what is left is the queue's own cost (pickup, lock, state, events).
 * Usage: node bench/dist/jobs.js [clusters=200] [holdSeconds=2] [agents|queue]
 */
const clusters = Number(process.argv[2] ?? 200);
const holdSeconds = Number(process.argv[3] ?? 2);
const queueOnly = process.argv[4] === "queue";

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
};
const row = (name: string, values: number[]) =>
  `${name.padEnd(44)} p50 ${percentile(values, 50).toFixed(1).padStart(7)}  p90 ${percentile(values, 90).toFixed(1).padStart(7)}  p99 ${percentile(values, 99).toFixed(1).padStart(7)}  max ${Math.max(
    ...values,
  )
    .toFixed(1)
    .padStart(7)} ms`;
const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);
/** A process's CPU time (user + system) in ms, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
/** Labels in 198.18.0.0/15 (nothing dials them: sim agents): cluster i's director (0), real servers (1, 2), VIP (3). */
const label = (i: number, role: 0 | 1 | 2 | 3) => {
  const n = i * 4 + role + 1;
  return `198.18.${n >> 8}.${n & 255}`;
};

const dataDir = mkdtempSync(join(tmpdir(), "lvsfleet-bench-jobs-"));
const redis = await ensureRedis({ dataDir: join(dataDir, "redis") });
// Whatever fails from here on (the server not starting included), Redis and the directory go.
const cleanup = async () => {
  await redis.stop();
  rmSync(dataDir, { recursive: true, force: true });
};
const token = randomBytes(18).toString("base64url");
const fleet = await startFleet({
  redisUrl: redis.url,
  token,
  dataDir,
  agents: [],
  insecure: true,
  env: {
    LOG_LEVEL: "warn",
    LVSFLEET_PREFIX: `bench-jobs-${randomBytes(3).toString("hex")}`,
    LVSFLEET_RATE_LIMIT_PER_MINUTE: "10000000",
    LVSFLEET_MAINTENANCE_CONCURRENCY: String(Math.max(256, clusters)),
    LVSFLEET_MAINTENANCE_POLL_MS: process.env.POLL_MS ?? "100",
    // PROFILE_DIR=… writes the server's CPU profile there (node --cpu-prof) when it stops.
    ...(process.env.PROFILE_DIR ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.PROFILE_DIR}` } : {}),
  },
}).catch(async (error) => {
  await cleanup();
  throw error;
});
const log = pino({ level: "warn" });
const agents: { handlers: AgentApi & { close(): Promise<void> }; close(): Promise<void> }[] = [];
try {
  // The directors: sim data plane, in this process, registered as an operator would (PUT /v1/agents/{host}).
  for (let i = 0; i < (queueOnly ? 0 : clusters); i++) {
    const host = `d${i}`;
    const stateDir = join(dataDir, "agents", host);
    const options = parseAgentOptions(["--host", host, "--address", `${label(i, 0)}/24`, "--state-dir", stateDir]);
    const handlers = await directorProgram.create({ options, stateDir, log });
    const server = await serveAgent(handlers, { listen: "127.0.0.1:0" });
    agents.push({ handlers, close: () => server.close() });
    const put = await fleet.api.put(`/v1/agents/${host}`, {
      endpoint: `127.0.0.1:${server.port}`,
      role: "director",
      driver: "sim",
    });
    if (put.status !== 200) throw new Error(`register ${host}: ${put.status} ${put.text}`);
  }
  const spec = (i: number): ClusterSpecInput => ({
    name: `c${i}`,
    vips: [label(i, 3)],
    directors: queueOnly ? [] : [{ host: `d${i}`, address: label(i, 0), role: "master", priority: 100 }],
    services: [
      {
        name: "http",
        address: label(i, 3),
        port: 80,
        scheduler: "wrr",
        realServers: [
          { address: label(i, 1), port: 80, weight: 3 },
          { address: label(i, 2), port: 80, weight: 1 },
        ],
      },
    ],
  });
  const starts: string[] = [];
  for (let i = 0; i < clusters; i++) {
    const put = await fleet.api.put(`/v1/clusters/c${i}`, spec(i));
    if (put.status !== 202) throw new Error(`PUT c${i}: ${put.status} ${put.text}`);
    starts.push((await fleet.api.post(`/v1/clusters/c${i}/start`)).body.job.id);
  }
  for (const id of starts) {
    const job = await fleet.api.waitForJob(id, 120_000, 20);
    if (job.state !== "completed") throw new Error(`start: ${job.error}`);
  }
  // Clients on the server to drain: 3 connections that end after holdSeconds.
  await Promise.all(
    agents.map((a, i) =>
      a.handlers.setSimulatedTraffic({
        releaseHeld: false,
        hold: [{ address: label(i, 2), port: 80, count: 3, lifetimeSeconds: holdSeconds }],
      }),
    ),
  );
  const serverCpuBefore = cpuMs(fleet.server.pid);
  const submitted = performance.now();
  const ids = await Promise.all(
    Array.from({ length: clusters }, async (_, i) => {
      const response = await fleet.api.post(`/v1/clusters/c${i}/jobs`, {
        kind: "drain",
        targets: [`${label(i, 2)}:80`],
        options: { timeout: "2m" },
      });
      if (response.status !== 202) throw new Error(`drain c${i}: ${response.status} ${response.text}`);
      return response.body.job.id as string;
    }),
  );
  const submitMs = performance.now() - submitted;
  const jobs: any[] = [];
  for (const id of ids) {
    for (;;) {
      const { body } = await fleet.api.get(`/v1/jobs/${id}`);
      if (["completed", "failed", "cancelled"].includes(body.state)) {
        jobs.push(body);
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const serverCpu = cpuMs(fleet.server.pid) - serverCpuBefore;
  const failed = jobs.filter((j) => j.state !== "completed");
  const first = Math.min(...jobs.map((j) => ms(j.createdAt)));
  const last = Math.max(...jobs.map((j) => ms(j.finishedAt)));
  const pickup = jobs.map((j) => ms(j.startedAt) - ms(j.createdAt));
  const gaps = jobs.flatMap((j) => [
    ms(j.steps[0].startedAt) - ms(j.startedAt),
    ...j.steps.slice(1).map((s: any, k: number) => ms(s.startedAt) - ms(j.steps[k].finishedAt)),
  ]);
  const stepRun = (kind: string) =>
    jobs.flatMap((j) =>
      j.steps.filter((s: any) => s.kind === kind).map((s: any) => ms(s.finishedAt) - ms(s.startedAt)),
    );
  const waits = stepRun("wait-drained");
  const overhead = jobs.map((j, k) => ms(j.finishedAt) - ms(j.createdAt) - (waits[k] ?? 0));

  console.log(
    queueOnly
      ? `jobs (queue only): ${clusters} clusters without directors × 1 drain, all submitted at once`
      : `jobs: ${clusters} clusters × 1 drain, all submitted at once; clients hold 3 connections for ${holdSeconds} s`,
  );
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; poll ${process.env.POLL_MS ?? "100"} ms`,
  );
  console.log(`submitted ${clusters} jobs in ${submitMs.toFixed(0)} ms (REST, all at once)`);
  console.log(
    `all complete ${((last - first) / 1000).toFixed(2)} s after the first was queued (${failed.length} failed${failed.length ? `: ${failed[0].error}` : ""})`,
  );
  console.log(row("queue pickup (createdAt → startedAt)", pickup));
  console.log(row("between steps (queue/state overhead per step)", gaps));
  console.log(row("step: weight 0 (spec write + Apply)", stepRun("drain")));
  console.log(row("step: mark (maintenance mark)", stepRun("mark")));
  console.log(row("step: wait-drained (the drain's own wait)", waits));
  console.log(row("per job: total − wait", overhead));
  const transitions = jobs.reduce((n, j) => n + j.steps.length, 0);
  console.log(
    `server CPU: ${serverCpu} ms for ${clusters} jobs (REST submit, queue, ${transitions} steps, polling, status reads): ${(serverCpu / clusters).toFixed(1)} ms per job, ${(serverCpu / transitions).toFixed(1)} ms per step`,
  );
} finally {
  await Promise.all(
    agents.map(async (a) => {
      await a.close();
      await a.handlers.close();
    }),
  );
  await fleet.stop();
  await cleanup();
}
