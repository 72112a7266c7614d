import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ValidationError } from "@lvsfleet/model";
import { GrpcStatus, RpcError } from "@lvsfleet/rpc";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { loadActions, OUTPUT_TAIL_BYTES, runAllowedAction } from "../src/actions.ts";

const dir = mkdtempSync(join(tmpdir(), "lvsfleet-actions-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = pino({ level: "silent" });

function file(content: unknown): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

function refusal(content: unknown): string {
  try {
    loadActions(file(content));
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).errors.map((e) => `${e.field}: ${e.message}`).join("\n");
  }
  throw new Error("accepted");
}

describe("the actions allowlist", () => {
  it("refuses what could run something else than the operator wrote", () => {
    expect(refusal("{not json")).toMatch(/^actions-file: .*JSON/);
    expect(refusal({ actions: { restart: { command: ["systemctl", "restart", "nginx"] } } })).toMatch(
      /actions\.restart\.command: the program \(command\[0\]\) must be an absolute path/,
    );
    const badName = refusal({ actions: { "Restart Web": { command: ["/bin/true"] } } });
    expect(badName, badName).toMatch(/action names are lowercase/);
    expect(refusal({ actions: { ok: { command: [] } } })).toMatch(/must name at least the program/);
    expect(refusal({ actions: { ok: { command: ["/bin/true"], env: { PATH: "/tmp" } } } })).toMatch(/env/);
    expect(refusal({ actions: { ok: { command: ["/bin/true"], timeoutSeconds: 0 } } })).toMatch(/timeoutSeconds/);
  });

  it("a director's scripts section: same entries, names and absolute programs, known placeholders only", () => {
    const loaded = loadActions(
      file({ scripts: { "check-web": { command: ["/usr/lib/check-web", "{address}", "--port={port}"] } } }),
    );
    expect(loaded).toEqual({
      actions: {},
      scripts: { "check-web": { command: ["/usr/lib/check-web", "{address}", "--port={port}"], timeoutSeconds: 30 } },
    });
    expect(refusal({ scripts: { "check-web": { command: ["check-web"] } } })).toMatch(
      /^actions-file: .*: scripts\.check-web\.command\[0\]: the program \(command\[0\]\) must be an absolute path/,
    );
    expect(refusal({ scripts: { "check-web": { command: ["/bin/sh", "-c", "{cmd}"] } } })).toMatch(
      /unknown placeholder \{cmd\}/,
    );
    expect(refusal({ scripts: { "Check.Web": { command: ["/bin/true"] } } })).toMatch(/script names are lowercase/);
    expect(refusal({ scripts: { x: { path: "/bin/true" } } })).toMatch(/path/);
    expect(refusal({ script: {} })).toMatch(/script/);
  });

  it("runs the command with its arguments as given (no shell), and reports its exit and output", async () => {
    const actions = loadActions(
      file({
        actions: {
          echo: { command: ["/bin/echo", "a; rm -rf /", "$HOME"] },
          fail: { command: ["/bin/sh", "-c", "echo oops >&2; exit 3"] },
          slow: { command: ["/bin/sleep", "5"], timeoutSeconds: 1 },
          loud: { command: ["/usr/bin/head", "-c", "20000", "/dev/zero"] },
        },
      }),
    );
    const echo = await runAllowedAction(actions, "echo", log);
    expect(echo).toMatchObject({ exitCode: 0, output: "a; rm -rf / $HOME\n", timedOut: false });
    expect(await runAllowedAction(actions, "fail", log)).toMatchObject({ exitCode: 3, output: "oops\n" });
    const slow = await runAllowedAction(actions, "slow", log);
    expect(slow).toMatchObject({ exitCode: -1, timedOut: true });
    expect(slow.durationMs).toBeLessThan(3_000);
    expect((await runAllowedAction(actions, "loud", log)).output).toHaveLength(OUTPUT_TAIL_BYTES);
    const unknown = await runAllowedAction(actions, "nope", log).catch((e) => e);
    expect(unknown).toBeInstanceOf(RpcError);
    expect(unknown.code).toBe(GrpcStatus.NOT_FOUND);
    expect(unknown.message).toMatch(/it has: echo, fail, slow, loud/);
    // a name every object inherits is no action either
    const inherited = await runAllowedAction(actions, "constructor", log).catch((e) => e);
    expect(inherited).toBeInstanceOf(RpcError);
    expect(inherited.code).toBe(GrpcStatus.NOT_FOUND);
  });
});
