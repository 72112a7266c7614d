import { randomBytes } from "node:crypto";
import { formatEndpoint, ValidationError, validate } from "@lvsfleet/model";
import { currentRequestId } from "@lvsfleet/rpc";
import type { Actor } from "../access/roles.ts";
import { describeJob, planSteps } from "../maintenance/plan.ts";
import {
  describeServer,
  JobRequest,
  planOptions,
  resolveRollingTargets,
  resolveServerTargets,
} from "../maintenance/request.ts";
import type { MaintenanceService } from "../maintenance/service.ts";
import {
  JOB_STATES,
  type JobEvent,
  type MaintenanceJob,
  type MaintenanceKind,
  type MaintenanceState,
  refKey,
  type Schedule,
  type ServerRef,
  TERMINAL,
} from "../maintenance/types.ts";
import { nextCron, parseWhen } from "../maintenance/when.ts";
import type { JobView } from "../queue/queue.ts";
import { audited, canRead, permitStill } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { ConflictError, NotFoundError } from "./errors.ts";

/**
 * Maintenance jobs through the one command layer: submit (now, at a time, or on a cron
 * schedule; idempotency keys), list, read, cancel/pause/resume/end, the event stream, schedules.
 * Every front door (REST, chat, CLI, schedules) calls these.
 */

export const MAINTENANCE_ID = /^m-\d+$/;

export { parseDuration } from "../maintenance/duration.ts";
export type { JobEvent, MaintenanceJob } from "../maintenance/types.ts";
/** The job vocabulary the front doors validate and document with (REST's schema, chat's parser). */
export { JOB_KINDS, JOB_STATES, TERMINAL } from "../maintenance/types.ts";

/** drain, maintenance, undrain and rolling need operator; a switchover stops and starts directors: admin. */
const fail = (field: string, message: string) => new ValidationError([{ field, message }]);

const NEED: Record<MaintenanceKind, "operator" | "admin"> = {
  drain: "operator",
  maintenance: "operator",
  undrain: "operator",
  rolling: "operator",
  switchover: "admin",
};

function service(ctx: CommandContext): MaintenanceService {
  if (!ctx.maintenance) throw new Error("maintenance jobs are not wired in this server");
  return ctx.maintenance;
}

/** What GET /v1/jobs/{id} shows of a maintenance job (a superset of the command job's view). */
export interface MaintenanceJobView {
  id: string;
  kind: MaintenanceKind;
  cluster: string;
  command: string;
  actor: Actor;
  state: MaintenanceState;
  /** Asked for and not yet honoured (cancel, pause, end). */
  control?: string | undefined;
  retrying: false;
  attempts: { made: number; max: number };
  requestId?: string | undefined;
  idempotencyKey?: string | undefined;
  scheduleId?: string | undefined;
  servers: string[];
  steps: {
    kind: string;
    title: string;
    state: string;
    detail?: string | undefined;
    startedAt?: string | undefined;
    finishedAt?: string | undefined;
  }[];
  progress?: MaintenanceJob["progress"];
  /** The servers the job has out of service now. */
  drained: string[];
  error?: string | undefined;
  result?: { summary: string; hosts: [] } | undefined;
  runAt?: string | undefined;
  createdAt: string;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);

export function maintenanceView(job: MaintenanceJob): MaintenanceJobView {
  const drained = new Set<string>();
  for (const c of job.changed)
    if ((c.kind === "weight" && c.set === 0) || c.kind === "removed")
      drained.add(`${c.ref.service}/${formatEndpoint(c.ref.address, c.ref.port)}`);
  return {
    id: job.id,
    kind: job.kind,
    cluster: job.cluster,
    command: job.command,
    actor: job.actor,
    state: job.state,
    control: job.control,
    retrying: false,
    attempts: { made: job.runs, max: 1 },
    requestId: job.requestId,
    idempotencyKey: job.idempotencyKey,
    scheduleId: job.scheduleId,
    servers: job.servers.map((s) => describeServer(s)),
    steps: job.steps.map((s) => ({
      kind: s.kind,
      title: s.title,
      state: s.state,
      detail: s.detail,
      startedAt: iso(s.startedAt),
      finishedAt: iso(s.finishedAt),
    })),
    progress: job.progress,
    drained: [...drained].sort(),
    error: job.error,
    result: TERMINAL.has(job.state) && job.summary ? { summary: job.summary, hosts: [] } : undefined,
    runAt: iso(job.runAt),
    createdAt: iso(job.createdAt) ?? "",
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
  };
}

