import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { DEMO_AGENTS, ensureRedis, startFleet } from "@lvsfleet/devfleet";
import { DEMO_CLUSTER } from "@lvsfleet/model";

/**
 * bench/command-latency: N weight changes through REST against the demo fleet (sim agents), in
 * two runs: as fast as `concurrency` clients can send them (commands per second, and the latency
 * at that saturation), then at a steady `rate` per second, each sent on schedule whether or not
 * earlier ones are done (enqueue-to-applied latency at that load: the job's createdAt → finishedAt,
 * both stamped by the server). Then each agent's resident memory and idle CPU.
 * Usage: node bench/dist/command-latency.js [count=1000] [concurrency=16] [rate=500]
 */
const count = Number(process.argv[2] ?? 1000);
const concurrency = Number(process.argv[3] ?? 16);
const rate = Number(process.argv[4] ?? 500);

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
// Whatever fails from here on (the fleet not starting included), Redis and the directory go.
const cleanup = async () => {
  await redis.stop();
  rmSync(dataDir, { recursive: true, force: true });
};
const fleet = await startFleet({
  redisUrl: redis.url,
  token: randomBytes(18).toString("base64url"),
  dataDir,
  agents: DEMO_AGENTS,
  // The benchmark is one client sending thousands of requests a minute: lift the per-token limit.
  env: { LOG_LEVEL: "warn", LVSFLEET_PREFIX: "bench", LVSFLEET_RATE_LIMIT_PER_MINUTE: "10000000" },
}).catch(async (error) => {
  await cleanup();
  throw error;
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
  /** Closed loop: `concurrency` clients, each sending the next change as soon as its last was accepted. */
  const saturate = async (n: number) => {
    const results: { id: string; restMs: number }[] = [];
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) results.push(await change(next++));
      }),
    );
    return { results, started };
  };
  /** Open loop: change i is sent at start + i/rate seconds, whatever happened before. */
  const paced = async (n: number) => {
    const started = Date.now();
    const t0 = performance.now();
    const pending: Promise<{ id: string; restMs: number }>[] = [];
    for (let i = 0; i < n; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(change(i));
    }
    return { results: await Promise.all(pending), started };
  };
  const summarize = async (label: string, run: { results: { id: string; restMs: number }[]; started: number }) => {
    const jobs = [];
    for (const r of run.results) jobs.push(await fleet.api.waitForJob(r.id, 60_000, 5));
    const failed = jobs.filter((j) => j.state !== "completed");
    const latencies = jobs.map((j) => Date.parse(j.finishedAt) - Date.parse(j.createdAt)).sort((a, b) => a - b);
    const rest = run.results.map((r) => r.restMs).sort((a, b) => a - b);
    const seconds = (Math.max(...jobs.map((j) => Date.parse(j.finishedAt))) - run.started) / 1000;
    console.log(`${label}: ${jobs.length - failed.length} completed, ${failed.length} failed`);
    console.log(
      `  enqueue→applied  p50 ${fmt(percentile(latencies, 50))} ms  p90 ${fmt(percentile(latencies, 90))} ms  p99 ${fmt(percentile(latencies, 99))} ms  max ${fmt(latencies.at(-1) ?? NaN)} ms`,
    );
    console.log(`  REST round trip  p50 ${fmt(percentile(rest, 50))} ms  p99 ${fmt(percentile(rest, 99))} ms`);
    console.log(
      `  throughput       ${fmt(jobs.length / seconds)} commands/s (${jobs.length} in ${seconds.toFixed(2)} s, first request to last job applied)`,
    );
  };

  console.log(`command-latency: ${count} weight changes via REST per run, ${DEMO_AGENTS.length} sim agents`);
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  await summarize("warm-up", await saturate(50));
  await summarize(`as fast as ${concurrency} concurrent clients can`, await saturate(count));
  await summarize(`steady ${rate} commands/s`, await paced(count));
  const final = (await fleet.api.get("/v1/clusters/web/status")).body;
  console.log(
    `final generation ${final.generation}, directors in sync: ${final.hosts.filter((h: any) => h.kind === "director").every((h: any) => h.inSync)}`,
  );

  // Agents at rest: resident memory, and CPU over a quiet 30 s (after 5 s to settle) with heartbeats flowing.
  await new Promise((r) => setTimeout(r, 5_000));
  const before = new Map([...fleet.agents].map(([host, a]) => [host, cpuTicks(a.pid)]));
  const idleMs = 30_000;
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
  await cleanup();
}
