import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Api, type DemoProcess, DemoProcesses, ensureRedis, redisAnswers, repoRoot } from "@lvsfleet/devfleet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "./maintenance-fleet.ts";

/**
 * The demo as a user runs it, with the high-availability knobs: `LVSFLEET_DEMO_REPLICAS=3
 * LVSFLEET_DEMO_SENTINEL=1` (the built demo, its own data directory and port). It lists every
 * process in processes.json; each is what it says, the replicas serve one fleet, one supervises, a
 * killed supervisor is replaced, and Ctrl-C (SIGINT) stops every process the demo started.
 */

const RS1 = "/v1/clusters/web/services/http/real-servers/192.168.1.220:80";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A port with the next two free as well (the replicas listen on PORT, PORT+1, PORT+2). */
async function threeFreePorts(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await portIsFree(port)) && (await portIsFree(port + 1)) && (await portIsFree(port + 2))) return port;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** Whether the process with this pid is (still) the program its entry says. */
function isKind(p: DemoProcess): boolean {
  const command = commandLine(p.pid);
  switch (p.kind) {
    case "server":
      return /server\/dist\/main\.js/.test(command);
    case "agent":
      return new RegExp(`agents/(director|realserver)/dist/main\\.js .*--host ${p.name} `).test(command);
    default:
      // redis-server names itself by its address, and a sentinel adds [sentinel]
      return (
        command.includes(`redis-server ${p.url!.slice("redis://".length)}`) &&
        command.includes("[sentinel]") === (p.kind === "sentinel")
      );
  }
}

async function health(url: string): Promise<{ replica: string; supervisor: boolean } | undefined> {
  const response = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(2_000) });
  return response.status === 200 ? ((await response.json()) as { replica: string; supervisor: boolean }) : undefined;
}

async function directorWeights(api: Api, host: string): Promise<Record<string, number>> {
  const { body } = await api.get("/v1/clusters/web/status");
  const director = body.hosts.find((h: any) => h.host === host);
  const service = director?.table?.services?.[0];
  return Object.fromEntries((service?.destinations ?? []).map((d: any) => [`${d.address}:${d.port}`, d.weight]));
}