export type SubmitOutcome =
  | { kind: "job"; job: MaintenanceJobView; replay: boolean }
  | { kind: "schedule"; schedule: ScheduleView };

export interface ScheduleView {
  id: string;
  cluster: string;
  kind: MaintenanceKind;
  cron: string;
  timeZone: string;
  targets: unknown;
  options: unknown;
  actor: Actor;
  createdAt: string;
  nextRunAt?: string | undefined;
}

/** Resolves a request against the cluster as it is now: the plan, the servers, the words (throws on bad input). */
async function resolveRequest(ctx: CommandContext, cluster: string, request: JobRequest) {
  const stored = await ctx.clusters.get(cluster);
  if (!stored) throw new NotFoundError(`no cluster named ${cluster}`);
  const { plan, onRestart } = planOptions(stored.spec, request.kind, request.options);
  let servers: ServerRef[] = [];
  if (request.kind === "drain" || request.kind === "maintenance")
    servers = resolveServerTargets(stored.spec, request.targets);
  else if (request.kind === "rolling") servers = resolveRollingTargets(stored.spec, request.targets);
  else if (request.kind === "undrain") {
    const marks = await service(ctx).store.marks(cluster);
    const inSpec = stored.spec.services.flatMap((s) =>
      s.realServers.map((r) => ({ service: s.name, address: r.address, port: r.port, host: r.host })),
    );
    const candidates = [
      ...inSpec,
      ...[...marks.keys()]
        .map((k) => {
          const [svc, address, port] = k.split("|");
          return { service: svc as string, address: address as string, port: Number(port) };
        })
        .filter((m) => !inSpec.some((s) => refKey(s) === refKey(m))),
    ];
    servers = resolveServerTargets(stored.spec, request.targets, candidates);
    const unmarked = servers.filter((s) => !marks.has(refKey(s)));
    if (unmarked.length > 0)
      throw new ConflictError(
        `${unmarked.map((s) => describeServer(s, cluster)).join(", ")} ${unmarked.length === 1 ? "was" : "were"} not drained by a job (no maintenance mark): nothing to restore; set a weight instead`,
      );
  }
  if (plan.kind === "rolling") {
    if (plan.action.kind === "command") {
      const agentless = servers.filter((s) => !s.host);
      if (agentless.length > 0)
        throw fail(
          "options.action",
          `a command runs on the real-server agent, and ${agentless.map((s) => formatEndpoint(s.address, s.port)).join(", ")} has none in the spec (realServers[].host)`,
        );
    }
    // Plans the batches now, so that a rolling job that cannot keep minCapacity is refused at once.
    planSteps(stored.spec, plan, servers);
  }
  return { spec: stored.spec, plan, onRestart, servers, command: describeJob(cluster, plan, servers) };
}

async function newJob(
  ctx: CommandContext,
  actor: Actor,
  cluster: string,
  request: JobRequest,
  extra: { runAt?: number | undefined; scheduleId?: string | undefined; notify?: { responseUrl: string } | undefined },
): Promise<MaintenanceJob> {
  const resolved = await resolveRequest(ctx, cluster, request);
  const seq = await service(ctx).store.nextSeq();
  const requestId = currentRequestId();
  return {
    id: `m-${seq}`,
    seq,
    kind: request.kind,
    cluster,
    command: resolved.command,
    request: { targets: request.targets, options: request.options },
    plan: resolved.plan,
    servers: resolved.servers,
    actor,
    notify: extra.notify,
    requestId,
    idempotencyKey: request.idempotencyKey,
    scheduleId: extra.scheduleId,
    onRestart: resolved.onRestart,
    state: extra.runAt && extra.runAt > Date.now() ? "scheduled" : "queued",
    runAt: extra.runAt,
    steps: [],
    stepIndex: 0,
    changed: [],
    runs: 0,
    createdAt: Date.now(),
  };
}

/**
 * POST /v1/clusters/{cluster}/jobs: validates the request against the cluster now (servers,
 * options, min capacity), then queues the job (now or at runAt) or stores a cron schedule. The
 * same idempotency key for the same cluster returns the first job and changes nothing.
 */
