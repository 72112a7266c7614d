import type { Logger } from "pino";
import type { StoredCluster } from "../commands/maintenance-world-types.ts";
import type { MaintenanceEffects } from "./effects.ts";
import { drainedBy } from "./job-text.ts";
import { type ClusterLock, LostLockError } from "./lock.ts";
import type { MaintenanceStore } from "./store.ts";
import type { JobEvent, MaintenanceJob, ServerRef } from "./types.ts";

/**
 * A job while one server runs it: the saved job, how it saves and reports, and its safe points.
 * Every step (real-server-steps.ts, director-steps.ts, undo.ts) works through it.
 */

export interface RunnerDeps {
  store: MaintenanceStore;
  lock: ClusterLock;
  effects: MaintenanceEffects;
  log: Logger;
  /** How often waits poll the agents and the job's control (ms). */
  pollMs: number;
  /** Every event, as it is stored (progress notifications, SSE). */
  onEvent?(job: MaintenanceJob, event: JobEvent): void;
  /** The job ended (completed, failed or cancelled). */
  onFinished?(job: MaintenanceJob): void;
}

/** Thrown at a safe point when the job was cancelled: the engine restores, then ends it `cancelled`. */
export class Cancelled extends Error {}

/** A step that cannot go on; `unhealthy` servers stay drained (marked) instead of being restored. */
export class StepFailed extends Error {
  constructor(
    message: string,
    readonly unhealthy: ServerRef[] = [],
  ) {
    super(message);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type NewEvent = Omit<JobEvent, "seq" | "time" | "drained">;

export async function appendEvent(deps: RunnerDeps, job: MaintenanceJob, e: NewEvent) {
  const stored = await deps.store.appendEvent(job.id, { ...e, time: Date.now(), drained: drainedBy(job.changed) });
  deps.onEvent?.(job, stored);
  return stored;
}

export class JobRun {
  job!: MaintenanceJob;

  constructor(
    readonly deps: RunnerDeps,
    readonly id: string,
    readonly cluster: string,
    readonly token: number,
    private readonly lost: () => boolean,
  ) {}

  async save(change: (job: MaintenanceJob) => MaintenanceJob): Promise<MaintenanceJob> {
    const next = await this.deps.store.update(this.id, change);
    if (!next) throw new LostLockError(`job ${this.id} is gone`);
    this.job = next;
    return next;
  }

  /**
   * Saves a change and its event in one round trip. `change` may return undefined to write
   * nothing (then no event either): the step transitions use it to stop at a cancel or pause.
   */
  async saveWith(
    change: (job: MaintenanceJob) => MaintenanceJob | undefined,
    e: (job: MaintenanceJob) => NewEvent,
  ): Promise<boolean> {
    const { job, event: stored } = await this.deps.store.updateWithEvent(this.id, change, (next) => ({
      ...e(next),
      time: Date.now(),
      drained: drainedBy(next.changed),
    }));
    if (!job) throw new LostLockError(`job ${this.id} is gone`);
    this.job = job;
    if (stored) this.deps.onEvent?.(job, stored);
    return stored !== undefined;
  }

  emit(e: NewEvent) {
    return appendEvent(this.deps, this.job, e);
  }

  /** Throws LostLockError unless this run still fences the cluster; before every change. */
  async fence(): Promise<void> {
    if (this.lost()) throw new LostLockError(`job ${this.id} lost cluster ${this.cluster}`);
    await this.deps.lock.check(this.cluster, this.id, this.token);
  }

  /**
   * A safe point: cancel throws (the caller restores); pause holds here until resumed or
   * cancelled. Returns "end" when a hold was asked to end.
   */
  async checkpoint(): Promise<"end" | undefined> {
    for (;;) {
      const j = await this.deps.store.get(this.id);
      if (!j) throw new LostLockError(`job ${this.id} is gone`);
      if (this.lost() || (j.fence !== undefined && j.fence !== this.token))
        throw new LostLockError(`job ${this.id} is run by another server now`);
      this.job = j;
      if (j.control === "cancel") throw new Cancelled();
      if (j.control === "pause") {
        if (j.state !== "paused") {
          this.job = await this.save((x) => ({ ...x, state: "paused" }));
          await this.emit({
            type: "state",
            state: "paused",
            message: `paused before step ${j.stepIndex + 1}: resume to go on, cancel to restore`,
          });
        }
        await sleep(this.deps.pollMs);
        continue;
      }
      if (j.state === "paused") {
        this.job = await this.save((x) => ({ ...x, state: "active" }));
        await this.emit({ type: "state", state: "active", message: "resumed" });
      }
      if (j.control === "end") {
        this.job = await this.save((x) => ({ ...x, control: undefined }));
        return "end";
      }
      return undefined;
    }
  }

  /** Waits `ms` in small slices, stopping at safe points; resolves early (true) when a hold is ended. */
  async wait(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if ((await this.checkpoint()) === "end") return true;
      await sleep(Math.min(this.deps.pollMs, Math.max(0, until - Date.now())));
    }
    return false;
  }

  async applied(generation: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.deps.effects.apply(this.cluster, generation);
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new StepFailed(`the directors could not apply the change: ${(error as Error).message}`);
        await sleep(Math.min(2_000, 100 * 2 ** attempt));
      }
    }
  }

  /** The cluster's stored spec; a step fails when the cluster is gone. */
  async requireSpec(): Promise<StoredCluster> {
    const stored = await this.deps.effects.spec(this.cluster);
    if (!stored) throw new StepFailed(`cluster ${this.cluster} no longer exists`);
    return stored;
  }
}
