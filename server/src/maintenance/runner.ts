import { demote, directorUp, verifyVip } from "./director-steps.ts";
import { describeSeconds } from "./duration.ts";
import { appendEvent, Cancelled, JobRun, type RunnerDeps, StepFailed } from "./job-run.ts";
import { jobSummary, progress } from "./job-text.ts";
import { LostLockError } from "./lock.ts";
import { planSteps } from "./plan.ts";
import {
  action,
  gateCapacity,
  mark,
  remove,
  setWeights,
  undrain,
  waitDrained,
  waitHealthy,
} from "./real-server-steps.ts";
import { type MaintenanceJob, refKey, type Step, TERMINAL } from "./types.ts";
import { restore } from "./undo.ts";

/**
 * Runs one maintenance job as a state machine persisted in Redis: it takes the cluster (lock with
 * fencing, in line behind earlier jobs), plans its steps once, and runs them one by one, saving
 * after each. Before every change it writes the undo entry, so that whatever happens — cancel,
 * failure, a server killed mid-step — what it changed can be restored. Between steps and while
 * waiting it stops at safe points for cancel (restore, then `cancelled`), pause (hold until
 * resumed) and end (a maintenance window ended early). A run started again after a server died
 * goes on from the persisted step (or, with onRestart "restore", restores and fails).
 */

export type RunOutcome =
  | { kind: "finished"; job: MaintenanceJob }
  /** Not its turn (or paused before it started): run it again later. */
  | { kind: "wait"; delayMs: number; holder?: string | undefined }
  /** Another run holds the job now: this one stops without touching anything. */
  | { kind: "lost" };

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
  const run = new JobRun(deps, id, first.cluster, token, () => lost);
  try {
    return await go(run);
  } finally {
    clearInterval(renewal);
    const job = await store.get(id);
    if (!job || TERMINAL.has(job.state)) await lock.release(first.cluster, id, token).catch(() => undefined);
  }
}

async function transition(deps: RunnerDeps, id: string, state: MaintenanceJob["state"], message: string) {
  // A job cancelled meanwhile (by a command on any server) stays cancelled.
  const job = await deps.store.update(id, (j) => (TERMINAL.has(j.state) ? undefined : { ...j, state }));
  if (job?.state === state) await appendEvent(deps, job, { type: "state", state, message });
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
  await appendEvent(deps, job, {
    type: "state",
    state,
    message: outcome.error ? `${outcome.summary}: ${outcome.error}` : outcome.summary,
  });
  deps.onFinished?.(job);
  return job;
}

/**
 * The run itself, once it holds the cluster: the steps planned once, each run in turn from the
 * saved one, then `completed`; a failure or cancel restores what the job changed and ends it.
 */
async function go(run: JobRun): Promise<RunOutcome> {
  const current = await run.deps.store.get(run.id);
  if (!current) return { kind: "lost" };
  // Cancelled (before it started) between taking the cluster and now: nothing to do.
  if (TERMINAL.has(current.state)) return { kind: "finished", job: current };
  const resumed = current.runs > 0;
  run.job = await run.save((j) => ({
    ...j,
    state: j.state === "paused" ? "paused" : "active",
    fence: run.token,
    runs: j.runs + 1,
    startedAt: j.startedAt ?? Date.now(),
  }));
  await run.emit({
    type: "state",
    state: run.job.state,
    message: resumed
      ? `resumed by a restarted server at step ${run.job.stepIndex + 1} of ${run.job.steps.length} (fencing token ${run.token})`
      : `started (fencing token ${run.token})`,
  });
  try {
    if (resumed && run.job.onRestart === "restore")
      throw new StepFailed("the server restarted during the job and onRestart is restore");
    if (run.job.steps.length === 0) {
      const stored = await run.deps.effects.spec(run.cluster);
      if (!stored) throw new StepFailed(`cluster ${run.cluster} no longer exists`);
      const steps = planSteps(stored.spec, run.job.plan, run.job.servers);
      await run.save((j) => ({ ...j, steps, progress: progress(j, "planned", { steps }) }));
    }
    for (let i = run.job.stepIndex; i < run.job.steps.length; i++)
      await runStep(run, i, resumed && i === current.stepIndex);
    const summary = jobSummary(run.job);
    // What a finished job leaves on purpose (a drained server with its mark, a director moved) is not undone.
    await run.save((j) => ({ ...j, changed: [] }));
    return { kind: "finished", job: await finish(run.deps, run.id, "completed", { summary }) };
  } catch (error) {
    if (error instanceof LostLockError) {
      run.deps.log.warn({ job: run.id, err: error.message }, "maintenance job lost its cluster lock; stopping");
      return { kind: "lost" };
    }
    const cancelled = error instanceof Cancelled;
    const failed = error instanceof StepFailed ? error : undefined;
    if (!cancelled && !failed)
      run.deps.log.error({ job: run.id, err: (error as Error).message }, "maintenance step failed");
    const index = run.job.stepIndex;
    if (!cancelled && run.job.steps[index]?.state === "running")
      await run.save((j) => {
        const steps = j.steps.map((s, k) =>
          k === index
            ? { ...s, state: "failed" as const, finishedAt: Date.now(), detail: (error as Error).message }
            : s,
        );
        return { ...j, steps };
      });
    let restored: string;
    try {
      restored = await restore(run, run.job.changed, failed?.unhealthy ?? []);
    } catch (restoreError) {
      if (restoreError instanceof LostLockError) return { kind: "lost" };
      restored = `restoring failed too: ${(restoreError as Error).message}`;
      run.deps.log.error({ job: run.id, err: (restoreError as Error).message }, "restore failed");
    }
    const job = cancelled
      ? await finish(run.deps, run.id, "cancelled", { summary: `cancelled at step ${index + 1}; ${restored}` })
      : await finish(run.deps, run.id, "failed", {
          summary: `failed at step ${index + 1}; ${restored}`,
          error: (error as Error).message,
        });
    return { kind: "finished", job };
  }
}

