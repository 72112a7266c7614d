import { spawn } from "node:child_process";

/**
 * How an agent runs a program from its operator's allowlist — a director's scripts (misc checks,
 * quorum up/down, VRRP notify) and a real server's actions (RunAction) alike: one runner.
 */

/** After the timeout the program's process group gets SIGTERM, and SIGKILL if it is still there this much later. */
export const KILL_GRACE_MS = 500;

/**
 * Programs get no secrets from the agent's environment (join token, LVSFLEET_AGENT_TOKEN — an admin
 * token in insecure mode — or anything else): a fixed PATH, nothing else.
 */
export const PROGRAM_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
});

/** How long the output may still be read after the program exited (a child it left may hold the pipes). */
const OUTPUT_DRAIN_MS = 200;

/** How much of a program's output is kept (the end of it), in characters. */
export const OUTPUT_TAIL_BYTES = 4_096;

export interface ProgramRun {
  /** The exit status; undefined when the program did not exit by itself (killed, timed out, could not start). */
  code?: number | undefined;
  timedOut: boolean;
  /** In words: `exit status 1`, `still running after 200 ms: killed`, `cannot run /x: ENOENT`. */
  detail: string;
  /** The end of what it wrote on stdout and stderr, as it came. */
  output: string;
  ms: number;
}

/**
 * Runs an allowlisted program: its argument array with `shell: false` (as execFile; spawn because
 * execFile cannot start a process group), standard input closed (/dev/null), the fixed environment
 * PROGRAM_ENV, working directory /, as the leader of its own process group. When it outlives
 * `timeoutMs` the whole group gets SIGTERM, then SIGKILL after KILL_GRACE_MS, and the run settles at
 * once as timed out (a program that ignores SIGTERM does not hold its caller). An abort (the check was
 * removed, the agent stops) kills it the same way.
 */
export function runProgram(
  argv: readonly string[],
  options: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<ProgramRun> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  const [program, ...args] = argv;
  return new Promise((resolve) => {
    if (!program) return resolve({ timedOut: false, detail: "no program", output: "", ms: 0 });
    let settled = false;
    let exited = false;
    let output = "";
    const finish = (run: Omit<ProgramRun, "ms" | "output">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      resolve({ ...run, output, ms: elapsed() });
    };
    const child = spawn(program, args, {
      shell: false,
      stdio: ["ignore", "pipe", "pipe"],
      env: PROGRAM_ENV,
      cwd: "/",
      detached: true,
      windowsHide: true,
    });
    const keep = (text: string) => {
      output = (output + text).slice(-OUTPUT_TAIL_BYTES);
    };
    // decoded per stream, so that a character split across two reads comes out whole
    child.stdout?.setEncoding("utf8").on("data", keep);
    child.stderr?.setEncoding("utf8").on("data", keep);
    child.once("error", (error: NodeJS.ErrnoException) =>
      finish({ timedOut: false, detail: `cannot run ${program}: ${error.code ?? error.message}` }),
    );
    // Settles when the program has exited and its output is read to the end ("close"); a child it left
    // behind holding stdout/stderr open does not hold the run: after OUTPUT_DRAIN_MS it settles anyway.
    let exit: Omit<ProgramRun, "ms" | "output"> | undefined;
    child.once("exit", (code, signal) => {
      exited = true;
      exit =
        code !== null
          ? { code, timedOut: false, detail: `exit status ${code}` }
          : { timedOut: false, detail: `killed by ${signal ?? "a signal"}` };
      setTimeout(() => {
        if (settled) return;
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(exit!);
      }, OUTPUT_DRAIN_MS).unref();
    });
    child.once("close", () => {
      if (exit) finish(exit);
    });
    const kill = () => {
      const group = child.pid;
      if (group === undefined) return;
      signalGroup(group, "SIGTERM");
      setTimeout(() => {
        if (groupStillOurs(group, exited)) signalGroup(group, "SIGKILL");
        // a process that left the group (setsid) must not keep the pipes, and the agent's handles, open
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, KILL_GRACE_MS).unref();
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

/**
 * Whether process group `group` (the number of the leader this runner started) is still that run's,
 * so that a signal to it reaches only what the program started. While the leader has not exited, its
 * pid — the group's id — cannot be reused. After it exited, the kernel keeps the id reserved for as
 * long as a member of the group lives (children that outlived the leader: they still get SIGKILL); once
 * the group is empty the number is free, and a new process (leading a new group) may get it. So: not
 * ours when no process is left in the group, or when a process has the leader's pid again.
 */
export function groupStillOurs(group: number, leaderExited: boolean): boolean {
  if (!leaderExited) return true;
  return !exists(group) && exists(-group);
}

/** Whether a process (pid > 0) or a process group (-pgid) exists: signal 0 checks without sending. */
function exists(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Signals the program's whole process group (it leads one), so that its own children go too. */
function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // already gone
  }
}
