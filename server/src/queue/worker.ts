import { channel } from "node:diagnostics_channel";
import { withRequestId } from "@lvsfleet/rpc";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Fleet } from "../agents/fleet.ts";
import { JOB_FINISHED_CHANNEL, type JobFinishedRecord } from "../commands/job-finished.ts";
import { type ClusterStore, StoredSpecError } from "../store/clusters.ts";
import { type ClusterApplier, UnknownClusterError } from "./applier.ts";
import { type ApplyRound, describeApplyProgress } from "./apply-progress.ts";
import { changeRoles } from "./host-roles.ts";
import { type CommandJobData, type CommandJobResult, QUEUE_NAME } from "./jobs.ts";

export interface WorkerSettings {
  prefix: string;
  concurrency: number;
  backoffMs: number;
  /** How long a worker holds a job before another server may take it over (a crashed server's jobs resume after it). */
  lockMs: number;
  /** The worker's name (this replica's id): a running job's BullMQ record says which replica runs it. */
  replica?: string | undefined;
  /** How often a running apply job writes its progress (default APPLY_PROGRESS_MS). */
  progressMs?: number | undefined;
}

/** How often a running apply job writes where its directors are (GET /v1/jobs/{id} progress). */
export const APPLY_PROGRESS_MS = 1_000;

/**
 * Runs `work` while writing the progress of the round it follows into the job every `everyMs`
 * (BullMQ job progress): "lb-master: applying 10,000 services, 12 s so far".
 */
async function withApplyProgress<T>(
  job: Job<CommandJobData, CommandJobResult>,
  everyMs: number,
  work: (follow: (round: ApplyRound) => void) => Promise<T>,
): Promise<T> {
  let round: ApplyRound | undefined;
  let writing = false;
  const timer = setInterval(() => {
    if (!round || writing) return;
    writing = true;
    job
      .updateProgress(describeApplyProgress(round) as unknown as object)
      .catch(() => undefined)
      .finally(() => {
        writing = false;
      });
  }, everyMs);
  try {
    return await work((r) => {
      round = r;
    });
  } finally {
    clearInterval(timer);
  }
}

export interface WorkerHooks {
  /** A job finished for good: completed, or failed with no attempts left. */
  onFinished?(job: Job<CommandJobData, CommandJobResult>, outcome: { result?: CommandJobResult; error?: Error }): void;
}

/** Doubling retry delays from backoffMs, capped at 30 s. */
export function cappedBackoff(backoffMs: number) {
  return (attemptsMade: number) => Math.min(30_000, backoffMs * 2 ** Math.max(0, attemptsMade - 1));
}

/**
 * Runs queued commands against the agents. Apply jobs converge the cluster's directors to the
 * desired state (at least the generation the job was created for); start/stop jobs change roles.
 * Failures are retried with backoff; every call to an agent has a deadline.
 */
