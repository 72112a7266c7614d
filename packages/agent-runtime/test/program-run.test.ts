import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { groupStillOurs, KILL_GRACE_MS, runProgram } from "../src/program-run.ts";

/**
 * The agents' one runner for allowlisted programs (a director's scripts, a real server's actions):
 * argument array, no shell, stdin closed, no variable of the agent's environment, the whole process
 * group killed on timeout — SIGTERM, then SIGKILL — and never a group id that is no longer the run's.
 */

const dir = mkdtempSync(join(tmpdir(), "lvsfleet-program-run-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

async function until<T>(what: string, read: () => T, ok: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The pid a program wrote into `file` (waits for it: the shell writes it before it waits). */
const pidIn = (file: string) =>
  until(
    `a pid in ${file}`,
    () => (existsSync(file) ? Number(readFileSync(file, "utf8")) : 0),
    (pid) => pid > 0,
  );

describe("the program runner", () => {
  it("passes each argument as one, through no shell", async () => {
    const marker = join(dir, "never");
    const run = await runProgram(["/bin/echo", `; touch ${marker}`, "$(touch x)", "a b"], { timeoutMs: 2_000 });
    expect(run).toMatchObject({ code: 0, timedOut: false, output: `; touch ${marker} $(touch x) a b\n` });
    expect(existsSync(marker)).toBe(false);
  });

  it("closes standard input and gives the program no variable of the agent's environment", async () => {
    process.env.LVSFLEET_JOIN_TOKEN = "secret-join-token";
    process.env.LVSFLEET_AGENT_TOKEN = "secret-admin-token";
    try {
      const started = performance.now();
      const cat = await runProgram(["/bin/cat"], { timeoutMs: 2_000 });
      expect(cat).toMatchObject({ code: 0, output: "" });
      expect(performance.now() - started).toBeLessThan(1_500);
      const env = await runProgram(["/usr/bin/env"], { timeoutMs: 2_000 });
      expect(env.output.trim().split("\n")).toEqual([
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      ]);
      expect((await runProgram(["/bin/pwd"], { timeoutMs: 2_000 })).output).toBe("/\n");
    } finally {
      delete process.env.LVSFLEET_JOIN_TOKEN;
      delete process.env.LVSFLEET_AGENT_TOKEN;
    }
  });

  it("on timeout kills the program's whole process group, its children too", async () => {
    const pidFile = join(dir, "child.pid");
    const started = performance.now();
    const run = await runProgram(["/bin/sh", "-c", `sleep 30 & echo $! > ${pidFile}; wait`], { timeoutMs: 300 });
    expect(run).toMatchObject({ timedOut: true, detail: "still running after 300 ms: killed" });
    expect(performance.now() - started).toBeLessThan(1_000);
    const child = Number(readFileSync(pidFile, "utf8"));
    await until(
      "the program's child killed",
      () => alive(child),
      (a) => !a,
      3_000,
    );
  });

  it("a child that ignores SIGTERM and outlives its parent is gone after the timeout and the grace period", async () => {
    // The leader dies at SIGTERM; its child ignores it (and holds the output pipe): only SIGKILL to
    // the group, after the grace period, reaches it.
    const pidFile = join(dir, "stubborn.pid");
    const run = await runProgram(["/bin/sh", "-c", `(trap '' TERM; exec sleep 30) & echo $! > ${pidFile}; wait`], {
      timeoutMs: 300,
    });
    expect(run.timedOut).toBe(true);
    const child = await pidIn(pidFile);
    expect(alive(child)).toBe(true); // SIGTERM did not stop it
    const settled = performance.now();
    await until(
      "the stubborn child killed",
      () => alive(child),
      (a) => !a,
      KILL_GRACE_MS + 1_500,
    );
    expect(performance.now() - settled).toBeGreaterThan(KILL_GRACE_MS / 2);
  });

  it("a whole group that ignores SIGTERM gets SIGKILL", async () => {
    const pidFile = join(dir, "stubborn-all.pid");
    const run = await runProgram(["/bin/sh", "-c", `trap '' TERM; sleep 30 & echo $! > ${pidFile}; wait; wait`], {
      timeoutMs: 300,
    });
    expect(run.timedOut).toBe(true);
    const child = await pidIn(pidFile);
    await until(
      "the group killed",
      () => alive(child),
      (a) => !a,
      KILL_GRACE_MS + 1_500,
    );
  });

  it("sends no SIGKILL to a group that has already exited (its number may be another group's by then)", async () => {
    const kill = vi.spyOn(process, "kill");
    const run = await runProgram(["/bin/sleep", "30"], { timeoutMs: 200 });
    expect(run.timedOut).toBe(true);
    const term = kill.mock.calls.find(([, signal]) => signal === "SIGTERM");
    expect(term?.[0]).toBeLessThan(0); // the group
    await new Promise((r) => setTimeout(r, KILL_GRACE_MS + 300));
    expect(kill.mock.calls.filter(([, signal]) => signal === "SIGKILL")).toEqual([]);
  });

  it("judges a group id by whether it can still be the run's", () => {
    // leader not exited: its pid, the group id, cannot have been reused
    expect(groupStillOurs(process.pid, false)).toBe(true);
    // leader exited and a process has its pid again: the number was reused
    expect(groupStillOurs(process.pid, true)).toBe(false);
    // leader exited and nothing is left in the group: nothing to kill
    expect(groupStillOurs(2 ** 22 + 12_345, true)).toBe(false);
  });

  it("reads the output to the end, and a child left holding the pipes does not hold the run", async () => {
    const loud = await runProgram(["/usr/bin/head", "-c", "100000", "/dev/zero"], { timeoutMs: 5_000 });
    expect(loud).toMatchObject({ code: 0, timedOut: false });
    expect(loud.output).toHaveLength(4_096);
    const pidFile = join(dir, "left.pid");
    const started = performance.now();
    const left = await runProgram(["/bin/sh", "-c", `sleep 5 & echo $! > ${pidFile}; echo done`], {
      timeoutMs: 3_000,
    });
    expect(left).toMatchObject({ code: 0, timedOut: false, output: "done\n" });
    expect(performance.now() - started).toBeLessThan(1_500);
    process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
  });

  it("kills on abort, and reports a program that cannot start", async () => {
    const abort = new AbortController();
    const pending = runProgram(["/bin/sleep", "30"], { timeoutMs: 10_000, signal: abort.signal });
    abort.abort();
    expect(await pending).toMatchObject({ timedOut: false, detail: "cancelled" });
    expect(await runProgram(["/nonexistent/x"], { timeoutMs: 1_000 })).toMatchObject({
      detail: "cannot run /nonexistent/x: ENOENT",
    });
  });
});
