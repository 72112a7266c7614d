import { channel } from "node:diagnostics_channel";
import { withRequestId } from "@lvsfleet/rpc";
import { DelayedError, type Job, Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { JOB_FINISHED_CHANNEL } from "../commands/job-finished.ts";
import type { AuditLog } from "../commands/maintenance-world-types.ts";
import type { MaintenanceEffects } from "./effects.ts";
import { ClusterLock } from "./lock.ts";
import { type RunOutcome, runMaintenanceJob } from "./runner.ts";
import { MaintenanceStore, maintenanceKeys } from "./store.ts";
import { type JobEvent, type MaintenanceJob, type Schedule, TERMINAL } from "./types.ts";

export const MAINTENANCE_QUEUE = "maintenance";

/** Finished maintenance jobs go to the same channel as command jobs: lvsfleet_jobs_finished_total{kind="drain",outcome="cancelled"}… */
const jobsFinished = channel(JOB_FINISHED_CHANNEL);

/** How old an unfinished job must be before a sweep takes it for one that lost its queue entry (ms). */
const ORPHAN_AGE_MS = 10_000;

/** What a BullMQ job of the maintenance queue carries: the job's id, or the schedule that fired it. */
export interface MaintenanceQueueData {
  id?: string;
  scheduleId?: string;
}

export interface MaintenanceSettings {
  prefix: string;
  concurrency: number;
  /** BullMQ lock and stalled check, and the cluster lock's time to live (a dead server's job is taken over after it). */
  lockMs: number;
  retentionCount: number;
  retentionSeconds: number;
  pollMs: number;
  /** The worker's name (this replica's id): a running job's BullMQ record says which replica runs it. */
  replica?: string | undefined;
}

/** Makes a job from a schedule when its cron fires (the command layer validates and audits). */
export type ScheduleFirer = (schedule: Schedule, firing: string) => Promise<MaintenanceJob | undefined>;

/**
 * Whether a job that has not started yet may start now: its creator's authority still holds (the
 * command layer checks, and records a refusal); false ends the job without running it.
 */
export type JobAdmission = (job: MaintenanceJob) => Promise<boolean>;

/**
 * The maintenance queue: a BullMQ queue and worker of its own (long waits do not hold up the
 * command jobs), the job store, the per-cluster lock, cron schedules (BullMQ job schedulers) and
 * progress events (onEvent: SSE streams here, chat in notify/). The runner does the work; this is
 * the imperative shell around it.
 */
export class MaintenanceService {
  readonly store: MaintenanceStore;
  readonly lock: ClusterLock;
  readonly queue: Queue<MaintenanceQueueData>;
  private worker: Worker<MaintenanceQueueData> | undefined;
  private firer: ScheduleFirer | undefined;
  private admit: JobAdmission | undefined;
  private readonly connection: Redis;
  /** Event listeners (SSE clients of this server get events as they are stored, besides polling). */
  private readonly listeners = new Set<(job: MaintenanceJob, event: JobEvent) => void>();

  constructor(
    redis: Redis,
    bullConnection: Redis,
    readonly settings: MaintenanceSettings,
    readonly effects: MaintenanceEffects,
    private readonly audit: AuditLog,
    private readonly log: Logger,
  ) {
    const keys = maintenanceKeys(settings.prefix);
    // A connection of its own with auto-pipelining: the commands of hundreds of jobs issued in the
    // same tick go out in one write (measured: socket writes were the server's largest CPU cost).
    this.connection = redis.duplicate({ enableAutoPipelining: true });
    this.store = new MaintenanceStore(this.connection, keys, {
      count: settings.retentionCount,
      seconds: settings.retentionSeconds,
    });
    this.lock = new ClusterLock(this.connection, keys, settings.lockMs);
    this.queue = new Queue<MaintenanceQueueData>(MAINTENANCE_QUEUE, {
      connection: bullConnection,
      prefix: settings.prefix,
    });
  }

  /** Starts the worker (after the command layer registered how schedules become jobs). */
  async start(workerConnection: Redis, firer: ScheduleFirer, admit?: JobAdmission): Promise<void> {
    this.firer = firer;
    this.admit = admit;
    this.worker = new Worker<MaintenanceQueueData>(MAINTENANCE_QUEUE, (job, token) => this.process(job, token), {
      connection: workerConnection,
      ...(this.settings.replica ? { name: this.settings.replica } : {}),
      prefix: this.settings.prefix,
      concurrency: this.settings.concurrency,
      lockDuration: this.settings.lockMs,
      stalledInterval: this.settings.lockMs,
      // A job whose server died is taken over (and resumes from its step) however often that happens.
      maxStalledCount: 1_000,
    });
    this.worker.on("error", (error) => this.log.error({ err: error.message }, "maintenance worker error"));
  }

  async close(): Promise<void> {
    await this.worker?.close();
    this.connection.disconnect();
    await this.queue.close();
  }

  onEvent(listener: (job: MaintenanceJob, event: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Queues a stored job to run now or at its runAt. */
  async enqueue(job: MaintenanceJob): Promise<void> {
    const delay = job.runAt ? Math.max(0, job.runAt - Date.now()) : 0;
    await this.queue.add(
      "maintenance",
      { id: job.id },
      {
        jobId: job.id,
        delay,
        attempts: 1,
        removeOnComplete: { age: this.settings.retentionSeconds, count: this.settings.retentionCount },
        removeOnFail: { age: this.settings.retentionSeconds, count: this.settings.retentionCount },
      },
    );
  }

  /** Creates or replaces a cron schedule (a BullMQ job scheduler with the same id). */
  async schedule(schedule: Schedule): Promise<{ next?: number | undefined }> {
    await this.store.putSchedule(schedule);
    const job = await this.queue.upsertJobScheduler(
      schedule.id,
      { pattern: schedule.cron, tz: schedule.timeZone },
      {
        name: "schedule",
        data: { scheduleId: schedule.id },
        opts: {
          attempts: 1,
          removeOnComplete: { age: this.settings.retentionSeconds, count: this.settings.retentionCount },
          removeOnFail: { age: this.settings.retentionSeconds, count: this.settings.retentionCount },
        },
      },
    );
    return { next: job ? job.timestamp + (job.delay ?? 0) : undefined };
  }

  async nextRun(scheduleId: string): Promise<number | undefined> {
    const scheduler = await this.queue.getJobScheduler(scheduleId);
    return scheduler?.next ?? undefined;
  }

  async unschedule(id: string): Promise<boolean> {
    await this.queue.removeJobScheduler(id);
    return this.store.deleteSchedule(id);
  }

  /** A queued or waiting job's BullMQ job is taken off the queue (cancelled before it started). */
  async dequeue(job: MaintenanceJob): Promise<void> {
    const queued = await this.queue.getJob(job.queueJobId ?? job.id);
    await queued?.remove().catch(() => undefined);
    await this.lock.leaveLine(job.cluster, job.id);
  }

  /** Runs a waiting (delayed) job now: after a resume, or when the cluster it waited for is free. */
  async promote(id: string): Promise<void> {
    const job = await this.store.get(id);
    const queued = await this.queue.getJob(job?.queueJobId ?? id);
    if (queued && (await queued.isDelayed()) && !(job?.runAt && job.runAt > Date.now()))
      await queued.promote().catch(() => undefined);
  }

  private async process(bull: Job<MaintenanceQueueData>, token: string | undefined): Promise<string> {
    let id = bull.data.id;
    if (!id && bull.data.scheduleId) {
      const schedule = await this.store.schedule(bull.data.scheduleId);
      if (!schedule || !this.firer) return "schedule removed";
      const made = await this.firer(schedule, bull.id ?? String(Date.now()));
      if (!made) return "schedule could not make a job";
      id = made.id;
      await this.store.update(id, (j) => (j.queueJobId ? undefined : { ...j, queueJobId: bull.id }));
      await bull.updateData({ ...bull.data, id });
    }
    if (!id) return "no job";
    const stored = await this.store.get(id);
    // A job queued for later (runAt) or waiting its turn starts only while its creator may still run it.
    const untouched = stored && stored.runs === 0 && stored.steps.every((step) => step.state === "pending");
    if (stored && untouched && this.admit && !(await this.admit(stored)))
      return "refused: its creator's authority is gone";
    let outcome: RunOutcome;
    try {
      outcome = await withRequestId(stored?.requestId, () =>
        runMaintenanceJob(
          {
            store: this.store,
            lock: this.lock,
            effects: this.effects,
            log: this.log,
            pollMs: this.settings.pollMs,
            onEvent: (job, event) => this.published(job, event),
            onFinished: (job) => void this.finished(job),
          },
          id,
        ),
      );
    } catch (error) {
      // Redis or the server failed under the runner (its own failures end the job): run it again
      // in a moment; it goes on from its saved step.
      this.log.error({ job: id, err: (error as Error).message }, "maintenance run broke off; it will go on");
      outcome = { kind: "wait", delayMs: 2_000 };
    }
    if (outcome.kind === "wait") {
      await bull.moveToDelayed(Date.now() + outcome.delayMs, token);
      throw new DelayedError();
    }
    if (outcome.kind === "finished") return outcome.job.summary ?? outcome.job.state;
    return "taken over by another run";
  }

  private published(job: MaintenanceJob, event: JobEvent): void {
    for (const listener of this.listeners) listener(job, event);
  }

  /** One audit entry per job run, and the next job of the cluster is told it may go. */
  private async finished(job: MaintenanceJob): Promise<void> {
    if (jobsFinished.hasSubscribers) {
      const end = job.finishedAt ?? Date.now();
      jobsFinished.publish({
        kind: job.kind,
        outcome: job.state,
        totalSeconds: Math.max(0, end - job.createdAt) / 1_000,
        runSeconds: Math.max(0, end - (job.startedAt ?? end)) / 1_000,
        attempts: job.runs,
      });
    }
    try {
      await this.audit.append({
        actor: { type: "job", name: `job ${job.id}` },
        channel: "job",
        command: job.command,
        cluster: job.cluster,
        target: job.servers.map((s) => `${s.service}/${s.address}:${s.port}`).join(",") || job.cluster,
        after: {
          state: job.state,
          steps: job.steps.map((s) => `${s.state}: ${s.title}${s.detail ? ` — ${s.detail}` : ""}`),
        },
        outcome: job.state === "failed" ? "failed" : "completed",
        detail: `${job.state}: ${job.summary ?? ""}${job.error ? ` (${job.error})` : ""} (for ${job.actor.type} ${job.actor.name})`,
        job: job.id,
      });
    } catch (error) {
      this.log.error({ err: (error as Error).message, job: job.id }, "audit append failed");
    }
    const next = await this.lock.release(job.cluster, job.id, job.fence).catch(() => undefined);
    if (next) await this.promote(next).catch(() => undefined);
  }

  /**
   * Unfinished jobs whose BullMQ job is gone (Redis restored from an older snapshot) are queued again.
   * Fleet-wide bookkeeping: the holder of the supervisor lease does it when it gains the lease (not
   * every replica at its start), and the new queue entry is claimed on the job record first
   * (compare-and-set on its queue entry), so a job is never queued twice over.
   */
  async requeueOrphans(): Promise<void> {
    // a job just created is being queued by the request that made it: left to that request
    const settled = Date.now() - ORPHAN_AGE_MS;
    for (const job of await this.store.unfinished()) if (job.createdAt <= settled) await this.ensureQueued(job);
  }

  /**
   * Queues an unfinished job again when its BullMQ job is gone (lost in a Redis fail-over, or Redis
   * restored from an older snapshot): the sweep above, and a request replayed with the job's
   * idempotency key (its first answer may have been a 503 after the queue entry was lost).
   */
  async ensureQueued(job: MaintenanceJob): Promise<void> {
    if (TERMINAL.has(job.state)) return;
    if (job.state === "scheduled" && job.runAt && job.runAt > Date.now() && (await this.queue.getJob(job.id))) return;
    const queued = await this.queue.getJob(job.queueJobId ?? job.id);
    const state = queued ? await queued.getState() : undefined;
    if (queued && state !== "completed" && state !== "failed") return;
    this.log.warn({ job: job.id, state: job.state }, "maintenance job without a queue entry: queueing it again");
    const queueJobId = `${job.id}-r${Date.now()}`;
    const claimed = await this.store.update(job.id, (j) =>
      j.queueJobId === job.queueJobId && !TERMINAL.has(j.state) ? { ...j, queueJobId } : undefined,
    );
    if (claimed?.queueJobId !== queueJobId) return;
    await this.queue.add("maintenance", { id: job.id }, { jobId: queueJobId, attempts: 1 });
  }
}
