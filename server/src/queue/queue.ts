import { currentRequestId } from "@lvsfleet/rpc";
import { type Job, type JobsOptions, Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Role } from "../access/roles.ts";
import type { ApplyProgress } from "./apply-progress.ts";
import { type CommandJobData, type CommandJobResult, QUEUE_NAME, roleNeeded } from "./jobs.ts";

export interface QueueSettings {
  prefix: string;
  attempts: number;
  retentionCount: number;
  retentionSeconds: number;
}

/** What GET /v1/jobs/{id} shows. */
export interface JobView {
  id: string;
  kind: CommandJobData["kind"];
  cluster: string;
  command: string;
  actor: CommandJobData["actor"];
  /** The role the command needs (and a retry of it). */
  need: Role;
  state: "queued" | "active" | "completed" | "failed";
  /** True while a failed attempt waits for its retry. */
  retrying: boolean;
  attempts: { made: number; max: number };
  /** The request that queued the job (X-Request-Id), to follow it in the server's and agents' logs. */
  requestId?: string | undefined;
  /** The last attempt's error, while retrying or once failed. */
  error?: string | undefined;
  result?: CommandJobResult | undefined;
  /** A running apply: where each director is ("lb-master: applying 10,000 services, 12 s so far"). */
  progress?: ApplyProgress | undefined;
  createdAt: string;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);

/** The producer side: enqueue commands, read jobs back. */
export class CommandQueue {
  readonly queue: Queue<CommandJobData, CommandJobResult>;
  private readonly defaults: JobsOptions;

  constructor(connection: Redis, settings: QueueSettings) {
    this.queue = new Queue<CommandJobData, CommandJobResult>(QUEUE_NAME, { connection, prefix: settings.prefix });
    this.defaults = {
      attempts: settings.attempts,
      backoff: { type: "capped" },
      removeOnComplete: { age: settings.retentionSeconds, count: settings.retentionCount },
      removeOnFail: { age: settings.retentionSeconds, count: settings.retentionCount },
    };
  }

  /**
   * `dedupe`: while a job queued with the same id is waiting, retrying or running, this one is not
   * queued again (BullMQ deduplication; the id is free once that job completes or fails).
   */
  async enqueue(data: CommandJobData, options: { dedupe?: string | undefined } = {}): Promise<JobView> {
    const requestId = data.requestId ?? currentRequestId();
    const job = await this.queue.add(data.kind, requestId ? { ...data, requestId } : data, {
      ...this.defaults,
      ...(options.dedupe ? { deduplication: { id: options.dedupe } } : {}),
    });
    return view(job, "queued");
  }

  /**
   * The job as it is now. Its state is read before its record: a job that finishes in between is
   * shown still running (its record may already carry the result), never completed without one.
   */
  async get(id: string): Promise<JobView | undefined> {
    const state = await this.queue.getJobState(id);
    const job = await this.queue.getJob(id);
    if (!job) return undefined;
    return view(job, state);
  }

  /** The newest jobs the queue still keeps (every state), newest first. */
  async recent(count: number): Promise<JobView[]> {
    const jobs = await this.queue.getJobs(
      ["active", "waiting", "delayed", "prioritized", "completed", "failed"],
      0,
      count - 1,
      false,
    );
    const views = await Promise.all(
      jobs.filter(Boolean).map(async (job) => {
        const state = await job.getState();
        // Re-read a job that finished after the listing read its record (see get()).
        const fresh =
          state === "completed" || state === "failed" ? ((await this.queue.getJob(job.id ?? "")) ?? job) : job;
        return view(fresh, state);
      }),
    );
    return views.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, count);
  }

  /** Re-runs a failed job from the start (its attempts begin again). */
  async retry(id: string): Promise<JobView | undefined> {
    const job = await this.queue.getJob(id);
    if (!job) return undefined;
    if ((await job.getState()) === "failed") await job.retry("failed");
    return this.get(id);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

function isApplyProgress(progress: unknown): progress is ApplyProgress {
  return typeof progress === "object" && progress !== null && typeof (progress as ApplyProgress).message === "string";
}

function view(job: Job<CommandJobData, CommandJobResult>, bullState: string): JobView {
  const state: JobView["state"] =
    bullState === "completed"
      ? "completed"
      : bullState === "failed"
        ? "failed"
        : bullState === "active"
          ? "active"
          : "queued";
  const retrying = state !== "failed" && state !== "completed" && job.attemptsMade > 0;
  return {
    id: job.id ?? "",
    kind: job.data.kind,
    cluster: job.data.cluster,
    command: job.data.command,
    actor: job.data.actor,
    need: roleNeeded(job.data),
    requestId: job.data.requestId,
    state,
    retrying,
    attempts: { made: job.attemptsMade, max: job.opts.attempts ?? 1 },
    error: job.failedReason || undefined,
    result: state === "completed" ? job.returnvalue : undefined,
    progress: state === "active" && isApplyProgress(job.progress) ? job.progress : undefined,
    createdAt: iso(job.timestamp) ?? "",
    startedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
  };
}