export async function submitJob(
  ctx: CommandContext,
  actor: Actor,
  cluster: string,
  body: unknown,
  notify?: { responseUrl: string },
): Promise<SubmitOutcome> {
  const request = validate(JobRequest, body);
  canRead(actor, cluster);
  const maintenance = service(ctx);
  if (request.idempotencyKey && request.cron === undefined) {
    const first = await maintenance.store.redis.get(
      maintenance.store.keys.idempotency(cluster, request.idempotencyKey),
    );
    const existing = first ? await maintenance.store.get(first) : undefined;
    if (existing) {
      canRead(actor, existing.cluster);
      // the first answer may have been a 503 after the job's queue entry was lost in a fail-over
      await maintenance.ensureQueued(existing);
      return { kind: "job", job: maintenanceView(existing), replay: true };
    }
  }
  const when = parseWhen(request);
  const what = {
    command: `${request.kind} job`,
    need: NEED[request.kind],
    action: `queueing a ${request.kind} job`,
    cluster,
    target: cluster,
  };
  if (when.kind === "cron") {
    return audited(ctx, actor, { ...what, command: `schedule ${request.kind} job` }, async () => {
      const resolved = await resolveRequest(ctx, cluster, request); // refuses bad targets and options now
      // A schedule belongs to its cluster: its id says which, so the same key elsewhere is another schedule.
      const id = scheduleId(cluster, request.idempotencyKey ?? randomBytes(6).toString("hex"));
      const existing = await maintenance.store.schedule(id);
      if (
        existing &&
        !sameSchedule(existing, { cluster, kind: request.kind, cron: when.cron, timeZone: when.timeZone, request })
      )
        throw new ConflictError(
          existing.cluster === cluster
            ? `schedule ${id} already exists with another request (${existing.kind} on cron ${existing.cron}): delete it first or use another idempotencyKey`
            : `schedule ${id} already exists: use another idempotencyKey`,
        );
      if (existing)
        return {
          result: { kind: "schedule" as const, schedule: withNext(existing) },
          after: { schedule: id, replay: true },
          outcome: "completed" as const,
          detail: `idempotency key replay of schedule ${id}`,
        };
      const schedule: Schedule = {
        id,
        cluster,
        kind: request.kind,
        cron: when.cron,
        timeZone: when.timeZone,
        targets: request.targets,
        options: request.options,
        actor,
        createdAt: Date.now(),
        notify,
      };
      await maintenance.schedule(schedule);
      return {
        result: { kind: "schedule" as const, schedule: { ...scheduleView(schedule), nextRunAt: iso(when.next) } },
        after: { schedule: id, cron: when.cron, timeZone: when.timeZone, command: resolved.command },
        outcome: "completed" as const,
        detail: `${resolved.command} on cron ${when.cron} (${when.timeZone})`,
      };
    });
  }
  return audited(ctx, actor, what, async () => {
    const job = await newJob(ctx, actor, cluster, request, {
      runAt: when.kind === "at" ? when.at : undefined,
      notify,
    });
    const created = await maintenance.store.create(job);
    if (created.replay) await maintenance.ensureQueued(created.job);
    else {
      await maintenance.enqueue(created.job);
      await maintenance.store.appendEvent(job.id, {
        time: Date.now(),
        type: "state",
        state: job.state,
        message: job.state === "scheduled" ? `scheduled for ${iso(job.runAt)}` : "queued",
        drained: [],
      });
    }
    return {
      result: { kind: "job" as const, job: maintenanceView(created.job), replay: created.replay },
      after: { job: created.job.id, command: created.job.command, runAt: iso(created.job.runAt) },
      job: created.job.id,
      detail: created.replay ? `idempotency key replay of job ${created.job.id}` : created.job.command,
    };
  });
}

/** A schedule's id: its cluster and its key (`s-web.nightly-drain`); cluster names have no dots. */
export function scheduleId(cluster: string, key: string): string {
  return `s-${cluster}.${key}`;
}

