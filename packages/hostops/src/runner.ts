import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { NetnsName } from "./names.ts";

export interface RunOptions {
  /** Written to the command's standard input (then closed). */
  input?: string | undefined;
  /** Kill the command after this long (default 30 s). */
  timeoutMs?: number | undefined;
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
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      argv,
      { encoding: "utf8", maxBuffer: MAX_OUTPUT, timeout: options.timeoutMs ?? 30_000, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT")
          return reject(
            new HostCommandError(command, args, "not installed", `${file}: command not found on PATH`, netns),
          );
        const status = (error as { code?: number | string }).code ?? (error as { signal?: string }).signal;
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
