import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ValidationError } from "@lvsfleet/model";
import { GrpcStatus, RpcError } from "@lvsfleet/rpc";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { loadActions, OUTPUT_TAIL_BYTES, runAllowedAction } from "../src/actions.ts";
import { KILL_GRACE_MS } from "../src/program-run.ts";

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("an action runs apart from the agent", () => {
  it("gets no variable of the agent's environment: no join token, no agent token", async () => {
    process.env.LVSFLEET_JOIN_TOKEN = "lvsj_secret-join-token";
    process.env.LVSFLEET_AGENT_TOKEN = "secret-admin-token";
    try {
      const actions = loadActions(file({ actions: { env: { command: ["/usr/bin/env"] } } }));
      const run = await runAllowedAction(actions, "env", log);
      expect(run).toMatchObject({ exitCode: 0, timedOut: false });
      expect(run.output).not.toMatch(/LVSFLEET_|secret/);
      expect(run.output.trim().split("\n")).toEqual([
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      ]);
    } finally {
      delete process.env.LVSFLEET_JOIN_TOKEN;
      delete process.env.LVSFLEET_AGENT_TOKEN;
    }
  });

  it("that forks a child ignoring SIGTERM: the whole group is gone after the timeout and the grace period", async () => {
    const pidFile = join(dir, "stubborn.pid");
    const actions = loadActions(
      file({
        actions: {
          stubborn: {
            command: ["/bin/sh", "-c", `(trap '' TERM; exec sleep 60) & echo $! > ${pidFile}; wait`],
            timeoutSeconds: 1,
          },
        },
      }),
    );
    const started = performance.now();
    const run = await runAllowedAction(actions, "stubborn", log);
    expect(run).toMatchObject({ exitCode: -1, timedOut: true });
    expect(run.output).toMatch(/still running after 1000 ms: killed/);
    expect(performance.now() - started).toBeLessThan(2_500);
    const child = Number(readFileSync(pidFile, "utf8"));
    await until("the forked child gone", () => !alive(child), KILL_GRACE_MS + 2_000);
  });
});

describe("who may change the allowlist and the programs it names", () => {
  const uid = process.getuid?.() ?? 0;
  /** A fresh directory (0700, the test's) holding a program with `mode`. */
  function program(mode = 0o755): string {
    const home = mkdtempSync(join(dir, "bin-"));
    const path = join(home, "restart-web");
    writeFileSync(path, "#!/bin/sh\nexit 0\n");
    chmodSync(path, mode);
    return path;
  }
  const allowlist = (command: string[]) => file({ actions: { "restart-web": { command } } });
  /** Makes `path` another user's; returns the owners to load with (as root: root; otherwise another uid than ours). */
  function foreign(path: string): { agentUid: number } {
    if (uid === 0) chownSync(path, 65_534, 65_534);
    return { agentUid: uid === 0 ? 0 : uid + 1 };
  }
  const refusedWith = (path: string, owners?: { agentUid: number }): string => {
    try {
      loadActions(path, owners);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).errors.map((e) => `${e.field}: ${e.message}`).join("\n");
    }
    throw new Error("accepted");
  };

  it("accepts a file and programs only root or the agent's user can change (umask 022 files, /bin through its link)", () => {
    const good = program();
    const path = allowlist([good, "--now"]);
    expect(loadActions(path).actions["restart-web"]?.command).toEqual([good, "--now"]);
    expect(
      loadActions(file({ actions: { t: { command: ["/bin/true"] } }, scripts: { e: { command: ["/bin/echo"] } } })),
    ).toBeTruthy();
    // a program not installed yet, where only root may put it
    expect(loadActions(allowlist(["/usr/lib/lvsfleet-not-installed/check"]))).toBeTruthy();
  });

  it("refuses an actions file its group or others can write, naming the file and the fix", () => {
    const path = allowlist([program()]);
    chmodSync(path, 0o664);
    expect(refusedWith(path)).toBe(
      `actions-file: ${path}: refused: ${path} is writable by its group (mode 0664): they can change what the agent runs as its user (fix: chmod go-w ${path})`,
    );
    chmodSync(path, 0o646);
    expect(refusedWith(path)).toMatch(new RegExp(`is writable by others \\(mode 0646\\).*fix: chmod go-w ${path}\\)$`));
    chmodSync(path, 0o644);
    expect(loadActions(path)).toBeTruthy();
  });

  it("refuses an actions file owned by another user", () => {
    const path = allowlist([program()]);
    const owners = foreign(path);
    expect(refusedWith(path, owners)).toMatch(
      /^actions-file: .*: refused: .* is owned by uid \d+, not root.*\(fix: chown root /,
    );
  });

  it("refuses a program its group or others can write, also behind a symbolic link, naming the entry", () => {
    const writable = program(0o775);
    expect(refusedWith(allowlist([writable, "x"]))).toMatch(
      new RegExp(
        `actions\\.restart-web\\.command\\[0\\]: program refused: ${writable} is writable by its group \\(mode 0775\\).*\\(fix: chmod go-w ${writable}\\)`,
      ),
    );
    const open = program(0o757);
    const link = join(mkdtempSync(join(dir, "links-")), "restart-web");
    symlinkSync(open, link);
    expect(refusedWith(allowlist([link]))).toMatch(new RegExp(`program refused: ${open} is writable by others`));
    // the director's scripts section is checked the same way
    expect(refusedWith(file({ scripts: { "check-web": { command: [writable, "{address}"] } } }))).toMatch(
      /scripts\.check-web\.command\[0\]: program refused: .* is writable by its group/,
    );
  });

  it("refuses a program owned by another user", () => {
    const path = program();
    const owners = foreign(path);
    expect(refusedWith(allowlist([path]), owners)).toMatch(/program refused: .* is owned by uid \d+, not root/);
  });

  it("refuses a program in a directory others can write (they could replace it), unless the sticky bit protects it", () => {
    const path = program();
    const home = join(path, "..");
    chmodSync(home, 0o777);
    expect(refusedWith(allowlist([path]))).toMatch(
      new RegExp(
        `program refused: ${home} \\(a directory on the way to ${path}\\) is writable by its group and others \\(mode 0777\\)`,
      ),
    );
    chmodSync(home, 0o1777);
    expect(loadActions(allowlist([path]))).toBeTruthy();
    // ...but a program not there yet could be put there by anyone
    expect(refusedWith(allowlist([join(home, "not-yet")]))).toMatch(
      /program refused: .*not-yet does not exist, and .* is writable by its group and others \(mode 1777\): they could put a program there/,
    );
    chmodSync(home, 0o755);
    const nested = join(home, "sub");
    mkdirSync(nested, { mode: 0o755 });
    chmodSync(nested, 0o775);
    expect(refusedWith(allowlist([join(nested, "tool")]))).toMatch(
      /sub \(a directory on the way to .*sub\/tool\) is writable by its group \(mode 0775\)/,
    );
    expect(existsSync(join(nested, "tool"))).toBe(false);
  });
});
