import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentSpec, PROGRAM_FILES, type ProgramHandle, repoRoot, startAgentProcess } from "@lvsfleet/devfleet";
import { AgentClient } from "@lvsfleet/rpc";
import { afterAll, describe, expect, it } from "vitest";

/**
 * Issue 11, the agent's side of "authority lives on the host": the programs an agent runs for the
 * server (a real server's actions, a director's scripts) get none of the agent's secrets and die with
 * their whole process group at their timeout, and an allowlist — or a program it names — that someone
 * other than root or the agent's user can change is refused at start. Agents are real processes from
 * dist; RunAction goes over real gRPC.
 */
const ROOT = repoRoot();
const work = mkdtempSync(join(tmpdir(), "lvsfleet-e2e-host-programs-"));
const running: ProgramHandle<unknown>[] = [];
afterAll(async () => {
  for (const agent of running) await agent.stop();
  rmSync(work, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function eventually(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let files = 0;
function json(content: unknown, mode = 0o644): string {
  const path = join(work, `allowlist-${++files}.json`);
  writeFileSync(path, JSON.stringify(content));
  chmodSync(path, mode);
  return path;
}

function script(name: string, text: string, mode = 0o755): string {
  const path = join(work, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

interface Run {
  code: number;
  output: string;
}

/** An agent program from dist, run to its end (one that refuses to start). */
function runAgent(role: "director" | "real-server", args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, PROGRAM_FILES[role]), "--insecure", "--state-dir", join(work, `state-${++files}`), ...args],
      { env: { PATH: process.env.PATH }, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, output: stdout + stderr }),
    );
  });
}

describe("a real-server agent's actions run apart from the agent", () => {
  const pidFile = join(work, "stubborn.pid");
  const web: AgentSpec = { host: "web21", role: "real-server", address: "198.18.0.21/24" };
  let client: AgentClient;

  it("RunAction: an action that prints its environment sees none of the agent's (no join or agent token)", async () => {
    const file = json({
      actions: {
        env: { command: ["/usr/bin/env"] },
        stubborn: {
          command: ["/bin/sh", "-c", `(trap '' TERM; exec sleep 60) & echo $! > ${pidFile}; wait`],
          timeoutSeconds: 1,
        },
      },
    });
    const agent = await startAgentProcess({
      root: ROOT,
      agent: web,
      stateDir: join(work, "web21"),
      logFile: join(work, "logs", "web21.log"),
      extraArgs: ["--insecure", "--actions-file", file],
      env: { LVSFLEET_JOIN_TOKEN: "lvsj_e2e-secret-join", LVSFLEET_AGENT_TOKEN: "e2e-secret-admin-token" },
    });
    running.push(agent);
    client = new AgentClient({ host: web.host, endpoint: agent.ready.endpoint, deadlineMs: 10_000 });
    const run = await client.runAction("env");
    expect(run).toMatchObject({ exitCode: 0, timedOut: false });
    expect(run.output).not.toMatch(/LVSFLEET_|secret/);
    expect(run.output.trim().split("\n")).toEqual([
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ]);
  });

  it("RunAction: an action that forks a child ignoring SIGTERM is gone, its whole group, after the timeout and grace", async () => {
    const started = Date.now();
    const run = await client.runAction("stubborn", 10_000);
    expect(run).toMatchObject({ exitCode: -1, timedOut: true });
    expect(run.output).toContain("still running after 1000 ms: killed");
    expect(Date.now() - started).toBeLessThan(3_000);
    const child = Number(readFileSync(pidFile, "utf8"));
    // 0.5 s of grace after the SIGTERM, then SIGKILL to the group
    await eventually("the forked child killed", () => !alive(child), 2_500);
    client.close();
  });
});

describe("an agent refuses an allowlist, or a program in it, that others can change", () => {
  it("a real-server agent with a world-writable actions file does not start, naming the file and the fix", async () => {
    const file = json({ actions: { ok: { command: ["/bin/true"] } } }, 0o666);
    const run = await runAgent("real-server", ["--host", "web22", "--actions-file", file]);
    expect(run.code).toBe(1);
    expect(run.output).toContain("cannot start");
    expect(run.output).toContain(
      `${file}: refused: ${file} is writable by its group and others (mode 0666): they can change what the agent runs as its user (fix: chmod go-w ${file})`,
    );
    expect(run.output).not.toContain('"ready"');
  });

  it("a director whose scripts name a group-writable program does not start, naming the entry", async () => {
    const check = script("check-web", "#!/bin/sh\nexit 0\n", 0o775);
    const file = json({ scripts: { "check-web": { command: [check, "{address}"] } } });
    const run = await runAgent("director", ["--host", "lb-e2e", "--actions-file", file]);
    expect(run.code).toBe(1);
    expect(run.output).toContain(
      `scripts.check-web.command[0]: program refused: ${check} is writable by its group (mode 0775)`,
    );
    expect(run.output).toContain(`fix: chmod go-w ${check}`);
    expect(run.output).not.toContain('"ready"');
    // the same file with the program fixed: the director starts
    chmodSync(check, 0o755);
    const agent = await startAgentProcess({
      root: ROOT,
      agent: { host: "lb-e2e", role: "director", address: "198.18.0.2/24" },
      stateDir: join(work, "lb-e2e"),
      logFile: join(work, "logs", "lb-e2e.log"),
      extraArgs: ["--insecure", "--actions-file", file],
    });
    running.push(agent);
    expect(agent.ready.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(existsSync(check)).toBe(true);
  });

  it("--server-ca-roots takes pinned or public only (exit 2 with the option's name)", async () => {
    const run = await runAgent("real-server", ["--host", "web23", "--server-ca-roots", "system"]);
    expect(run.code).toBe(2);
    expect(run.output).toContain(
      "--server-ca-roots: must be pinned (only the lvsfleet CA the agent pinned, and the CAs in NODE_EXTRA_CA_CERTS) or public (also Node's public roots)",
    );
  });
});
