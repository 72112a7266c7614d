import { type ClusterSpec, desiredService, formatEndpoint, type RealServer, serviceKey } from "@lvsfleet/model";
import type { Logger } from "pino";
import { describeSeconds } from "./duration.ts";
import type { MaintenanceEffects } from "./effects.ts";
import { type ClusterLock, LostLockError } from "./lock.ts";
import { capacityAfter, planSteps } from "./plan.ts";
import { describeServer } from "./request.ts";
import type { MaintenanceMark, MaintenanceStore } from "./store.ts";
import {
  type Change,
  type JobEvent,
  type MaintenanceJob,
  type Progress,
  refKey,
  type ServerRef,
  type Step,
  TERMINAL,
} from "./types.ts";

/**
 * Runs one maintenance job as a state machine persisted in Redis: it takes the cluster (lock with
 * fencing, in line behind earlier jobs), plans its steps once, and runs them one by one, saving
 * after each. Before every change it writes the undo entry, so that whatever happens — cancel,
 * failure, a server killed mid-step — what it changed can be restored. Between steps and while
 * waiting it stops at safe points for cancel (restore, then `cancelled`), pause (hold until
 * resumed) and end (a maintenance window ended early). A run started again after a server died
 * goes on from the persisted step (or, with onRestart "restore", restores and fails).
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

export type RunOutcome =
  | { kind: "finished"; job: MaintenanceJob }
  /** Not its turn (or paused before it started): run it again later. */
  | { kind: "wait"; delayMs: number; holder?: string | undefined }
  /** Another run holds the job now: this one stops without touching anything. */
  | { kind: "lost" };

class Cancelled extends Error {}

