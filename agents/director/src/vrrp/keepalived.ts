import { type ChildProcess, execFile, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { chmod, lstat, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import type { Logger } from "pino";
import type { KeepalivedFiles } from "./config.ts";

const run = promisify(execFile);

/** How often an adopted keepalived (not this process's child) is looked at. */
const ADOPTED_POLL_MS = 100;
/** How long keepalived may take to stop (it sends priority 0 and removes its VIPs) before SIGKILL. */
const STOP_GRACE_MS = 5_000;

export type KeepalivedChange = "started" | "adopted" | "reloaded" | "unchanged";

export interface KeepalivedProcessOptions {
  binary: string;
  files: KeepalivedFiles;
  log: Logger;
  /** keepalived exited without being asked to: the supervisor cleans up and starts it again. */
  onExit: (detail: string) => void;
}

/** A process id from a pid file, or undefined. */
async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(path, "utf8")).trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether pid is a live (not zombie) process whose command line contains every `needle`. */
async function liveProcess(pid: number, needles: string[]): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
    return needles.every((n) => cmdline.some((arg) => arg.includes(n)));
  } catch {
    return false;
  }
}

/**
 * One keepalived in VRRP-only mode, run by the director agent in its own host (or network
 * namespace) with its own config, pid files and notify FIFO, so several can share a machine:
 * `keepalived -n -l --vrrp -f CONF -p PID -r VRRP_PID -c CHECKERS_PID`. It is started in its own
 * process group with its output in a file, so it keeps running when the agent exits (fail static);
 * a restarted agent adopts it through the pid file. A new configuration is checked with
 * `keepalived -t` first and loaded with SIGHUP.
 */
export class KeepalivedProcess {
  private child: ChildProcess | undefined;
  private adopted: number | undefined;
  private poll: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly options: KeepalivedProcessOptions) {}

  get running(): boolean {
    return this.child !== undefined || this.adopted !== undefined;
  }

  /** The keepalived parent's pid, while it runs. */
  get pid(): number | undefined {
    return this.child?.pid ?? this.adopted;
  }

  /** Both pids keepalived wrote (parent and VRRP child), for a forced stop. */
  async pids(): Promise<number[]> {
    const { files } = this.options;
    const found = await Promise.all([readPid(files.pid), readPid(files.vrrpPid)]);
    return [...new Set([this.pid, ...found].filter((p): p is number => p !== undefined))];
  }

  /** The directory (0700) and the FIFO keepalived writes its state changes to. */
  async prepare(): Promise<void> {
    const { files } = this.options;
    await mkdir(files.dir, { recursive: true, mode: 0o700 });
    await chmod(files.dir, 0o700);
    const stat = await lstat(files.fifo).catch(() => undefined);
    if (stat && !stat.isFIFO()) await rm(files.fifo, { force: true });
    if (!stat?.isFIFO()) await run("mkfifo", ["-m", "0600", files.fifo]);
  }

  /** Checks `text` with keepalived -t; throws with keepalived's own words when it refuses it. */
  async check(text: string): Promise<void> {
    const { binary, files } = this.options;
    const candidate = `${files.conf}.check`;
    await writeFile(candidate, text, { mode: 0o600 });
    try {
      await run(binary, ["-t", "-f", candidate], { timeout: 10_000 });
    } catch (error) {
      const e = error as { code?: string | number; stderr?: string; message: string };
      if (e.code === "ENOENT")
        throw new Error(`${binary} is not installed: apt-get install -y keepalived (or set LVSFLEET_KEEPALIVED)`);
      throw new Error(
        `keepalived refuses the VRRP configuration: ${(e.stderr || e.message).trim().split("\n").join("; ")}`,
      );
    } finally {
      await rm(candidate, { force: true });
    }
  }

  /** Runs keepalived with this configuration: starts or adopts it, or reloads it when the text changed. */
  async apply(text: string): Promise<KeepalivedChange> {
    const { files } = this.options;
    const current = await readFile(files.conf, "utf8").catch(() => undefined);
    const changed = current !== text;
    if (changed) {
      await this.check(text);
      await writeFile(`${files.conf}.tmp`, text, { mode: 0o600 });
      await rename(`${files.conf}.tmp`, files.conf);
    }
    if (this.running) {
      if (!changed) return "unchanged";
      process.kill(this.pid as number, "SIGHUP");
      return "reloaded";
    }
    const existing = await readPid(files.pid);
    if (existing !== undefined && (await liveProcess(existing, ["keepalived", files.conf]))) {
      this.adopt(existing);
      if (changed) process.kill(existing, "SIGHUP");
      return "adopted";
    }
    await this.spawn();
    return "started";
  }

  private async spawn(): Promise<void> {
    const { binary, files, log } = this.options;
    await Promise.all([files.pid, files.vrrpPid, files.checkersPid].map((p) => rm(p, { force: true })));
    const output = openSync(files.log, "a", 0o600);
    let child: ChildProcess;
    try {
      child = spawn(
        binary,
        ["-n", "-l", "--vrrp", "-f", files.conf, "-p", files.pid, "-r", files.vrrpPid, "-c", files.checkersPid],
        { detached: true, stdio: ["ignore", output, output] },
      );
    } finally {
      closeSync(output);
    }
    this.stopping = false;
    this.child = child;
    child.unref();
    child.once("error", (error) => log.error({ err: error.message }, "cannot run keepalived"));
    child.once("exit", (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (!this.stopping) this.options.onExit(signal ? `killed by ${signal}` : `exited with status ${code}`);
    });
    log.info({ pid: child.pid, conf: files.conf }, "keepalived started");
  }

  private adopt(pid: number): void {
    const { files, log } = this.options;
    this.adopted = pid;
    this.stopping = false;
    log.info({ pid }, "keepalived adopted (already running with this agent's configuration)");
    this.poll = setInterval(() => {
      void liveProcess(pid, ["keepalived", files.conf]).then((alive) => {
        if (alive || this.adopted !== pid) return;
        clearInterval(this.poll);
        this.adopted = undefined;
        if (!this.stopping) this.options.onExit("is gone (adopted process)");
      });
    }, ADOPTED_POLL_MS);
    this.poll.unref();
  }

  /**
   * Stops keepalived: SIGTERM (it leaves MASTER with priority 0 and removes its VIPs, so the other
   * director takes over at once), and SIGKILL to both of its processes if it has not gone in 5 s.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const pids = await this.pids();
    const parent = this.pid ?? pids[0];
    clearInterval(this.poll);
    const child = this.child;
    this.child = undefined;
    this.adopted = undefined;
    if (parent === undefined) return;
    const gone = child
      ? new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else child.once("exit", () => resolve());
        })
      : this.waitGone(parent);
    try {
      process.kill(parent, "SIGTERM");
    } catch {}
    const timer = new Promise<"late">((resolve) => setTimeout(() => resolve("late"), STOP_GRACE_MS).unref());
    if ((await Promise.race([gone.then(() => "gone" as const), timer])) === "late")
      for (const pid of pids)
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
    const { files } = this.options;
    await Promise.all([files.pid, files.vrrpPid, files.checkersPid].map((p) => rm(p, { force: true })));
  }

  private async waitGone(pid: number): Promise<void> {
    const { files } = this.options;
    while (await liveProcess(pid, ["keepalived", files.conf])) await new Promise((r) => setTimeout(r, 50));
  }

  /** The agent exits: stop watching, leave keepalived running (fail static). */
  detach(): void {
    clearInterval(this.poll);
    this.stopping = true;
  }
}
