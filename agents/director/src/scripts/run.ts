import { spawn } from "node:child_process";

/** After the timeout the script's process group gets SIGTERM, and SIGKILL if it is still there this much later. */
export const KILL_GRACE_MS = 500;

/** Scripts get no secrets from the agent's environment (join or API tokens): a fixed PATH, nothing else. */
const SCRIPT_ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };

/** How much of a script's output is kept for the log (the end of it). */
const OUTPUT_TAIL = 1_024;

export interface ScriptRun {
  /** The exit status; undefined when the script did not exit by itself (killed, timed out, could not start). */
  code?: number | undefined;
  timedOut: boolean;
  /** In words: `exit status 1`, `still running after 200 ms: killed`, `cannot run /x: ENOENT`. */
  detail: string;
  /** The end of what it wrote on stdout and stderr. */
  output: string;
  ms: number;
}

/**
 * Runs a resolved script: the program with its argument array and `shell: false` (as execFile;
 * spawn because execFile cannot start a process group), standard input closed (/dev/null), a fixed
 * environment, working directory /, as the leader of its own process group. When it outlives
 * `timeoutMs` the whole group gets SIGTERM, then SIGKILL, and the run settles at once as timed out
 * (a script that ignores SIGTERM does not hold its caller). An abort (the check was removed, the
 * agent stops) kills it the same way.
 */
export function runScript(
  argv: readonly string[],
  options: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<ScriptRun> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  const [program, ...args] = argv;
  return new Promise((resolve) => {
    if (!program) return resolve({ timedOut: false, detail: "no program", output: "", ms: 0 });
    let settled = false;
    let output = "";
    const finish = (run: Omit<ScriptRun, "ms" | "output">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      resolve({ ...run, output, ms: elapsed() });
    };
    const child = spawn(program, args, {
      shell: false,
      stdio: ["ignore", "pipe", "pipe"],
      env: SCRIPT_ENV,
      cwd: "/",
      detached: true,
      windowsHide: true,
    });
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.once("error", (error: NodeJS.ErrnoException) =>
      finish({ timedOut: false, detail: `cannot run ${program}: ${error.code ?? error.message}` }),
    );
    // a group killed on timeout gets its SIGKILL even when the leader went at SIGTERM: its children may not have
    child.once("exit", (code, signal) => {
      if (code !== null) finish({ code, timedOut: false, detail: `exit status ${code}` });
      else finish({ timedOut: false, detail: `killed by ${signal ?? "a signal"}` });
    });
    const kill = () => {
      signalGroup(child.pid, "SIGTERM");
      setTimeout(() => signalGroup(child.pid, "SIGKILL"), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => {
      kill();
      finish({ timedOut: true, detail: `still running after ${options.timeoutMs} ms: killed` });
    }, options.timeoutMs);
    const onAbort = () => {
      kill();
      finish({ timedOut: false, detail: "cancelled" });
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort);
  });
}

/** Signals the script's whole process group (it leads one), so that its own children go too. */
function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
