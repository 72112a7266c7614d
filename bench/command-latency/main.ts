import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { DEMO_AGENTS, ensureRedis, startFleet } from "@lvsfleet/devfleet";
import { DEMO_CLUSTER } from "@lvsfleet/model";

/**
 * bench/command-latency: N weight changes through REST against the demo fleet (sim agents),
 * measuring enqueue-to-applied latency (the job's createdAt → finishedAt, both stamped by the
 * server) and commands per second; then each agent's resident memory and idle CPU.
 * Usage: node bench/dist/command-latency.js [count=1000] [concurrency=16]
 */
const count = Number(process.argv[2] ?? 1000);
const concurrency = Number(process.argv[3] ?? 16);

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const fmt = (n: number) => n.toFixed(1);

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime, after the comm field
}
/** Proportional set size and private memory (smaps_rollup): RSS counts the node binary's pages, shared by every node process. */
function sharedAwareKb(pid: number): { pss: number; private: number; sharedClean: number } {
  const fields = Object.fromEntries(
    readFileSync(`/proc/${pid}/smaps_rollup`, "utf8")
      .split("\n")
      .map((l) => l.split(/:\s+/))
      .filter((p) => p.length === 2)
      .map(([k, v]) => [k, Number.parseInt(v ?? "0", 10)]),
  ) as Record<string, number>;
  return {
    pss: fields.Pss ?? 0,
    private: (fields.Private_Dirty ?? 0) + (fields.Private_Clean ?? 0),
    sharedClean: fields.Shared_Clean ?? 0,
  };
}

function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

const dataDir = mkdtempSync(join(tmpdir(), "lvsfleet-bench-"));
const redis = await ensureRedis({ dataDir: join(dataDir, "redis") });
const fleet = await startFleet({
  redisUrl: redis.url,
  token: randomBytes(18).toString("base64url"),
  dataDir,
  agents: DEMO_AGENTS,
  // The benchmark is one client sending thousands of requests a minute: lift the per-token limit.
  env: { LOG_LEVEL: "warn", LVSFLEET_PREFIX: "bench", LVSFLEET_RATE_LIMIT_PER_MINUTE: "10000000" },
});
try {
  await fleet.api.put("/v1/clusters/web", DEMO_CLUSTER);
  await fleet.api.waitForJob((await fleet.api.post("/v1/clusters/web/start")).body.job.id);
  const targets = ["192.168.1.220:80", "192.168.1.231:80"];
  const change = async (i: number) => {
    const t0 = performance.now();
    const response = await fleet.api.patch(`/v1/clusters/web/services/http/real-servers/${targets[i % 2]}`, {
      weight: 1 + (i % 100),
    });
    if (response.status !== 202) throw new Error(`PATCH: ${response.status} ${response.text}`);
    return { id: response.body.job.id as string, restMs: performance.now() - t0 };
  };
  const run = async (n: number) => {
    const results: { id: string; restMs: number }[] = [];
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) results.push(await change(next++));
      }),
    );
    const jobs = [];
    for (const r of results) jobs.push(await fleet.api.waitForJob(r.id, 60_000, 5));
    return { results, jobs, started };
  };
  await run(50); // warm-up: JIT, connections
  const { results, jobs, started } = await run(count);
  const failed = jobs.filter((j) => j.state !== "completed");
  const latencies = jobs.map((j) => Date.parse(j.finishedAt) - Date.parse(j.createdAt)).sort((a, b) => a - b);
  const rest = results.map((r) => r.restMs).sort((a, b) => a - b);
  const lastFinished = Math.max(...jobs.map((j) => Date.parse(j.finishedAt)));
  const seconds = (lastFinished - started) / 1000;
  const final = (await fleet.api.get("/v1/clusters/web/status")).body;

  console.log(
    `command-latency: ${count} weight changes via REST, ${concurrency} concurrent clients, ${DEMO_AGENTS.length} sim agents`,
  );
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  console.log(
    `jobs: ${jobs.length - failed.length} completed, ${failed.length} failed; final generation ${final.generation}, directors in sync: ${final.hosts.filter((h: any) => h.kind === "director").every((h: any) => h.inSync)}`,
  );
  console.log(
    `enqueue→applied  p50 ${fmt(percentile(latencies, 50))} ms  p90 ${fmt(percentile(latencies, 90))} ms  p99 ${fmt(percentile(latencies, 99))} ms  max ${fmt(latencies.at(-1) ?? NaN)} ms`,
  );
  console.log(`REST round trip  p50 ${fmt(percentile(rest, 50))} ms  p99 ${fmt(percentile(rest, 99))} ms`);
  console.log(
    `throughput       ${fmt(count / seconds)} commands/s (${count} in ${seconds.toFixed(2)} s, first request to last job applied)`,
  );

  // Agents at rest: resident memory, and CPU over a quiet 10 s with heartbeats flowing.
  await new Promise((r) => setTimeout(r, 2_000));
  const before = new Map([...fleet.agents].map(([host, a]) => [host, cpuTicks(a.pid)]));
  const idleMs = 10_000;
  await new Promise((r) => setTimeout(r, idleMs));
  const hz = 100; // USER_HZ on Linux
  for (const [host, agent] of fleet.agents) {
    const cpu = ((cpuTicks(agent.pid) - (before.get(host) ?? 0)) / hz / (idleMs / 1000)) * 100;
    const mem = sharedAwareKb(agent.pid);
    const mb = (kb: number) => (kb / 1024).toFixed(1);
    console.log(
      `agent ${host.padEnd(9)} RSS ${mb(rssKb(agent.pid))} MB (shared node binary ${mb(mem.sharedClean)} MB, private ${mb(mem.private)} MB, PSS ${mb(mem.pss)} MB)  idle CPU ${cpu.toFixed(2)} % of a core`,
    );
  }
  console.log(`server           RSS ${(rssKb(fleet.server.pid) / 1024).toFixed(1)} MB`);
} finally {
  await fleet.stop();
  await redis.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
