import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";

export interface ProgramHandle<Ready> {
  name: string;
  pid: number;
  child: ChildProcess;
  ready: Ready;
  /** SIGTERM, then SIGKILL after the grace period; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (a crash, for tests). */
  kill(): Promise<void>;
}

/**
 * Starts one of lvsfleet's programs (`node <file> args…`) and waits for the JSON line it prints
 * when it is ready (`{"ready":true,…}`). Output goes to a log file; a process that exits before
 * it is ready fails with the tail of its log.
 */
export async function startProgram<Ready>(options: {
  name: string;
  file: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  logFile: string;
  timeoutMs?: number;
  /** Prefix command, e.g. ["ip", "netns", "exec", "ns1"]. */
  wrapper?: string[];
  /** Flags for node itself, e.g. AGENT_NODE_FLAGS. */
  nodeFlags?: string[];
}): Promise<ProgramHandle<Ready>> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: "a" });
  const [command, ...prefix] = options.wrapper ?? [];
  const argv = [...prefix, process.execPath, ...(options.nodeFlags ?? []), options.file, ...(options.args ?? [])];
  const child = spawn(command ?? argv.shift()!, argv, {
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // a node process, its enrollment child and its first registration: seconds when the machine is idle,
  // more than 15 s on two cores under a load of 10
  const readyMs = options.timeoutMs ?? 30_000;
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => {
      // nobody gets a handle to stop it: it must not outlive the failed start
      child.kill("SIGKILL");
      reject(new Error(`${options.name} was not ready within ${readyMs} ms; see ${options.logFile}`));
    }, readyMs);
    const lines = createInterface({ input: child.stdout! });
    let found = false;
    lines.on("line", (line) => {
      log.write(`${line}\n`);
      if (found || !line.startsWith('{"ready":true')) return;
      found = true;
      clearTimeout(timer);
      resolve(JSON.parse(line) as Ready);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (!found)
        reject(new Error(`${options.name} exited (${signal ?? code}) before it was ready; see ${options.logFile}`));
    });
  });
  const stop = async (graceMs = 5_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGKILL");
    await exited;
  };
  return { name: options.name, pid: child.pid ?? -1, child, ready, stop, kill };
}
