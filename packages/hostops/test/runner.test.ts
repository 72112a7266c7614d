import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  BATCH_TIMEOUT_CAP_MS,
  batchTimeoutMs,
  COMMAND_TIMEOUT_MS,
  ExecRunner,
  HostCommandError,
  kernelAtLeast,
  kernelVersion,
} from "../src/index.ts";

describe("ExecRunner", () => {
  it("passes arguments without a shell and feeds standard input", async () => {
    const runner = new ExecRunner();
    const out = await runner.run("cat", [], { input: "$(echo no) `id` ; x\n" });
    expect(out.stdout).toBe("$(echo no) `id` ; x\n");
    const echoed = await runner.run("printf", ["%s|", "a b", "; rm -rf /"]);
    expect(echoed.stdout).toBe("a b|; rm -rf /|");
  });

  it("reports a failing command with its arguments, status and what it said", async () => {
    const error = await new ExecRunner().run("ls", ["/no/such/dir"]).catch((e) => e);
    expect(error).toBeInstanceOf(HostCommandError);
    expect(error.message).toMatch(/^ls \/no\/such\/dir failed \(2\): .*No such file/);
    const missing = await new ExecRunner().run("no-such-program-lvsfleet", []).catch((e) => e);
    expect(missing.message).toMatch(/not installed/);
  });

  it("kills a command at its timeout and says so, with the limit; a caller's longer timeout lets it finish", async () => {
    const runner = new ExecRunner();
    const started = Date.now();
    const killed = await runner.run("sleep", ["5"], { timeoutMs: 300 }).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(killed).toBeInstanceOf(HostCommandError);
    expect(killed.message).toBe("sleep 5 failed (killed after its 300 ms timeout): no output");
    await expect(runner.run("sleep", ["0.4"], { timeoutMs: 5_000 })).resolves.toEqual({ stdout: "", stderr: "" });
  });

  it("batch commands get a timeout that grows with the batch, capped", () => {
    expect(batchTimeoutMs(0)).toBe(COMMAND_TIMEOUT_MS);
    expect(batchTimeoutMs(1_000)).toBe(COMMAND_TIMEOUT_MS + 5_000);
    // 10,000 services × 10 real servers in ipvsadm's save format: 110,000 lines
    expect(batchTimeoutMs(110_000)).toBe(580_000);
    expect(batchTimeoutMs(10_000_000)).toBe(BATCH_TIMEOUT_CAP_MS);
  });

  it("reads missing files as undefined and writes files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hostops-"));
    const runner = new ExecRunner();
    expect(await runner.readFile(join(dir, "nope"))).toBeUndefined();
    await runner.writeFile(join(dir, "x"), "1\n");
    expect(readFileSync(join(dir, "x"), "utf8")).toBe("1\n");
  });

  it("refuses a namespace name that is not one", () => {
    expect(() => new ExecRunner({ netns: "a b" })).toThrow(/network namespace name/);
    expect(() => new ExecRunner({ netns: "-n" })).toThrow(/network namespace name/);
  });
});

describe("kernel versions", () => {
  it("parses releases and compares them", () => {
    expect(kernelVersion("6.1.0-26-amd64")).toEqual([6, 1, 0]);
    expect(kernelVersion("4.19.0")).toEqual([4, 19, 0]);
    expect(kernelVersion("5.9")).toEqual([5, 9, 0]);
    expect(kernelAtLeast("5.9.0", 5, 9)).toBe(true);
    expect(kernelAtLeast("5.8.18", 5, 9)).toBe(false);
    expect(kernelAtLeast("6.0.0", 5, 9)).toBe(true);
    expect(kernelAtLeast("garbage", 4, 1)).toBe(false);
  });
});