function sameSchedule(
  s: Schedule,
  next: {
    cluster: string;
    kind: MaintenanceKind;
    cron: string;
    timeZone: string;
    request: { targets?: unknown; options?: unknown };
  },
): boolean {
  return (
    s.cluster === next.cluster &&
    s.kind === next.kind &&
    s.cron === next.cron &&
    s.timeZone === next.timeZone &&
    JSON.stringify(s.targets) === JSON.stringify(next.request.targets) &&
    JSON.stringify(s.options) === JSON.stringify(next.request.options)
  );
}

/**
 * Makes the job a cron schedule fires: first checks that the schedule's creator still holds the
 * authority it needs (its token live, its role and clusters enough; a chat user still mapped) —
 * otherwise the firing is refused and audited as a denial for that actor — then validates the
 * schedule's request against the cluster as it is now. The job runs, and is audited, as that actor.
 */
export function scheduleFirer(ctx: CommandContext) {
  return async (schedule: Schedule, firing: string): Promise<MaintenanceJob | undefined> => {
    const maintenance = service(ctx);
    const what = {
      command: `${schedule.kind} job (schedule ${schedule.id})`,
      need: NEED[schedule.kind],
      action: `a ${schedule.kind} job fired by schedule ${schedule.id}`,
      cluster: schedule.cluster,
      target: schedule.cluster,
    };
    const held = await permitStill(
      ctx,
      schedule.actor,
      what,
      `schedule ${schedule.id} did not fire: the authority of ${schedule.actor.type} ${schedule.actor.name}, who created it, is gone (token revoked or chat user unmapped); delete the schedule or create it again`,
    );
    if (!held.ok) return undefined;
    const actor = held.actor;
    const request = validate(JobRequest, {
      kind: schedule.kind,
      targets: schedule.targets,
      options: schedule.options,
      idempotencyKey: `${schedule.id}.${firing}`.replace(/[^A-Za-z0-9._:-]/g, "_").slice(0, 128),
    });
    try {
      const job = await newJob(ctx, actor, schedule.cluster, request, {
        scheduleId: schedule.id,
        notify: schedule.notify,
      });
      // its queue entry named at once: a sweep for jobs that lost theirs never sees it without one
      const created = await maintenance.store.create({ ...job, queueJobId: firing });
      if (!created.replay)
        await ctx.audit.append({
          actor: { type: actor.type, name: actor.name, role: actor.role },
          channel: "job",
          command: what.command,
          cluster: schedule.cluster,
          target: schedule.cluster,
          outcome: "accepted",
          job: created.job.id,
          detail: `${created.job.command} (cron ${schedule.cron}, schedule ${schedule.id})`,
        });
      return created.job;
    } catch (error) {
      ctx.log.error({ schedule: schedule.id, err: (error as Error).message }, "a schedule could not make its job");
      return undefined;
    }
  };
}

/**
 * Before a maintenance job first runs (it may have been queued long ago, e.g. with runAt): its
 * creator's authority must still hold — token live, role and cluster enough. If not, the job ends
 * cancelled without changing anything, and the refusal is audited as a denial for that actor.
 */
export function jobAdmission(ctx: CommandContext) {
  return async (job: MaintenanceJob): Promise<boolean> => {
    const what = {
      command: job.command,
      need: NEED[job.kind],
      action: `running ${job.command}`,
      cluster: job.cluster,
      target: job.cluster,
    };
    const gone = `job ${job.id} did not run: the authority of ${job.actor.type} ${job.actor.name}, who queued it, is gone (token revoked or chat user unmapped)`;
    const held = await permitStill(ctx, job.actor, what, gone);
    if (held.ok) return true;
    const reason = held.reason === gone ? gone : `job ${job.id} did not run: ${held.reason}`;
    const maintenance = service(ctx);
    const ended = await maintenance.store.update(job.id, (j) =>
      j.runs === 0
        ? { ...j, state: "cancelled", control: undefined, finishedAt: Date.now(), summary: reason }
        : undefined,
    );
    if (ended)
      await maintenance.store.appendEvent(job.id, {
        time: Date.now(),
        type: "state",
        state: "cancelled",
        message: reason,
        drained: [],
      });
    await maintenance.lock.leaveLine(job.cluster, job.id);
    return false;
  };
}

export async function getMaintenanceJob(ctx: CommandContext, actor: Actor, id: string): Promise<MaintenanceJob> {
  canRead(actor);
  const job = await service(ctx).store.get(id);
  if (!job || (actor.clusters && !actor.clusters.includes(job.cluster)))
    throw new NotFoundError(`no job ${id} (finished jobs are kept for a limited time)`);
  return job;
}

