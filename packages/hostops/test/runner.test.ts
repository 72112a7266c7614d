import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExecRunner, HostCommandError, kernelAtLeast, kernelVersion } from "../src/index.ts";

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
