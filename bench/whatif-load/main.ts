import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { DEMO_AGENTS, ensureRedis, signSlackCommand, startFleet } from "@lvsfleet/devfleet";
import { DEMO_CLUSTER } from "@lvsfleet/model";
import { Redis } from "ioredis";

/**
 * bench/whatif-load: does a viewer hammering POST /v1/clusters/{cluster}/simulate stall the rest of
 * the server? The demo fleet (Redis, the server and four sim agents as real processes, loopback
 * only); first a quiet phase, then `loops` concurrent clients sending the dearest what-if the
 * budget accepts, back to back, for `seconds`. In both phases it measures, against the same server:
 * - GET /v1/health latency (a request every 50 ms, whether or not the last was answered);
 * - the ack of a signed chat `status` (one every 250 ms, likewise), which Slack wants in < 3 s;
 * - agent heartbeat gaps: the server writes each heartbeat into Redis; Redis keyspace events give
 *   the time of each write, so a gap longer than the heartbeat period is a heartbeat the server
 *   handled late (3 periods missed: the agent is marked unreachable).
 * Usage: node bench/dist/whatif-load.js [--loops 20] [--seconds 30] [--cps N] [--root DIR]
 *   --cps: the what-if's connectionsPerSecond (default: the largest the server's budget accepts,
 *          which it names in its 400); give it to run the same question against a server without
 *          that budget. --root: another checkout whose built dist/ programs to run (e.g. the code
 *          before a change), with this checkout's bench.
 */
interface HammerOrder {
  url: string;
  token: string;
  cps: number;
  loops: number;
  seconds: number;
}
interface HammerResult {
  /** HTTP status → how many answers had it */
  outcomes: Record<number, number>;
  /** How long each 200 took, ms */
  answered: number[];
}

/** The dearest accepted what-if: drain web2 with persistence (its branch watches it to the one-hour horizon). */
function simulateRequest(url: string, token: string, cps: number) {
  return fetch(new URL("/v1/clusters/web/simulate", url), {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      change: { kind: "drain", server: "192.168.1.231:80" },
      traffic: { connectionsPerSecond: cps, clients: 2000, persistence: true, durationSeconds: 300 },
    }),
  });
}

/** The viewers: `loops` clients each sending the next question as soon as the last is answered (or refused). */
async function hammer(order: HammerOrder): Promise<HammerResult> {
  const result: HammerResult = { outcomes: {}, answered: [] };
  const until = performance.now() + order.seconds * 1000;
  await Promise.all(
    Array.from({ length: order.loops }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        // 0: no HTTP answer at all (e.g. a kept-alive connection the stalled server reset)
        const status = await simulateRequest(order.url, order.token, order.cps).then(
          async (response) => {
            await response.text();
            return response.status;
          },
          () => 0,
        );
        result.outcomes[status] = (result.outcomes[status] ?? 0) + 1;
        if (status === 200) result.answered.push(performance.now() - t0);
      }
    }),
  );
  return result;
}

if (isMainThread) await bench();
else parentPort?.postMessage(await hammer(workerData as HammerOrder));