export function startWorker(
  connection: Redis,
  settings: WorkerSettings,
  deps: { clusters: ClusterStore; fleet: Fleet; applier: ClusterApplier; log: Logger },
  hooks: WorkerHooks = {},
): Worker<CommandJobData, CommandJobResult> {
  const progressMs = settings.progressMs ?? APPLY_PROGRESS_MS;
  const process = async (job: Job<CommandJobData, CommandJobResult>): Promise<CommandJobResult> => {
    const { kind, cluster } = job.data;
    if (kind === "apply" && job.data.hosts) {
      // a re-sync: only the directors that came back behind are called (resync.ts)
      const hosts = job.data.hosts;
      const outcome = await withApplyProgress(job, progressMs, (follow) =>
        deps.applier.applyToHosts(cluster, hosts, follow),
      );
      const changed = outcome.hosts.filter((h) => h.changes.length > 0).length;
      return {
        summary: `generation ${outcome.generation} re-applied to ${outcome.hosts.map((h) => h.host).join(", ") || "no director"}${changed ? `, ${changed} changed` : ", nothing to change"}`,
        generation: outcome.generation,
        hosts: outcome.hosts,
      };
    }
    if (kind === "apply") {
      const applied = await withApplyProgress(job, progressMs, (follow) =>
        deps.applier.ensureApplied(cluster, job.data.generation ?? 0, follow),
      );
      // A command that changed nothing reports no changes, even if the round that applied its
      // generation (someone else's) changed things; one that did change reports that round's changes.
      const noOp = applied.via === "already-applied" && job.data.changed === false;
      const outcome = noOp ? { ...applied, hosts: applied.hosts.map((h) => ({ ...h, changes: [] })) } : applied;
      const changed = outcome.hosts.filter((h) => h.changes.length > 0).length;
      const directors = `${outcome.hosts.length} director(s)`;
      const summary = noOp
        ? `generation ${outcome.generation} was already applied to ${directors}: nothing to change`
        : `generation ${outcome.generation} applied to ${directors}${changed ? `, ${changed} changed` : ", nothing to change"}${outcome.via === "own" ? "" : " (together with other queued changes)"}`;
      return {
        summary,
        generation: outcome.generation,
        hosts: outcome.hosts,
      };
    }
    const stored = await deps.clusters.get(cluster);
    if (!stored) throw new UnknownClusterError(`no cluster named ${cluster}`);
    const hosts = await changeRoles(
      deps.fleet,
      stored.spec,
      stored.generation,
      kind,
      job.data.hosts,
      deps.applier.concurrency,
    );
    const verb = kind === "start" ? "started" : "stopped";
    return {
      summary: `${verb} ${hosts.map((h) => h.host).join(", ") || "no hosts"}`,
      generation: stored.generation,
      hosts,
    };
  };

  // A job for a cluster that no longer exists, or whose stored spec cannot be read, fails at once:
  // retrying cannot help.
  // The request id that queued the job is current while it runs, so the gRPC calls carry it.
  const run = (job: Job<CommandJobData, CommandJobResult>) =>
    withRequestId(job.data.requestId, () => process(job)).catch((error: unknown) => {
      throw error instanceof UnknownClusterError || error instanceof StoredSpecError
        ? new UnrecoverableError(error.message)
        : error;
    });
  const worker = new Worker<CommandJobData, CommandJobResult>(QUEUE_NAME, run, {
    connection,
    ...(settings.replica ? { name: settings.replica } : {}),
    prefix: settings.prefix,
    concurrency: settings.concurrency,
    lockDuration: settings.lockMs,
    stalledInterval: settings.lockMs,
    settings: { backoffStrategy: cappedBackoff(settings.backoffMs) },
  });
  worker.on("completed", (job, result) => {
    publishJobFinished(job, "completed");
    hooks.onFinished?.(job, { result });
  });
  worker.on("failed", (job, error) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError;
    deps.log[final ? "error" : "warn"](
      {
        job: job.id,
        kind: job.data.kind,
        cluster: job.data.cluster,
        attempt: job.attemptsMade,
        err: error.message,
        reqId: job.data.requestId,
      },
      final ? "job failed" : "job attempt failed; will retry",
    );
    if (final) {
      publishJobFinished(job, "failed");
      hooks.onFinished?.(job, { error });
    }
  });
  worker.on("error", (error) => deps.log.error({ err: error.message }, "worker error"));
  return worker;
}

const jobsFinished = channel(JOB_FINISHED_CHANNEL);

function publishJobFinished(job: Job<CommandJobData, CommandJobResult>, outcome: JobFinishedRecord["outcome"]): void {
  if (!jobsFinished.hasSubscribers) return;
  const finished = job.finishedOn ?? Date.now();
  jobsFinished.publish({
    kind: job.data.kind,
    outcome,
    totalSeconds: Math.max(0, finished - job.timestamp) / 1_000,
    runSeconds: Math.max(0, finished - (job.processedOn ?? finished)) / 1_000,
    attempts: job.attemptsMade,
  } satisfies JobFinishedRecord);
}
