import { Api } from "./api.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { describeJob, type JobView, waitForJob } from "./jobs.ts";
import { type Format, formatData, parseFormat } from "./output.ts";
import { readCaFile, resolveSettings, type Settings } from "./settings.ts";

/** Where lvsctl writes, and the environment it reads (a process's, or a test's). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

/** The options every command takes (see `lvsctl --help`). */
export interface GlobalOptions {
  server?: string;
  token?: string;
  config?: string;
  cluster?: string;
  caFile?: string;
  output?: string;
  timeout?: string;
  wait?: boolean;
  waitTimeout?: string;
}

function seconds(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliError(`${flag} ${text}: must be a number of seconds above 0`, EXIT.usage);
  return n;
}

/** What a command runs with: settings and the API client (made on first use), output format, waiting. */
export class Context {
  private resolved: Settings | undefined;
  private client: Api | undefined;
  readonly format: Format;
  readonly wait: boolean;
  readonly waitTimeoutMs: number;
  private readonly timeoutMs: number;

  constructor(
    readonly io: Io,
    readonly options: GlobalOptions,
  ) {
    this.format = parseFormat(options.output);
    this.wait = options.wait !== false;
    this.waitTimeoutMs = seconds(options.waitTimeout, "--wait-timeout", 60) * 1000;
    this.timeoutMs = seconds(options.timeout, "--timeout", 30) * 1000;
  }

  get settings(): Settings {
    if (!this.resolved) {
      const settings = resolveSettings(this.options, this.io.env);
      if (settings.warning) this.io.err(`${settings.warning}\n`);
      this.resolved = settings;
    }
    return this.resolved;
  }

  get api(): Api {
    const { urls, token, caFile, sources } = this.settings;
    this.client ??= new Api({
      urls,
      token,
      timeoutMs: this.timeoutMs,
      caPem: caFile === undefined ? undefined : readCaFile(caFile, sources.caFile),
    });
    return this.client;
  }

  /** The cluster a command is about: the argument, --cluster, LVSFLEET_CLUSTER or the config file, else the only one. */
  async cluster(arg?: string): Promise<string> {
    const named = arg ?? this.settings.cluster;
    if (named) return named;
    const { clusters } = await this.api.get<{ clusters: { name: string }[] }>("/v1/clusters");
    if (clusters.length === 1) return clusters[0]?.name as string;
    throw new CliError(
      clusters.length === 0
        ? "there are no clusters yet: create one with lvsctl apply -f spec.yaml or lvsctl import"
        : `say which cluster: ${clusters.map((c) => c.name).join(", ")} (an argument, --cluster or LVSFLEET_CLUSTER)`,
      EXIT.usage,
    );
  }

  /** Prints data in the chosen format; `table` is the command's own view. */
  print(data: unknown, table: () => string): void {
    this.io.out(this.format === "table" ? table() : formatData(data, this.format));
  }

  /**
   * After a command queued a job: waits for it (unless --no-wait), prints it, and fails with
   * exit 8 when it failed. Returns the job as it ended (or as queued).
   */
  async finishJob(queued: JobView, intro?: string): Promise<JobView> {
    if (!this.wait) {
      this.print(queued, () => `${intro ? `${intro}\n` : ""}job ${queued.id} queued: ${queued.command}\n`);
      return queued;
    }
    const job = await waitForJob(this.api, queued.id, this.waitTimeoutMs);
    this.print(job, () => `${intro ? `${intro}\n` : ""}${describeJob(job)}`);
    if (job.state === "cancelled") throw new CliError(`job ${job.id} was cancelled`, EXIT.jobFailed);
    if (job.state === "failed")
      throw new CliError(`job ${job.id} failed${job.error ? `: ${job.error}` : ""}`, EXIT.jobFailed, [
        `retry it with: lvsctl retry ${job.id}`,
      ]);
    return job;
  }
}
