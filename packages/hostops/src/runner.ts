import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { NetnsName } from "./names.ts";

export interface RunOptions {
  /** Written to the command's standard input (then closed). */
  input?: string | undefined;
  /**
   * Kill the command (SIGKILL) after this long; default COMMAND_TIMEOUT_MS (30 s), meant for quick
   * commands. A batch that grows with the table (`ipvsadm -R`, `nft -f`, a full read-back) must pass
   * one that fits it: batchTimeoutMs(statements).
   */
  timeoutMs?: number | undefined;
}

/** How long a quick command (one rule, a sysctl, a read of a few lines) may run before it is killed. */
export const COMMAND_TIMEOUT_MS = 30_000;

/** The most any batch is given: under the server's Apply deadline (LVSFLEET_APPLY_DEADLINE_MS, 15 min), so a stuck batch fails with its own reason first. */
export const BATCH_TIMEOUT_CAP_MS = 10 * 60_000;

/**
 * The kill timeout of one batch command of `statements` lines or rules (ipvsadm -R, nft -f, their
 * read-backs): the quick default plus 5 ms a statement, at most BATCH_TIMEOUT_CAP_MS. A table of
 * 10,000 services × 10 real servers (110,000 ipvsadm lines) gets 580 s; a 30 s limit killed such
 * batches and the retries started them again (issue 14).
 */
export function batchTimeoutMs(statements: number): number {
  return Math.min(BATCH_TIMEOUT_CAP_MS, COMMAND_TIMEOUT_MS + Math.max(0, Math.ceil(statements)) * 5);
}

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/**
 * How hostops reaches a host: runs one program with an argument array (never a shell string),
 * and reads or writes one file (for /proc/sys). A runner bound to a network namespace does
 * everything through `ip netns exec NS`, so that tests can aim the same code at a namespace.
 */
export interface CommandRunner {
  /** The network namespace the runner works in; undefined for the runner's own. */
  readonly netns: string | undefined;
  run(command: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** The file's text, or undefined when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  writeFile(path: string, text: string): Promise<void>;
}

/** A command that failed: which one, its exit status and what it said. */
export class HostCommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | string | undefined,
    readonly stderr: string,
    readonly netns?: string | undefined,
  ) {
    const where = netns ? ` (in netns ${netns})` : "";
    const said = stderr.trim().split("\n").slice(0, 6).join("; ");
    super(`${[command, ...args].join(" ")}${where} failed (${exitCode ?? "killed"}): ${said || "no output"}`);
    this.name = "HostCommandError";
  }
}

const MAX_OUTPUT = 256 * 1024 * 1024;

function exec(command: string, args: readonly string[], options: RunOptions, netns?: string): Promise<CommandResult> {
  const [file, argv] = netns ? ["ip", ["netns", "exec", netns, command, ...args]] : [command, [...args]];
  const timeout = options.timeoutMs ?? COMMAND_TIMEOUT_MS;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      argv,
      { encoding: "utf8", maxBuffer: MAX_OUTPUT, timeout, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT")
          return reject(
            new HostCommandError(command, args, "not installed", `${file}: command not found on PATH`, netns),
          );
        const signal = (error as { signal?: string }).signal;
        // execFile's own timeout: say so, with the limit, rather than a bare SIGKILL
        if ((error as { killed?: boolean }).killed && signal === "SIGKILL" && performance.now() - started >= timeout)
          return reject(
            new HostCommandError(command, args, `killed after its ${timeout} ms timeout`, stderr || "", netns),
          );
        const status = (error as { code?: number | string }).code ?? signal;
        reject(new HostCommandError(command, args, status, stderr || error.message, netns));
      },
    );
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(options.input ?? "");
  });
}

/** Runs commands on this host, or in the named network namespace. */
export class ExecRunner implements CommandRunner {
  readonly netns: string | undefined;

  constructor(options: { netns?: string | undefined } = {}) {
    this.netns = options.netns === undefined ? undefined : NetnsName.parse(options.netns);
  }

  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return exec(command, args, options, this.netns);
  }

  async readFile(path: string): Promise<string | undefined> {
    if (!this.netns) {
      try {
        return await readFile(path, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    }
    // /proc/sys/net shows the namespace of the process that opens it: read it from inside.
    try {
      return (await this.run("cat", [path])).stdout;
    } catch (error) {
      if (error instanceof HostCommandError && /No such file/.test(error.stderr)) return undefined;
      throw error;
    }
  }

  async writeFile(path: string, text: string): Promise<void> {
    if (!this.netns) return writeFile(path, text);
    await this.run("tee", [path], { input: text });
  }
}