describe("npm run demo with LVSFLEET_DEMO_REPLICAS=3 LVSFLEET_DEMO_SENTINEL=1", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "lvsfleet-e2e-demo-"));
  const processesFile = join(dataDir, "processes.json");
  const token = randomBytes(18).toString("base64url");
  let port: number;
  let demo: ChildProcess;
  let output = "";
  let listed: DemoProcess[] = [];
  const demoExited = () => demo.exitCode !== null || demo.signalCode !== null;
  const readProcesses = () => DemoProcesses.parse(JSON.parse(readFileSync(processesFile, "utf8")));
  const servers = () => listed.filter((p) => p.kind === "server");

  beforeAll(async () => {
    port = await threeFreePorts();
    const { REDIS_URL: _theTiersRedis, ...env } = process.env;
    demo = spawn(process.execPath, [join(repoRoot(), "packages", "devfleet", "dist", "demo.js")], {
      cwd: repoRoot(),
      env: {
        ...env,
        LVSFLEET_DEMO_REPLICAS: "3",
        LVSFLEET_DEMO_SENTINEL: "1",
        LVSFLEET_DEMO_DATA: dataDir,
        LVSFLEET_DEMO_TRAFFIC: "0",
        LVSFLEET_API_TOKEN: token,
        PORT: String(port),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    demo.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    demo.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    await until(
      "the demo to say it is running",
      async () => {
        if (demoExited()) throw new Error(`the demo exited (${demo.exitCode ?? demo.signalCode}):\n${output}`);
        return output.includes("lvsfleet demo is running") ? true : undefined;
      },
      55_000,
    ).catch((error) => {
      if (demoExited()) throw new Error(`the demo exited (${demo.exitCode ?? demo.signalCode}):\n${output}`);
      throw error;
    });
    listed = readProcesses();
  }, 60_000);

  afterAll(async () => {
    // Whatever a failed test left: the demo, then anything it listed (by pid).
    if (demo && !demoExited()) {
      demo.kill("SIGINT");
      await Promise.race([new Promise((r) => demo.once("exit", r)), sleep(15_000)]);
      if (!demoExited()) demo.kill("SIGKILL");
    }
    for (const p of listed) if (alive(p.pid) && isKind(p)) process.kill(p.pid, "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it("lists every process it started in processes.json, each alive and of the stated kind", () => {
    expect(listed.map((p) => p.name).sort()).toEqual(
      [
        "lb-backup",
        "lb-master",
        "redis-master",
        "redis-replica",
        "sentinel-1",
        "sentinel-2",
        "sentinel-3",
        "server-1",
        "server-2",
        "server-3",
        "web1",
        "web2",
      ].sort(),
    );
    for (const p of listed) {
      expect(alive(p.pid), `${p.name} (pid ${p.pid}) is alive`).toBe(true);
      expect(isKind(p), `${p.name} (pid ${p.pid}) is a ${p.kind}: ${commandLine(p.pid)}`).toBe(true);
    }
    expect(listed.filter((p) => p.kind === "sentinel")).toHaveLength(3);
    expect(listed.filter((p) => p.kind === "redis")).toHaveLength(2);
    expect(listed.filter((p) => p.kind === "agent")).toHaveLength(4);
    expect(servers().map((p) => p.url)).toEqual([0, 1, 2].map((i) => `http://127.0.0.1:${port + i}`));
    expect(output).toContain("Each agent takes one --server address");
  });

  it("each replica answers /v1/health with its replica id, and exactly one supervises", async () => {
    const answers = await Promise.all(servers().map((s) => health(s.url!)));
    expect(answers.map((a) => a?.replica)).toEqual(["server-1", "server-2", "server-3"]);
    expect(answers.filter((a) => a?.supervisor === true)).toHaveLength(1);
  });

  it("devfleet reaches the demo's Redis through its sentinels (the redis+sentinel:// form)", async () => {
    const sentinels = listed.filter((p) => p.kind === "sentinel").map((p) => p.url!.slice("redis://".length));
    const url = `redis+sentinel://${sentinels.join(",")}/mymaster`;
    expect(await redisAnswers(url, 2_000)).toBe(true);
    const handle = await ensureRedis({ url, dataDir: join(dataDir, "unused") });
    expect(handle).toMatchObject({ url, started: false });
    const wrongName = `redis+sentinel://${sentinels.join(",")}/nosuchmaster`;
    expect(await redisAnswers(wrongName, 1_000)).toBe(false);
    await expect(ensureRedis({ url: wrongName, dataDir: join(dataDir, "unused") })).rejects.toThrow(
      /no master answers through the sentinels of REDIS_URL .* master nosuchmaster/,
    );
    expect(existsSync(join(dataDir, "unused"))).toBe(false);
  });

  it("a weight changed through one replica is applied, as another replica shows", async () => {
    const [first, second, third] = servers().map((s) => new Api(s.url!, token));
    const response = await second!.patch(RS1, { weight: 6 });
    expect(response.status).toBe(202);
    expect((await third!.waitForJob(response.body.job.id)).state).toBe("completed");
    expect(await directorWeights(third!, "lb-master")).toEqual({ "192.168.1.220:80": 6, "192.168.1.231:80": 1 });
    expect(await directorWeights(first!, "lb-backup")).toEqual({ "192.168.1.220:80": 6, "192.168.1.231:80": 1 });
  });

  it("the supervisor killed by its pid from processes.json: another replica takes the lease", async () => {
    const answers = await Promise.all(servers().map(async (s) => ({ process: s, health: await health(s.url!) })));
    const holder = answers.find((a) => a.health?.supervisor)!.process;
    const started = Date.now();
    process.kill(holder.pid, "SIGKILL");
    const others = servers().filter((s) => s.name !== holder.name);
    const next = await until(
      "another replica to take the supervisor lease",
      async () => {
        for (const s of others) if ((await health(s.url!))?.supervisor) return s.name;
        return undefined;
      },
      15_000,
    );
    console.log(`supervisor ${holder.name} killed; ${next} took the lease after ${Date.now() - started} ms`);
    expect(alive(holder.pid)).toBe(false);
    // the demo saw it exit and rewrote the list
    await until(
      "processes.json without the killed replica",
      async () => (readProcesses().some((p) => p.name === holder.name) ? undefined : true),
      5_000,
    );
    expect(readProcesses()).toHaveLength(listed.length - 1);
    const api = new Api(others[0]!.url!, token);
    expect((await api.get("/v1/agents")).status).toBe(200);
  });

  it("Ctrl-C (SIGINT) stops every process the demo started, and removes processes.json", async () => {
    const exited = new Promise<number | null>((resolve) => demo.once("exit", (code) => resolve(code)));
    demo.kill("SIGINT");
    expect(await exited).toBe(0);
    for (const p of listed) expect(alive(p.pid), `${p.name} (pid ${p.pid}) is gone`).toBe(false);
    expect(existsSync(processesFile)).toBe(false);
  });
});