/**
 * One step: marked running (that write is also the safe point before the step: when a cancel,
 * pause or end is pending, nothing is written and checkpoint() deals with it), executed, marked
 * done. Each mark and its event go to Redis in one round trip.
 */
async function runStep(run: JobRun, index: number, resumedHere: boolean): Promise<void> {
  const before = run.job.steps[index]!;
  const wasRunning = before.state === "running";
  if (before.state === "done" || before.state === "skipped") {
    await run.save((j) => ({ ...j, stepIndex: index + 1 }));
    return;
  }
  const start = (j: MaintenanceJob): MaintenanceJob | undefined =>
    j.control || j.state === "paused" || (j.fence !== undefined && j.fence !== run.token)
      ? undefined
      : {
          ...j,
          stepIndex: index,
          steps: j.steps.map((s, k) =>
            k === index ? { ...s, state: "running" as const, startedAt: s.startedAt ?? Date.now() } : s,
          ),
          progress: progress(j, before.title),
        };
  const started = (j: MaintenanceJob) => ({
    type: "step" as const,
    step: index,
    stepState: "running" as const,
    message: `step ${index + 1}/${j.steps.length}: ${before.title}`,
  });
  while (!(await run.saveWith(start, started))) await run.checkpoint();
  const step = run.job.steps[index]!;
  const detail = await execute(run, step, resumedHere && wasRunning);
  const state = detail.skipped ? ("skipped" as const) : ("done" as const);
  await run.saveWith(
    (j) => {
      const steps = j.steps.map((s, k) =>
        k === index ? { ...s, state, finishedAt: Date.now(), detail: detail.text } : s,
      );
      return {
        ...j,
        steps,
        stepIndex: index + 1,
        progress: progress({ ...j, steps }, detail.text ?? step.title),
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

async function execute(
  run: JobRun,
  step: Step,
  interrupted: boolean,
): Promise<{ text?: string | undefined; skipped?: boolean }> {
  const servers = step.servers ?? [];
  switch (step.kind) {
    case "drain":
      if (run.job.plan.kind === "rolling") await gateCapacity(run, step, servers);
      return { text: await setWeights(run, servers, 0) };
    case "wait-drained":
      return { text: await waitDrained(run, step, servers) };
    case "remove":
      return { text: await remove(run, servers) };
    case "mark":
      return { text: await mark(run, servers, "drained by this job") };
    case "hold": {
      const ms =
        step.seconds === undefined ? Number.POSITIVE_INFINITY : step.startedAt! + step.seconds * 1000 - Date.now();
      const ended = await run.wait(ms);
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
      return { text: await action(run, servers) };
    case "wait-healthy":
      return { text: await waitHealthy(run, step, servers) };
    case "restore":
      if (step.host)
        return {
          text: await restore(
            run,
            run.job.changed.filter((c) => "host" in c && c.host === step.host),
            [],
          ),
        };
      if (run.job.plan.kind === "undrain") return { text: await undrain(run, servers) };
      return {
        text: await restore(
          run,
          run.job.changed.filter((c) => "ref" in c && servers.some((s) => refKey(s) === refKey(c.ref))),
          [],
        ),
      };
    case "director-up":
      return { text: await directorUp(run, step.host!) };
    case "demote":
      return { text: await demote(run, step.host!) };
    case "verify-vip":
      return { text: await verifyVip(run, step) };
  }
}