/** A step that cannot go on; `unhealthy` servers stay drained (marked) instead of being restored. */
export class StepFailed extends Error {
  constructor(
    message: string,
    readonly unhealthy: ServerRef[] = [],
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const endpoint = (r: ServerRef) => formatEndpoint(r.address, r.port);

/** The servers a job has out of service right now (from its undo log). */
export function drainedBy(changed: Change[]): string[] {
  const out = new Set<string>();
  for (const c of changed)
    if ((c.kind === "weight" && c.set === 0) || c.kind === "removed") out.add(`${c.ref.service}/${endpoint(c.ref)}`);
  return [...out].sort();
}

export async function runMaintenanceJob(deps: RunnerDeps, id: string): Promise<RunOutcome> {
  const { store, lock } = deps;
  const first = await store.get(id);
  if (!first || TERMINAL.has(first.state)) return first ? { kind: "finished", job: first } : { kind: "lost" };
  const untouched = first.changed.length === 0 && first.steps.every((s) => s.state === "pending");
  if (first.control === "cancel" && untouched) {
    await lock.leaveLine(first.cluster, id);
    const job = await finish(deps, id, "cancelled", { summary: "cancelled before it started; nothing changed" });
    return { kind: "finished", job };
  }
  if (first.state === "paused" && untouched) return { kind: "wait", delayMs: 1_000 };

  let acquired = await lock.acquire(first.cluster, id, first.seq);
  if (!acquired.ok && acquired.holder && acquired.holder !== id) {
    // A job that is gone or finished but still in line (its server died at the wrong moment) leaves it.
    const holder = await store.get(acquired.holder);
    if (!holder || TERMINAL.has(holder.state)) {
      await lock.leaveLine(first.cluster, acquired.holder);
      acquired = await lock.acquire(first.cluster, id, first.seq);
    }
  }
  if (!acquired.ok) {
    if (first.state !== "waiting")
      await transition(
        deps,
        id,
        "waiting",
        `waiting for job ${acquired.holder ?? "?"} to finish with cluster ${first.cluster}`,
      );
    return { kind: "wait", delayMs: 1_000, holder: acquired.holder };
  }
  const token = acquired.token;
  let lost = false;
  const renewal = setInterval(
    () =>
      void lock
        .renew(first.cluster, id, token)
        .then((ok) => {
          if (!ok) lost = true;
        })
        .catch(() => undefined),
    Math.max(200, Math.floor(lock.ttlMs / 3)),
  );
  const run = new Run(deps, id, first.cluster, token, () => lost);
  try {
    return await run.go();
  } finally {
    clearInterval(renewal);
    const job = await store.get(id);
    if (!job || TERMINAL.has(job.state)) await lock.release(first.cluster, id, token).catch(() => undefined);
  }
}

async function event(deps: RunnerDeps, job: MaintenanceJob, e: Omit<JobEvent, "seq" | "time" | "drained">) {
  const stored = await deps.store.appendEvent(job.id, { ...e, time: Date.now(), drained: drainedBy(job.changed) });
  deps.onEvent?.(job, stored);
  return stored;
}

async function transition(deps: RunnerDeps, id: string, state: MaintenanceJob["state"], message: string) {
  // A job cancelled meanwhile (by a command on any server) stays cancelled.
  const job = await deps.store.update(id, (j) => (TERMINAL.has(j.state) ? undefined : { ...j, state }));
  if (job?.state === state) await event(deps, job, { type: "state", state, message });
  return job;
}

async function finish(
  deps: RunnerDeps,
  id: string,
  state: "completed" | "failed" | "cancelled",
  outcome: { summary: string; error?: string | undefined },
): Promise<MaintenanceJob> {
  const job = (await deps.store.update(id, (j) => ({
    ...j,
    state,
    control: undefined,
    summary: outcome.summary,
    error: outcome.error,
    finishedAt: Date.now(),
    progress: j.progress ? { ...j.progress, message: outcome.summary } : undefined,
  })))!;
  await event(deps, job, {
    type: "state",
    state,
    message: outcome.error ? `${outcome.summary}: ${outcome.error}` : outcome.summary,
  });
  deps.onFinished?.(job);
  return job;
}

class Run {
  private job!: MaintenanceJob;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly id: string,
    private readonly cluster: string,
    private readonly token: number,
    private readonly lost: () => boolean,
  ) {}

  private async save(change: (job: MaintenanceJob) => MaintenanceJob): Promise<MaintenanceJob> {
    const next = await this.deps.store.update(this.id, change);
    if (!next) throw new LostLockError(`job ${this.id} is gone`);
    this.job = next;
    return next;
  }

  /**
   * Saves a change and its event in one round trip. `change` may return undefined to write
   * nothing (then no event either): the step transitions use it to stop at a cancel or pause.
   */
  private async saveWith(
    change: (job: MaintenanceJob) => MaintenanceJob | undefined,
    e: (job: MaintenanceJob) => Omit<JobEvent, "seq" | "time" | "drained">,
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

  private emit(e: Omit<JobEvent, "seq" | "time" | "drained">) {
    return event(this.deps, this.job, e);
  }

  /** Throws LostLockError unless this run still fences the cluster; before every change. */
  private async fence(): Promise<void> {
    if (this.lost()) throw new LostLockError(`job ${this.id} lost cluster ${this.cluster}`);
    await this.deps.lock.check(this.cluster, this.id, this.token);
  }

  async go(): Promise<RunOutcome> {
    const current = await this.deps.store.get(this.id);
    if (!current) return { kind: "lost" };
    // Cancelled (before it started) between taking the cluster and now: nothing to do.
    if (TERMINAL.has(current.state)) return { kind: "finished", job: current };
    const resumed = current.runs > 0;
    this.job = await this.save((j) => ({
      ...j,
      state: j.state === "paused" ? "paused" : "active",
      fence: this.token,
      runs: j.runs + 1,
      startedAt: j.startedAt ?? Date.now(),
    }));
    await this.emit({
      type: "state",
      state: this.job.state,
      message: resumed
        ? `resumed by a restarted server at step ${this.job.stepIndex + 1} of ${this.job.steps.length} (fencing token ${this.token})`
        : `started (fencing token ${this.token})`,
    });
    try {
      if (resumed && this.job.onRestart === "restore")
        throw new StepFailed("the server restarted during the job and onRestart is restore");
      if (this.job.steps.length === 0) {
        const stored = await this.deps.effects.spec(this.cluster);
        if (!stored) throw new StepFailed(`cluster ${this.cluster} no longer exists`);
        const steps = planSteps(stored.spec, this.job.plan, this.job.servers);
        await this.save((j) => ({ ...j, steps, progress: this.progress(j, "planned", { steps }) }));
      }
      for (let i = this.job.stepIndex; i < this.job.steps.length; i++)
        await this.runStep(i, resumed && i === current.stepIndex);
      const summary = this.summary();
      // What a finished job leaves on purpose (a drained server with its mark, a director moved) is not undone.
      await this.save((j) => ({ ...j, changed: [] }));
      return { kind: "finished", job: await finish(this.deps, this.id, "completed", { summary }) };
    } catch (error) {
      if (error instanceof LostLockError) {
        this.deps.log.warn({ job: this.id, err: error.message }, "maintenance job lost its cluster lock; stopping");
        return { kind: "lost" };
      }
      const cancelled = error instanceof Cancelled;
      const failed = error instanceof StepFailed ? error : undefined;
      if (!cancelled && !failed)
        this.deps.log.error({ job: this.id, err: (error as Error).message }, "maintenance step failed");
      const index = this.job.stepIndex;
      if (!cancelled && this.job.steps[index]?.state === "running")
        await this.save((j) => {
          const steps = j.steps.map((s, k) =>
            k === index
              ? { ...s, state: "failed" as const, finishedAt: Date.now(), detail: (error as Error).message }
              : s,
          );
          return { ...j, steps };
        });
      let restored: string;
      try {
        restored = await this.restore(this.job.changed, failed?.unhealthy ?? []);
      } catch (restoreError) {
        if (restoreError instanceof LostLockError) return { kind: "lost" };
        restored = `restoring failed too: ${(restoreError as Error).message}`;
        this.deps.log.error({ job: this.id, err: (restoreError as Error).message }, "restore failed");
      }
      const job = cancelled
        ? await finish(this.deps, this.id, "cancelled", { summary: `cancelled at step ${index + 1}; ${restored}` })
        : await finish(this.deps, this.id, "failed", {
            summary: `failed at step ${index + 1}; ${restored}`,
            error: (error as Error).message,
          });
      return { kind: "finished", job };
    }
  }

  private progress(
    j: MaintenanceJob,
    message: string,
    extra: { steps?: Step[]; connectionsLeft?: number } = {},
  ): Progress {
    const steps = extra.steps ?? j.steps;
    const done = steps.filter((s) => s.state === "done" || s.state === "skipped").length;
    const rolling = j.plan.kind === "rolling";
    const serversDone = steps
      .filter((s) => s.kind === "restore" && s.state === "done")
      .reduce((n, s) => n + (s.servers?.length ?? 0), 0);
    return {
      message,
      step: done,
      steps: steps.length,
      ...(extra.connectionsLeft !== undefined ? { connectionsLeft: extra.connectionsLeft } : {}),
      ...(rolling ? { serversDone, serversTotal: j.servers.length } : {}),
    };
  }

  private summary(): string {
    const j = this.job;
    switch (j.plan.kind) {
      case "drain":
        return `${j.servers.map(endpoint).join(", ")} drained${j.plan.remove ? " and removed" : ""}; undrain restores ${j.servers.length === 1 ? "it" : "them"}`;
      case "maintenance":
        return `maintenance of ${j.servers.map(endpoint).join(", ")} done; weights restored`;
      case "undrain":
        return `${j.servers.map(endpoint).join(", ")} back in service`;
      case "rolling":
        return `rolled over ${j.servers.length} real server(s); every one restored and healthy`;
      case "switchover":
        return j.plan.moveBackSeconds === undefined
          ? `the VIPs are on ${j.plan.to}; ${j.plan.from} is ${j.plan.method === "stop" ? "stopped" : "at lower priority"} (switchover again to move them back)`
          : `the VIPs went to ${j.plan.to} and are back on ${j.plan.from}`;
    }
  }

  /**
   * A safe point: cancel throws (the caller restores); pause holds here until resumed or
   * cancelled. Returns "end" when a hold was asked to end.
   */
  private async checkpoint(): Promise<"end" | undefined> {
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
  private async wait(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if ((await this.checkpoint()) === "end") return true;
      await sleep(Math.min(this.deps.pollMs, Math.max(0, until - Date.now())));
    }
    return false;
  }

  /**
   * One step: marked running (that write is also the safe point before the step: when a cancel,
   * pause or end is pending, nothing is written and checkpoint() deals with it), executed, marked
   * done. Each mark and its event go to Redis in one round trip.
   */
  private async runStep(index: number, resumedHere: boolean): Promise<void> {
    const before = this.job.steps[index]!;
    const wasRunning = before.state === "running";
    if (before.state === "done" || before.state === "skipped") {
      await this.save((j) => ({ ...j, stepIndex: index + 1 }));
      return;
    }
    const start = (j: MaintenanceJob): MaintenanceJob | undefined =>
      j.control || j.state === "paused" || (j.fence !== undefined && j.fence !== this.token)
        ? undefined
        : {
            ...j,
            stepIndex: index,
            steps: j.steps.map((s, k) =>
              k === index ? { ...s, state: "running" as const, startedAt: s.startedAt ?? Date.now() } : s,
            ),
            progress: this.progress(j, before.title),
          };
    const started = (j: MaintenanceJob) => ({
      type: "step" as const,
      step: index,
      stepState: "running" as const,
      message: `step ${index + 1}/${j.steps.length}: ${before.title}`,
    });
    while (!(await this.saveWith(start, started))) await this.checkpoint();
    const step = this.job.steps[index]!;
    const detail = await this.execute(step, resumedHere && wasRunning);
    const state = detail.skipped ? ("skipped" as const) : ("done" as const);
    await this.saveWith(
      (j) => {
        const steps = j.steps.map((s, k) =>
          k === index ? { ...s, state, finishedAt: Date.now(), detail: detail.text } : s,
        );
        return {
          ...j,
          steps,
          stepIndex: index + 1,
          progress: this.progress({ ...j, steps }, detail.text ?? step.title),
        };
      },
      (j) => ({
        type: "step",
        step: index,
        stepState: state,
        message: `step ${index + 1}/${j.steps.length} ${state}: ${step.title}${detail.text ? ` — ${detail.text}` : ""}`,
        progress: j.progress,
      }),
    );
  }

  private async execute(step: Step, interrupted: boolean): Promise<{ text?: string | undefined; skipped?: boolean }> {
    const servers = step.servers ?? [];
    switch (step.kind) {
      case "drain":
        if (this.job.plan.kind === "rolling") await this.gateCapacity(step, servers);
        return { text: await this.setWeights(servers, 0) };
      case "wait-drained":
        return { text: await this.waitDrained(step, servers) };
      case "remove":
        return { text: await this.remove(servers) };
      case "mark":
        return { text: await this.mark(servers, "drained by this job") };
      case "hold": {
        const ms =
          step.seconds === undefined ? Number.POSITIVE_INFINITY : step.startedAt! + step.seconds * 1000 - Date.now();
        const ended = await this.wait(ms);
        return {
          text: ended ? "ended early" : step.seconds === undefined ? "ended" : `held ${describeSeconds(step.seconds)}`,
        };
      }
      case "action":
        if (interrupted)
          return {
            skipped: true,
            text: "the server restarted while the action ran; it is not run twice (the health check decides)",
          };
        return { text: await this.action(servers) };
      case "wait-healthy":
        return { text: await this.waitHealthy(step, servers) };
      case "restore":
        if (step.host)
          return {
            text: await this.restore(
              this.job.changed.filter((c) => "host" in c && c.host === step.host),
              [],
            ),
          };
        if (this.job.plan.kind === "undrain") return { text: await this.undrain(servers) };
        return {
          text: await this.restore(
            this.job.changed.filter((c) => "ref" in c && servers.some((s) => refKey(s) === refKey(c.ref))),
            [],
          ),
        };
      case "director-up":
        return { text: await this.directorUp(step.host!) };
      case "demote":
        return { text: await this.demote(step.host!) };
      case "verify-vip":
        return { text: await this.verifyVip(step) };
    }
  }

  // --- real servers -------------------------------------------------------------------------

  private async applied(generation: number): Promise<void> {
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

  private requireSpec = async () => {
    const stored = await this.deps.effects.spec(this.cluster);
    if (!stored) throw new StepFailed(`cluster ${this.cluster} no longer exists`);
    return stored;
  };

  /** Sets weights, writing each undo entry first; a server already changed by this job keeps its first entry. */
  private async setWeights(servers: ServerRef[], weight: number): Promise<string> {
    const { spec } = await this.requireSpec();
    const entries = servers.map((s) => ({ ref: s, entry: findEntry(spec, s) }));
    const missing = entries.filter((e) => !e.entry);
    if (missing.length > 0)
      throw new StepFailed(
        `no longer in the spec: ${missing.map((m) => describeServer(m.ref, this.cluster)).join(", ")}`,
      );
    const fresh = entries.filter(
      (e) => !this.job.changed.some((c) => c.kind === "weight" && refKey(c.ref) === refKey(e.ref)),
    );
    await this.fence();
    await this.save((j) => ({
      ...j,
      changed: [
        ...j.changed,
        ...fresh.map((e) => ({ kind: "weight" as const, ref: e.ref, before: e.entry!.weight, set: weight })),
      ],
    }));
    await this.fence();
    const update = await this.deps.effects.updateSpec(this.cluster, (current) => {
      if (!current) throw new StepFailed(`cluster ${this.cluster} no longer exists`);
      const next = structuredClone(current);
      for (const s of servers) {
        const entry = findEntry(next, s);
        if (entry) entry.weight = weight;
      }
      return { spec: next, result: undefined };
    });
    await this.applied(update.generation);
    const words = entries.map((e) => `${endpoint(e.ref)} ${e.entry!.weight} -> ${weight}`).join(", ");
    await this.emit({ type: "server", message: `weight ${words} (generation ${update.generation})` });
    return `${words}; applied to every director (generation ${update.generation})`;
  }

  private async waitDrained(step: Step, servers: ServerRef[]): Promise<string> {
    const plan = this.job.plan;
    const timeoutSeconds = "timeoutSeconds" in plan ? plan.timeoutSeconds : 600;
    const includeInactive = "includeInactive" in plan ? plan.includeInactive : false;
    const onTimeout = "onTimeout" in plan ? plan.onTimeout : "fail";
    const deadline = step.startedAt! + timeoutSeconds * 1000;
    let last: number | undefined;
    let lastReport = 0;
    for (;;) {
      const { spec } = await this.requireSpec();
      const count = await this.deps.effects.connections(spec, servers);
      const left = [...count.perServer.values()].reduce((n, c) => n + c.active + (includeInactive ? c.inactive : 0), 0);
      const everyDirectorRead = count.unreadable.length < spec.directors.length || spec.directors.length === 0;
      if (left !== last || Date.now() - lastReport > 5_000) {
        last = left;
        lastReport = Date.now();
        const message = `${left} ${includeInactive ? "connection(s)" : "active connection(s)"} left on ${servers.map(endpoint).join(", ")}${count.unreadable.length ? ` (not read from ${count.unreadable.join(", ")})` : ""}`;
        await this.save((j) => ({ ...j, progress: this.progress(j, message, { connectionsLeft: left }) }));
        await this.emit({ type: "progress", message, progress: this.job.progress });
      }
      if (left === 0 && everyDirectorRead && count.unreadable.length === 0) return "no connections left";
      if (Date.now() >= deadline) {
        const message = `the drain deadline (${describeSeconds(timeoutSeconds)}) passed with ${left} connection(s) left on ${servers.map(endpoint).join(", ")}`;
        if (onTimeout === "proceed") return `${message}; going on (onTimeout proceed)`;
        throw new StepFailed(message);
      }
      await this.wait(Math.min(this.deps.pollMs * 2, Math.max(0, deadline - Date.now())));
    }
  }

  private async remove(servers: ServerRef[]): Promise<string> {
    const { spec } = await this.requireSpec();
    const found = servers.map((s) => {
      const service = spec.services.find((x) => x.name === s.service);
      const index = service?.realServers.findIndex((r) => r.address === s.address && r.port === s.port) ?? -1;
      return { ref: s, index, entry: index >= 0 ? service!.realServers[index]! : undefined };
    });
    const present = found.filter((f) => f.entry);
    await this.fence();
    await this.save((j) => ({
      ...j,
      changed: [
        ...j.changed,
        ...present.map((f) => {
          // The entry as it was before the drain (its weight from the undo log).
          const weight = j.changed.find((c) => c.kind === "weight" && refKey(c.ref) === refKey(f.ref));
          const entry = { ...f.entry!, weight: weight?.kind === "weight" ? weight.before : f.entry!.weight };
          return { kind: "removed" as const, ref: f.ref, entry, index: f.index };
        }),
      ],
    }));
    await this.fence();
    const update = await this.deps.effects.updateSpec(this.cluster, (current) => {
      if (!current) throw new StepFailed(`cluster ${this.cluster} no longer exists`);
      const next = structuredClone(current);
      for (const s of servers) {
        const service = next.services.find((x) => x.name === s.service);
        if (service)
          service.realServers = service.realServers.filter((r) => !(r.address === s.address && r.port === s.port));
      }
      return { spec: next, result: undefined };
    });
    await this.applied(update.generation);
    await this.emit({ type: "server", message: `removed ${servers.map(endpoint).join(", ")} from the table` });
    return `removed from the spec and every director (generation ${update.generation})`;
  }

  /** Moves the servers' undo entries into maintenance marks: they stay out until undrain. */
  private async mark(servers: ServerRef[], reason: string): Promise<string> {
    const keys = new Set(servers.map(refKey));
    for (const s of servers) {
      const weight = this.job.changed.find((c) => c.kind === "weight" && refKey(c.ref) === refKey(s));
      const removed = this.job.changed.find((c) => c.kind === "removed" && refKey(c.ref) === refKey(s));
      const mark: MaintenanceMark = {
        job: this.id,
        since: Date.now(),
        weight: removed?.kind === "removed" ? removed.entry.weight : weight?.kind === "weight" ? weight.before : 1,
        ...(removed?.kind === "removed" ? { removed: { entry: removed.entry, index: removed.index } } : {}),
        reason,
      };
      await this.deps.store.setMark(this.cluster, refKey(s), mark);
    }
    await this.save((j) => ({ ...j, changed: j.changed.filter((c) => !("ref" in c) || !keys.has(refKey(c.ref))) }));
    return `${servers.map(endpoint).join(", ")} stay out of service; undrain restores ${servers.length === 1 ? "it" : "them"}`;
  }

  /** Rolling: before draining a batch, the service must keep minCapacity of healthy weight without it. */
  private async gateCapacity(step: Step, servers: ServerRef[]): Promise<void> {
    const plan = this.job.plan;
    if (plan.kind !== "rolling") return;
    const deadline = Date.now() + plan.healthTimeoutSeconds * 1000;
    let reported = false;
    for (;;) {
      const { spec } = await this.requireSpec();
      const all = spec.services.flatMap((s) =>
        s.realServers.map((r) => ({
          service: s.name,
          address: r.address,
          port: r.port,
          host: r.host,
          weight: r.weight,
        })),
      );
      const original = (r: ServerRef & { weight: number }) => {
        const c = this.job.changed.find((x) => x.kind === "weight" && refKey(x.ref) === refKey(r));
        return c?.kind === "weight" ? c.before : r.weight;
      };
      const totals = new Map(spec.services.map((s) => [s.name, 0]));
      for (const r of all) totals.set(r.service, (totals.get(r.service) ?? 0) + original(r));
      const touched = new Set(servers.map((s) => s.service));
      const health = await this.deps.effects.health.check(
        this.cluster,
        spec,
        all.filter((r) => touched.has(r.service)),
      );
      const healthy = new Map(
        all.filter((r) => health.get(refKey(r))?.healthy && r.weight > 0).map((r) => [refKey(r), r.weight] as const),
      );
      const verdict = capacityAfter(totals, healthy, servers, plan.minCapacity);
      if (verdict.ok) return;
      const words = verdict.services
        .map(
          (s) =>
            `${s.service}: ${s.left} of ${s.total} healthy weight would be left, ${plan.minCapacity}% needs ${Math.ceil(s.needed)}`,
        )
        .join("; ");
      if (Date.now() > deadline)
        throw new StepFailed(`not enough healthy capacity to drain ${servers.map(endpoint).join(", ")}: ${words}`);
      if (!reported) {
        reported = true;
        await this.emit({ type: "progress", message: `waiting for capacity before ${step.title}: ${words}` });
      }
      await this.wait(this.deps.pollMs * 2);
    }
  }

  private async action(servers: ServerRef[]): Promise<string> {
    const plan = this.job.plan;
    if (plan.kind !== "rolling") return "no action";
    if (plan.action.kind === "pause") {
      await this.wait(plan.action.seconds * 1000);
      return `paused ${describeSeconds(plan.action.seconds)}`;
    }
    const name = plan.action.name;
    const hosts = [...new Set(servers.map((s) => s.host))];
    if (hosts.some((h) => h === undefined))
      throw new StepFailed(`action ${name} needs the real server's agent host in the spec (realServers[].host)`);
    await this.fence();
    const results = await Promise.allSettled(hosts.map((h) => this.deps.effects.runAction(this.cluster, h!, name)));
    const failures = results.flatMap((r, i) =>
      r.status === "rejected"
        ? [`${hosts[i]}: ${(r.reason as Error).message}`]
        : r.value.exitCode !== 0
          ? [
              `${hosts[i]}: exit ${r.value.exitCode}${r.value.output ? `: ${r.value.output.trim().split("\n").slice(-3).join(" | ")}` : ""}`,
            ]
          : [],
    );
    if (failures.length > 0) throw new StepFailed(`action ${name} failed on ${failures.join("; ")}`);
    const took = results
      .map((r, i) => (r.status === "fulfilled" ? `${hosts[i]} ${r.value.durationMs} ms` : ""))
      .join(", ");
    await this.emit({ type: "server", message: `action ${name} done on ${took}` });
    return `action ${name} exited 0 on ${took}`;
  }

  private async waitHealthy(step: Step, servers: ServerRef[]): Promise<string> {
    const plan = this.job.plan;
    const timeoutSeconds = plan.kind === "rolling" ? plan.healthTimeoutSeconds : 120;
    const deadline = step.startedAt! + timeoutSeconds * 1000;
    let lastWords = "";
    for (;;) {
      const { spec } = await this.requireSpec();
      const verdicts = await this.deps.effects.health.check(this.cluster, spec, servers);
      const down = servers.filter((s) => !verdicts.get(refKey(s))?.healthy);
      if (down.length === 0)
        return servers.map((s) => `${endpoint(s)}: ${verdicts.get(refKey(s))?.detail ?? "up"}`).join("; ");
      const words = down.map((s) => `${endpoint(s)}: ${verdicts.get(refKey(s))?.detail ?? "no verdict"}`).join("; ");
      if (words !== lastWords) {
        lastWords = words;
        await this.emit({ type: "progress", message: `waiting for health: ${words}` });
      }
      if (Date.now() >= deadline)
        throw new StepFailed(
          `${down.map(endpoint).join(", ")} did not pass ${down.length === 1 ? "its" : "their"} health check within ${describeSeconds(timeoutSeconds)} (${words}); left drained and marked in maintenance, the rolling job stops here`,
          down,
        );
      await this.wait(this.deps.pollMs * 2);
    }
  }

  private async undrain(servers: ServerRef[]): Promise<string> {
    const marks = await this.deps.store.marks(this.cluster);
    const words: string[] = [];
    await this.fence();
    const update = await this.deps.effects.updateSpec(this.cluster, (current) => {
      if (!current) throw new StepFailed(`cluster ${this.cluster} no longer exists`);
      const next = structuredClone(current);
      words.length = 0;
      for (const s of servers) {
        const mark = marks.get(refKey(s));
        const service = next.services.find((x) => x.name === s.service);
        if (!mark || !service) continue;
        const entry = findEntry(next, s);
        if (!entry && mark.removed) {
          service.realServers.splice(Math.min(mark.removed.index, service.realServers.length), 0, mark.removed.entry);
          words.push(`${endpoint(s)} added back with weight ${mark.removed.entry.weight}`);
        } else if (entry && entry.weight === 0) {
          entry.weight = mark.weight;
          words.push(`${endpoint(s)} 0 -> ${mark.weight}`);
        } else if (entry) words.push(`${endpoint(s)} left at weight ${entry.weight} (changed since the drain)`);
      }
      return { spec: next, result: undefined };
    });
    await this.applied(update.generation);
    for (const s of servers) await this.deps.store.clearMark(this.cluster, refKey(s));
    await this.emit({ type: "server", message: words.join(", ") || "nothing to restore" });
    return words.join(", ") || "nothing to restore";
  }

  // --- directors ----------------------------------------------------------------------------

  private async directorUp(host: string): Promise<string> {
    const state = await this.deps.effects.directorState(this.cluster, host).catch((error: Error) => {
      throw new StepFailed(`director ${host} cannot be reached: ${error.message}`);
    });
    if (state.roleState === "running") return `${host} is running`;
    const stored = await this.requireSpec();
    await this.fence();
    await this.save((j) => ({ ...j, changed: [...j.changed, { kind: "director-started", host }] }));
    await this.deps.effects.changeDirector(stored.spec, stored.generation, host, "start");
    await this.emit({ type: "server", message: `started ${host}` });
    return `started ${host}`;
  }

  private async demote(host: string): Promise<string> {
    const plan = this.job.plan;
    if (plan.kind !== "switchover") return "nothing to do";
    const stored = await this.requireSpec();
    await this.fence();
    if (plan.method === "stop") {
      await this.save((j) => ({ ...j, changed: [...j.changed, { kind: "director-stopped", host }] }));
      await this.deps.effects.changeDirector(stored.spec, stored.generation, host, "stop");
      await this.emit({ type: "server", message: `stopped ${host}: it gave up the VIPs` });
      return `stopped ${host}`;
    }
    const from = stored.spec.directors.find((d) => d.host === host);
    const to = stored.spec.directors.find((d) => d.host === plan.to);
    if (!from || !to) throw new StepFailed(`director ${!from ? host : plan.to} is no longer in the spec`);
    const priority = to.priority - 1;
    if (priority < 1) throw new StepFailed(`${plan.to} has priority ${to.priority}: ${host} cannot go below it`);
    await this.save((j) => ({
      ...j,
      changed: [...j.changed, { kind: "priority", host, before: { role: from.role, priority: from.priority } }],
    }));
    await this.fence();
    const update = await this.deps.effects.updateSpec(this.cluster, (current) => {
      if (!current) throw new StepFailed(`cluster ${this.cluster} no longer exists`);
      const next = structuredClone(current);
      for (const d of next.directors) {
        if (d.host === host) Object.assign(d, { priority, role: "backup" });
        if (d.host === plan.to) d.role = "master";
      }
      return { spec: next, result: undefined };
    });
    await this.applied(update.generation);
    await this.emit({ type: "server", message: `${host}'s priority ${from.priority} -> ${priority}` });
    return `${host}'s VRRP priority ${from.priority} -> ${priority} (below ${plan.to}'s ${to.priority})`;
  }

  private async verifyVip(step: Step): Promise<string> {
    const plan = this.job.plan;
    if (plan.kind !== "switchover") return "nothing to verify";
    const holder = step.host!;
    const other = holder === plan.to ? plan.from : plan.to;
    const deadline = step.startedAt! + plan.verifyTimeoutSeconds * 1000;
    let words = "";
    let baseline: number | undefined;
    for (;;) {
      const { spec } = await this.requireSpec();
      const check = await verifyHolder(
        this.deps.effects,
        spec,
        holder,
        other,
        plan.method === "stop" && holder === plan.to,
      );
      if (check.ok && !plan.verifyTraffic) return check.detail;
      if (check.ok) {
        // Traffic flows: the holder's connection counter (ipvsadm --stats) goes up while we watch.
        const conns = await this.deps.effects
          .directorState(spec.name, holder)
          .then((state) => state.table.services.reduce((n, s) => n + (s.stats?.conns ?? 0), 0))
          .catch(() => undefined);
        if (conns !== undefined && baseline !== undefined && conns > baseline)
          return `${check.detail}; ${conns - baseline} new connection(s) through it`;
        baseline ??= conns;
        check.detail = `${check.detail}, waiting for new connections through it`;
      }
      if (check.detail !== words) {
        words = check.detail;
        await this.emit({ type: "progress", message: `waiting for ${holder} to hold the VIPs: ${words}` });
      }
      if (Date.now() >= deadline)
        throw new StepFailed(
          `${holder} does not hold the VIPs and serve within ${describeSeconds(plan.verifyTimeoutSeconds)}: ${words}`,
        );
      await this.wait(this.deps.pollMs * 2);
    }
  }

  // --- restore ------------------------------------------------------------------------------

  /**
   * Undoes changes, newest first: weights back (only where the weight is still what the job set),
   * removed servers added back, directors started or stopped again, priorities back. Servers in
   * `keepOut` are not restored: they get a maintenance mark instead. Returns what it did, in words.
   */
  private async restore(changes: Change[], keepOut: ServerRef[]): Promise<string> {
    if (changes.length === 0 && keepOut.length === 0) return "nothing to restore";
    const out = new Set(keepOut.map(refKey));
    const words: string[] = [];
    if (keepOut.length > 0) words.push(await this.mark(keepOut, "did not pass its health check after maintenance"));
    const todo = changes.filter((c) => !("ref" in c) || !out.has(refKey(c.ref))).reverse();
    const specChanges = todo.filter((c) => c.kind === "weight" || c.kind === "removed" || c.kind === "priority");
    if (specChanges.length > 0) {
      await this.fence();
      const said: string[] = [];
      const update = await this.deps.effects.updateSpec(this.cluster, (current) => {
        if (!current) throw new StepFailed(`cluster ${this.cluster} no longer exists`);
        const next = structuredClone(current);
        said.length = 0;
        for (const c of specChanges) said.push(undoInSpec(next, c));
        return { spec: next, result: undefined };
      });
      await this.applied(update.generation);
      words.push(...said);
    }
    for (const c of todo) {
      if (c.kind !== "director-stopped" && c.kind !== "director-started") continue;
      const stored = await this.requireSpec();
      await this.fence();
      const action = c.kind === "director-stopped" ? "start" : "stop";
      await this.deps.effects.changeDirector(stored.spec, stored.generation, c.host, action);
      words.push(`${action === "start" ? "started" : "stopped"} ${c.host} again`);
    }
    const done = new Set(todo);
    await this.save((j) => ({
      ...j,
      changed: j.changed.filter((c) => !done.has(c) && !todo.some((t) => sameChange(t, c))),
    }));
    const message = `restored: ${words.join("; ")}`;
    await this.emit({ type: "server", message });
    return message;
  }
}

function sameChange(a: Change, b: Change): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function findEntry(spec: ClusterSpec, ref: Pick<ServerRef, "service" | "address" | "port">): RealServer | undefined {
  return spec.services
    .find((s) => s.name === ref.service)
    ?.realServers.find((r) => r.address === ref.address && r.port === ref.port);
}

/** One undo entry applied to a spec copy; returns what it did in words. */
function undoInSpec(spec: ClusterSpec, change: Change): string {
  switch (change.kind) {
    case "weight": {
      const entry = findEntry(spec, change.ref);
      if (!entry) return `${endpoint(change.ref)} is no longer in the spec`;
      if (entry.weight !== change.set)
        return `${endpoint(change.ref)} left at weight ${entry.weight} (changed by someone else since)`;
      entry.weight = change.before;
      return `${endpoint(change.ref)} weight ${change.set} -> ${change.before}`;
    }
    case "removed": {
      const service = spec.services.find((s) => s.name === change.ref.service);
      if (!service) return `service ${change.ref.service} is gone; ${endpoint(change.ref)} not added back`;
      if (findEntry(spec, change.ref)) return `${endpoint(change.ref)} is already back`;
      service.realServers.splice(Math.min(change.index, service.realServers.length), 0, change.entry);
      return `${endpoint(change.ref)} added back with weight ${change.entry.weight}`;
    }
    case "priority": {
      const director = spec.directors.find((d) => d.host === change.host);
      if (!director) return `director ${change.host} is gone`;
      const others = spec.directors.filter((d) => d.host !== change.host);
      if (change.before.role === "master") for (const d of others) if (d.role === "master") d.role = "backup";
      Object.assign(director, change.before);
      return `${change.host} priority back to ${change.before.priority} (${change.before.role})`;
    }
    default:
      return "";
  }
}

/**
 * Whether `holder` has the VIPs and serves: its agent is running, it holds every VIP (the VRRP
 * report's vipsHeld when the agent reports VRRP, else the addresses on its interfaces), and its
 * table has each virtual service with a real server of weight above 0. `other` must not hold them
 * when it runs VRRP (without VRRP, lvsdr puts the VIP on every running director), and must be
 * stopped when `expectOtherStopped` (the stop method's demoted master).
 */
export async function verifyHolder(
  effects: MaintenanceEffects,
  spec: ClusterSpec,
  holder: string,
  other: string,
  expectOtherStopped: boolean,
): Promise<{ ok: boolean; detail: string }> {
  const vipsOf = (state: Awaited<ReturnType<MaintenanceEffects["directorState"]>>) => {
    const reported = (state as { failover?: { vipsHeld?: string[] } }).failover?.vipsHeld;
    if (reported && (state as { failover?: { vrrp?: unknown[] } }).failover?.vrrp?.length) return new Set(reported);
    return new Set(state.host.addresses.map((a) => a.address));
  };
  let state: Awaited<ReturnType<MaintenanceEffects["directorState"]>>;
  try {
    state = await effects.directorState(spec.name, holder);
  } catch (error) {
    return { ok: false, detail: `${holder} unreachable: ${(error as Error).message}` };
  }
  if (state.roleState !== "running") return { ok: false, detail: `${holder} is ${state.roleState}` };
  const held = vipsOf(state);
  const missing = spec.vips.filter((v) => !held.has(v));
  if (missing.length > 0) return { ok: false, detail: `${holder} lacks ${missing.join(", ")}` };
  const idle = spec.services.filter((s) => {
    const table = state.table.services.find((t) => serviceKey(t) === serviceKey(desiredService(s)));
    return s.realServers.some((r) => r.weight > 0) && !table?.destinations.some((d) => d.weight > 0);
  });
  if (idle.length > 0)
    return { ok: false, detail: `${holder}'s table does not serve ${idle.map((s) => s.name).join(", ")}` };
  try {
    const otherState = await effects.directorState(spec.name, other);
    if (expectOtherStopped && otherState.roleState === "running")
      return { ok: false, detail: `${other} is still running` };
    // Without VRRP both directors may carry the VIP (lvsdr start adds it): exclusivity is VRRP's to tell.
    const vrrp = (otherState as { failover?: { vrrp?: unknown[] } }).failover?.vrrp?.length;
    const theirs = vipsOf(otherState);
    const both = vrrp && otherState.roleState === "running" ? spec.vips.filter((v) => theirs.has(v)) : [];
    if (both.length > 0) return { ok: false, detail: `${other} still holds ${both.join(", ")}` };
  } catch {
    // an unreachable director holds nothing we can see
  }
  return {
    ok: true,
    detail: `${holder} holds ${spec.vips.join(", ")} and serves ${spec.services.map((s) => s.name).join(", ")}`,
  };
}