export function parseStates(text: string | undefined): MaintenanceState[] | undefined {
  if (!text) return undefined;
  const states = text.split(",").map((s) => s.trim());
  const bad = states.filter((s) => !(JOB_STATES as readonly string[]).includes(s));
  if (bad.length > 0) throw fail("state", `${bad.join(", ")}: states are ${JOB_STATES.join(", ")} (comma-separated)`);
  return states as MaintenanceState[];
}

/**
 * GET /v1/jobs: maintenance jobs, and the command jobs (apply, start, stop) still kept by the
 * queue, newest first; a cluster and states narrow it.
 */
export async function listJobs(
  ctx: CommandContext,
  actor: Actor,
  filter: { cluster?: string | undefined; state?: string | undefined; limit?: number | undefined },
): Promise<(MaintenanceJobView | JobView)[]> {
  canRead(actor, filter.cluster);
  const states = parseStates(filter.state);
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 1_000);
  const visible = (cluster: string) => !actor.clusters || actor.clusters.includes(cluster);
  const maintenance = (await service(ctx).store.list({ cluster: filter.cluster, states, limit: limit * 2 }))
    .filter((j) => visible(j.cluster))
    .map(maintenanceView);
  const commandStates = states?.filter((s): s is "queued" | "active" | "completed" | "failed" =>
    ["queued", "active", "completed", "failed"].includes(s),
  );
  const commands =
    states && commandStates?.length === 0
      ? []
      : (await ctx.queue.recent(limit * 2)).filter(
          (j) =>
            visible(j.cluster) &&
            (!filter.cluster || j.cluster === filter.cluster) &&
            (!commandStates || commandStates.includes(j.state)),
        );
  return [...maintenance, ...commands].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, limit);
}

type Control = "cancel" | "pause" | "resume" | "end";

/**
 * Cancel: a job that has not started is dropped at once; a running one stops at its next safe
 * point and restores what it changed. Pause: it stops at its next safe point and holds (a job
 * not started yet does not start). Resume: it goes on. End: a maintenance window (or a
 * switchover's wait before moving back) ends now, the rest of the job runs.
 */
export async function controlJob(
  ctx: CommandContext,
  actor: Actor,
  id: string,
  control: Control,
): Promise<MaintenanceJobView> {
  if (!MAINTENANCE_ID.test(id)) {
    const existing = await ctx.queue.get(id);
    if (!existing || (actor.clusters && !actor.clusters.includes(existing.cluster)))
      throw new NotFoundError(`no job ${id}`);
    throw new ConflictError(
      `job ${id} is a command job (${existing.kind}), which runs in one step and cannot be ${control === "cancel" ? "cancelled" : `${control}d`}; only maintenance jobs (m-N) can`,
    );
  }
  const existing = await getMaintenanceJob(ctx, actor, id);
  const maintenance = service(ctx);
  const what = {
    command: `${control} job`,
    need: NEED[existing.kind],
    action: `${control === "end" ? "ending" : `${control.replace(/e$/, "")}ing`} a job`,
    cluster: existing.cluster,
    target: `job ${id}`,
  };
  return audited(ctx, actor, what, async () => {
    let dropped = false;
    const job = await maintenance.store.update(id, (j) => {
      if (TERMINAL.has(j.state)) throw new ConflictError(`job ${id} is already ${j.state}`);
      const untouched = j.changed.length === 0 && j.steps.every((s) => s.state === "pending");
      const notRunning = j.state === "queued" || j.state === "scheduled" || j.state === "waiting";
      switch (control) {
        case "cancel":
          if (untouched && notRunning) {
            dropped = true;
            return {
              ...j,
              state: "cancelled",
              control: undefined,
              finishedAt: Date.now(),
              summary: "cancelled before it started; nothing changed",
            };
          }
          return { ...j, control: "cancel" };
        case "pause":
          if (j.state === "paused" || j.control === "pause") throw new ConflictError(`job ${id} is already paused`);
          return untouched && notRunning ? { ...j, state: "paused", control: "pause" } : { ...j, control: "pause" };
        case "resume":
          if (j.state !== "paused" && j.control !== "pause")
            throw new ConflictError(`job ${id} is ${j.state}, not paused`);
          return untouched && j.state === "paused"
            ? { ...j, state: "queued", control: undefined }
            : { ...j, control: undefined };
        case "end": {
          const step = j.steps[j.stepIndex];
          if (j.kind !== "maintenance" && j.kind !== "switchover")
            throw new ConflictError(
              `job ${id} is a ${j.kind} job; only a maintenance window (or a switchover's wait) can be ended`,
            );
          if (j.state !== "active" || step?.kind !== "hold")
            throw new ConflictError(
              `job ${id} is not holding a window now (it is ${j.state}${step ? `, at ${step.title}` : ""})`,
            );
          return { ...j, control: "end" };
        }
      }
    });
    if (!job) throw new NotFoundError(`no job ${id}`);
    const words: Record<Control, string> = {
      cancel: dropped
        ? "cancelled before it started"
        : "cancel asked: it stops at its next safe point and restores what it changed",
      pause: job.state === "paused" ? "paused before it started" : "pause asked: it stops at its next safe point",
      resume: "resumed",
      end: "end of the window asked: it restores now",
    };
    await maintenance.store.appendEvent(id, {
      time: Date.now(),
      type: "state",
      state: job.state,
      message: `${words[control]} (by ${actor.type} ${actor.name})`,
      drained: [],
    });
    if (dropped) {
      await maintenance.dequeue(job);
      await ctx.audit.append({
        actor: { type: "job", name: `job ${id}` },
        channel: "job",
        command: job.command,
        cluster: job.cluster,
        target: job.cluster,
        outcome: "completed",
        detail: "cancelled before it started; nothing changed",
        job: id,
      });
    }
    if (control === "resume") await maintenance.promote(id);
    return {
      result: maintenanceView(job),
      before: { state: existing.state },
      after: { state: job.state, control: job.control },
      job: id,
    };
  });
}