async function bench(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      loops: { type: "string", default: "20" },
      seconds: { type: "string", default: "30" },
      cps: { type: "string" },
      root: { type: "string" },
    },
  });
  const loops = Number(args.loops);
  const seconds = Number(args.seconds);
  const HEARTBEAT_MS = 250;
  const SECRET = "bench-signing-secret";
  const PREFIX = "bench";

  const percentile = (sorted: number[], p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
  const fmt = (n: number) => (Number.isNaN(n) ? "-" : n.toFixed(1));
  const summary = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `n ${sorted.length}  p50 ${fmt(percentile(sorted, 50))}  p99 ${fmt(percentile(sorted, 99))}  max ${fmt(sorted.at(-1) ?? Number.NaN)} ms`;
  };
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

  const dataDir = mkdtempSync(join(tmpdir(), "lvsfleet-bench-whatif-"));
  const redis = await ensureRedis({ dataDir: join(dataDir, "redis") });
  const cleanup = async () => {
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const token = randomBytes(18).toString("base64url");
  const fleet = await startFleet({
    ...(args.root ? { root: resolve(args.root) } : {}),
    redisUrl: redis.url,
    token,
    dataDir,
    agents: DEMO_AGENTS,
    env: {
      LOG_LEVEL: "warn",
      LVSFLEET_PREFIX: PREFIX,
      LVSFLEET_HEARTBEAT_MS: String(HEARTBEAT_MS),
      SLACK_SIGNING_SECRET: SECRET,
      LVSFLEET_CHAT_USERS: "UBENCH=viewer",
      // the point is the server's event loop, not the per-caller limits: lift them
      LVSFLEET_RATE_LIMIT_PER_MINUTE: "10000000",
      LVSFLEET_CHAT_RATE_LIMIT_PER_MINUTE: "100000",
    },
  }).catch(async (error) => {
    await cleanup();
    throw error;
  });
  const watcher = new Redis(redis.url, { lazyConnect: true });
  let stopWatching = () => {};
  const reader = new Redis(redis.url, { lazyConnect: true });
  try {
    await Promise.all([watcher.connect(), reader.connect()]);
    await fleet.api.put("/v1/clusters/web", DEMO_CLUSTER);
    await fleet.api.waitForJob((await fleet.api.post("/v1/clusters/web/start")).body.job.id);
    const viewer = (await fleet.api.post("/v1/tokens", { name: "bench-viewer", role: "viewer" })).body.token as string;
    const simulate = (cps: number) => simulateRequest(fleet.url, viewer, cps);

    // The dearest accepted question: drain web2 with persistence (the after branch watches it to the
    // one-hour horizon) at the highest rate the budget takes, which its refusal names.
    let cps = args.cps === undefined ? undefined : Number(args.cps);
    if (cps === undefined) {
      const probe = await simulate(10_000);
      const body = (await probe.json()) as { error?: { details?: { field: string; message: string }[] } };
      const rate = body.error?.details?.find((d) => d.field === "traffic.connectionsPerSecond")?.message;
      const fits = rate && /give at most (\d+)\/s/.exec(rate)?.[1];
      if (probe.status !== 400 || !fits)
        throw new Error(`the server names no rate that fits its budget (HTTP ${probe.status}): give --cps`);
      cps = Number(fits);
    }
    const check = await simulate(cps);
    if (check.status !== 200)
      throw new Error(`the what-if at ${cps}/s is not accepted: ${check.status} ${await check.text()}`);
    await check.text();

    console.log(
      `whatif-load: ${loops} concurrent viewers sending POST /v1/clusters/web/simulate (drain 192.168.1.231:80, persistence, ${cps} conn/s, 300 s + 3600 s horizon) for ${seconds} s; ${DEMO_AGENTS.length} sim agents, heartbeats every ${HEARTBEAT_MS} ms${args.root ? `; programs from ${resolve(args.root)}` : ""}`,
    );
    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );

    // heartbeats: every write of an agent's liveness, timed by the keyspace event of its hash
    await reader.config("SET", "notify-keyspace-events", "Kh");
    const statusKey = `${PREFIX}:agent-status`;
    const lastBeat = new Map<string, number>();
    const lastSeen = new Map<string, number>();
    let gaps: number[] = [];
    /** Agents the server marked unreachable (reachable → not), during the phase. */
    let unreachable = 0;
    const reachable = new Map<string, boolean>();
    let watching = true;
    watcher.on("message", () => {
      if (!watching) return;
      const at = performance.now();
      void reader.hgetall(statusKey).then(
        (all) => {
          for (const [host, raw] of Object.entries(all)) {
            const liveness = JSON.parse(raw) as { lastHeartbeat?: number; reachable?: boolean };
            if (reachable.get(host) === true && liveness.reachable === false) unreachable += 1;
            reachable.set(host, liveness.reachable !== false);
            if (liveness.lastHeartbeat === undefined || liveness.lastHeartbeat === lastBeat.get(host)) continue;
            lastBeat.set(host, liveness.lastHeartbeat);
            const previous = lastSeen.get(host);
            if (previous !== undefined) gaps.push(at - previous);
            lastSeen.set(host, at);
          }
        },
        () => undefined,
      ); // the connection closes at the end
    });
    await watcher.subscribe(`__keyspace@0__:${statusKey}`);
    stopWatching = () => {
      watching = false;
    };

    let running = false;
    const health: number[] = [];
    const acks: number[] = [];
    /** Probes with no answer, or a wrong one (a connection reset by a stalled server counts here). */
    const failures = { health: 0, chat: 0 };
    /**
     * Open loop: a probe every `everyMs` whether or not the ones before have been answered, so that
     * a stalled server shows as many slow answers, not as one (no coordinated omission).
     */
    const openLoop = async (
      everyMs: number,
      probe: () => Promise<boolean>,
      into: number[],
      failed: "health" | "chat",
    ) => {
      const pending: Promise<void>[] = [];
      for (let next = performance.now(); running; next += everyMs) {
        const t0 = performance.now();
        pending.push(
          probe().then(
            (ok) => {
              if (ok) into.push(performance.now() - t0);
              else failures[failed] += 1;
            },
            () => {
              failures[failed] += 1;
            },
          ),
        );
        await sleep(Math.max(0, next + everyMs - performance.now()));
      }
      await Promise.all(pending);
    };
    const probeHealth = async () => {
      const response = await fetch(new URL("/v1/health", fleet.url));
      await response.text();
      return response.status === 200;
    };
    const probeChat = async () => {
      const { body, headers } = signSlackCommand(SECRET, { text: "status", user_id: "UBENCH", user_name: "bench" });
      const response = await fetch(new URL("/v1/chat/slack/commands", fleet.url), { method: "POST", headers, body });
      const reply = (await response.json()) as { text?: string };
      return response.status === 200 && reply.text?.includes("director lb-master") === true;
    };
    const probes = () =>
      Promise.all([openLoop(50, probeHealth, health, "health"), openLoop(250, probeChat, acks, "chat")]);
    const phase = async (label: string, load: () => Promise<void>) => {
      health.length = 0;
      acks.length = 0;
      failures.health = 0;
      failures.chat = 0;
      gaps = [];
      unreachable = 0;
      running = true;
      let measured: unknown;
      const measuring = probes().catch((error: unknown) => {
        measured = error;
      });
      await load().finally(() => {
        running = false;
      });
      await measuring;
      if (measured) throw measured;
      console.log(`${label}`);
      console.log(`  GET /v1/health            ${summary(health)}; failed ${failures.health}`);
      console.log(`  chat status ack           ${summary(acks)}; failed ${failures.chat}`);
      console.log(
        `  heartbeat gaps (${HEARTBEAT_MS} ms) ${summary(gaps)}; over 2 periods: ${gaps.filter((g) => g > 2 * HEARTBEAT_MS).length}, agents marked unreachable: ${unreachable}`,
      );
    };

    await sleep(3_000); // let the heartbeats settle after the check above
    await phase("quiet (no simulations), 10 s", () => sleep(10_000));

    // the viewers run in a thread of their own, so that their loops do not delay this thread's probes
    let result: HammerResult | undefined;
    await phase(`${loops} viewers hammering simulate, ${seconds} s`, async () => {
      const hammer = new Worker(new URL(import.meta.url), {
        workerData: { url: fleet.url, token: viewer, cps, loops, seconds } satisfies HammerOrder,
      });
      result = await new Promise<HammerResult>((done, fail) => {
        hammer.once("message", done);
        hammer.once("error", fail);
      });
      await hammer.terminate();
    });
    console.log(
      `  simulate answers: ${Object.entries(result?.outcomes ?? {})
        .map(([status, n]) => `${status}×${n}`)
        .join(", ")}; 200s took ${summary(result?.answered ?? [])}`,
    );
  } finally {
    stopWatching();
    watcher.disconnect();
    reader.disconnect();
    await fleet.stop();
    await cleanup();
  }
}
