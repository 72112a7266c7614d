import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DemoProcesses, ProcessesFile } from "../src/processes-file.ts";

describe("processes.json: the demo's processes", () => {
  const dir = mkdtempSync(join(tmpdir(), "lvsfleet-processes-"));
  afterEach(() => rmSync(join(dir, "processes.json"), { force: true }));

  it("is rewritten whole when a process starts, restarts or exits, and removed at the end", () => {
    const file = new ProcessesFile(join(dir, "processes.json"));
    const read = () => DemoProcesses.parse(JSON.parse(readFileSync(file.path, "utf8")));
    file.set({ name: "redis", kind: "redis", pid: 10, url: "redis://127.0.0.1:6379" });
    file.set({ name: "server-1", kind: "server", pid: 11, url: "http://127.0.0.1:8080" });
    file.set({ name: "web1", kind: "agent", pid: 12 });
    expect(read().map((p) => p.name)).toEqual(["redis", "server-1", "web1"]);
    file.set({ name: "server-1", kind: "server", pid: 13, url: "http://127.0.0.1:8080" });
    expect(read().find((p) => p.name === "server-1")?.pid).toBe(13);
    file.remove("web1");
    expect(read().map((p) => p.name)).toEqual(["redis", "server-1"]);
    file.delete();
    expect(existsSync(file.path)).toBe(false);
  });

  it("refuses an entry of the wrong shape and leaves the file as it was", () => {
    const file = new ProcessesFile(join(dir, "processes.json"));
    file.set({ name: "redis", kind: "redis", pid: 10 });
    const before = readFileSync(file.path, "utf8");
    expect(() => file.set({ name: "x", kind: "database" as "redis", pid: 1 })).toThrow(/kind/);
    expect(() => file.set({ name: "x", kind: "server", pid: -1 })).toThrow(/pid/);
    expect(() => file.set({ name: "x", kind: "server", pid: 2, url: "not a url" })).toThrow(/url/);
    expect(readFileSync(file.path, "utf8")).toBe(before);
  });
});