/** The job's events after sequence number `after` (for GET /v1/jobs/{id}/events). */
export async function jobEvents(
  ctx: CommandContext,
  actor: Actor,
  id: string,
  after = 0,
): Promise<{ job: MaintenanceJob; events: JobEvent[] }> {
  const job = await getMaintenanceJob(ctx, actor, id);
  return { job, events: await service(ctx).store.events(id, after) };
}

function scheduleView(s: Schedule): ScheduleView {
  return {
    id: s.id,
    cluster: s.cluster,
    kind: s.kind,
    cron: s.cron,
    timeZone: s.timeZone,
    targets: s.targets,
    options: s.options,
    actor: s.actor,
    createdAt: new Date(s.createdAt).toISOString(),
  };
}

export async function listSchedules(ctx: CommandContext, actor: Actor, cluster?: string): Promise<ScheduleView[]> {
  canRead(actor, cluster);
  const schedules = (await service(ctx).store.schedules()).filter(
    (s) => (!cluster || s.cluster === cluster) && (!actor.clusters || actor.clusters.includes(s.cluster)),
  );
  return schedules.map(withNext);
}

function withNext(s: Schedule): ScheduleView {
  let next: number | undefined;
  try {
    next = nextCron(s.cron, s.timeZone);
  } catch {
    next = undefined;
  }
  return { ...scheduleView(s), nextRunAt: iso(next) };
}

export async function getSchedule(ctx: CommandContext, actor: Actor, id: string): Promise<ScheduleView> {
  canRead(actor);
  const schedule = await service(ctx).store.schedule(id);
  if (!schedule || (actor.clusters && !actor.clusters.includes(schedule.cluster)))
    throw new NotFoundError(`no schedule ${id}`);
  return withNext(schedule);
}

export async function deleteSchedule(ctx: CommandContext, actor: Actor, id: string): Promise<ScheduleView> {
  const schedule = await getSchedule(ctx, actor, id);
  const what = {
    command: "delete schedule",
    need: NEED[schedule.kind],
    action: "removing a schedule",
    cluster: schedule.cluster,
    target: `schedule ${id}`,
  };
  return audited(ctx, actor, what, async () => {
    await service(ctx).unschedule(id);
    return { result: schedule, before: { cron: schedule.cron, kind: schedule.kind }, outcome: "completed" };
  });
}
