import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import type { CommandContext } from "../../commands/context.ts";
import { followJob } from "../../commands/job-follow.ts";
import {
  controlJob,
  deleteSchedule,
  getSchedule,
  JOB_KINDS,
  JOB_STATES,
  jobEvents,
  listJobs,
  listSchedules,
  submitJob,
} from "../../commands/maintenance.ts";
import { type Api, errors, json, pathParam } from "../openapi.ts";
import { Actor, ClusterParam, Job } from "../schemas.ts";

const Step = z.object({
  kind: z.string().openapi({ example: "wait-drained" }),
  title: z
    .string()
    .openapi({ example: "wait until 192.168.1.220:80 in web/http has no active connections (at most 10 min)" }),
  state: z.enum(["pending", "running", "done", "skipped", "failed"]),
  detail: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});

const Progress = z.object({
  message: z.string(),
  step: z.number().openapi({ description: "Steps done" }),
  steps: z.number(),
  connectionsLeft: z.number().optional().openapi({ description: "While draining: connections left on the servers" }),
  serversDone: z.number().optional(),
  serversTotal: z.number().optional(),
});

export const MaintenanceJobSchema = z
  .object({
    id: z.string().openapi({ example: "m-7" }),
    kind: z.enum(JOB_KINDS),
    cluster: z.string(),
    command: z.string().openapi({ example: "drain 192.168.1.220:80 in web/http" }),
    actor: Actor,
    state: z.enum(JOB_STATES),
    control: z
      .string()
      .optional()
      .openapi({ description: "cancel, pause or end: asked for, honoured at the next safe point" }),
    retrying: z.boolean(),
    attempts: z
      .object({ made: z.number(), max: z.number() })
      .openapi({ description: "made: runs (above 1 after a server took the job over)" }),
    requestId: z.string().optional(),
    idempotencyKey: z.string().optional(),
    scheduleId: z.string().optional(),
    servers: z.array(z.string()),
    steps: z.array(Step),
    progress: Progress.optional(),
    drained: z.array(z.string()).openapi({ description: "service/ADDRESS:PORT the job has out of service now" }),
    error: z.string().optional(),
    result: z
      .object({
        summary: z.string(),
        hosts: z.array(z.unknown()).openapi({ description: "Always empty (for clients of command jobs)" }),
      })
      .optional(),
    runAt: z.string().optional(),
    createdAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
  })
  .openapi("MaintenanceJob");

export const AnyJob = z.union([Job, MaintenanceJobSchema]);

const ScheduleSchema = z
  .object({
    id: z.string().openapi({ example: "s-web.nightly-roll" }),
    cluster: z.string(),
    kind: z.enum(JOB_KINDS),
    cron: z.string().openapi({ example: "0 3 * * 1-5" }),
    timeZone: z.string().openapi({ example: "Europe/Paris" }),
    targets: z.unknown(),
    options: z.unknown(),
    actor: Actor,
    createdAt: z.string(),
    nextRunAt: z.string().optional(),
  })
  .openapi("Schedule");

const JobRequestDoc = z
  .object({
    kind: z.enum(JOB_KINDS),
    targets: z.unknown().optional().openapi({
      description:
        'drain, maintenance, undrain: real servers ("192.168.1.220:80" or {service, address, port}); rolling: "all", service names, real-server hosts or real servers; switchover: none',
    }),
    options: z.record(z.string(), z.unknown()).optional().openapi({
      description:
        "drain: timeout, includeInactive, onTimeout (fail|proceed), remove; maintenance: the same and for (the window); rolling: batch, minCapacity (%), action ({pause} or {command}), healthTimeout, drain options; switchover: from, to, method (stop|priority), verifyTimeout, moveBackAfter. Every kind: onRestart (resume|restore). Durations: 90s, 15m, 2h, 1d or seconds.",
    }),
    runAt: z
      .string()
      .optional()
      .openapi({ example: "2030-01-31T02:00", description: "ISO 8601; without an offset it is in timeZone" }),
    cron: z.string().optional().openapi({ example: "0 3 * * 1-5", description: "5 fields, or 6 with seconds first" }),
    timeZone: z
      .string()
      .optional()
      .openapi({ example: "Europe/Paris", description: "IANA zone for runAt and cron (default UTC)" }),
    idempotencyKey: z
      .string()
      .optional()
      .openapi({ description: "The same key again for the cluster returns the first job" }),
  })
  .openapi("JobRequest", { example: { kind: "drain", targets: ["192.168.1.220:80"], options: { timeout: "10m" } } });

const IdParam = z.object({ id: pathParam("id", "m-7") });

const routes = {
  submit: createRoute({
    method: "post",
    path: "/v1/clusters/{cluster}/jobs",
    operationId: "submitJob",
    summary: "Queue or schedule a maintenance job",
    request: {
      params: ClusterParam,
      body: { content: { "application/json": { schema: JobRequestDoc } }, required: true },
    },
    responses: {
      202: json(z.object({ job: MaintenanceJobSchema }), "Queued (now or at runAt). Operator; switchover: admin."),
      200: json(
        z.object({ job: MaintenanceJobSchema }),
        "The idempotency key was used before: the first job (header Idempotent-Replayed: true)",
      ),
      201: json(z.object({ schedule: ScheduleSchema }), "A cron schedule stored"),
      409: json(z.object({ error: z.object({ message: z.string() }) }), "undrain of a server no job drained"),
      ...errors,
    },
  }),
  list: createRoute({
    method: "get",
    path: "/v1/jobs",
    operationId: "listJobs",
    summary: "List jobs",
    request: {
      query: z.object({
        cluster: z.string().optional(),
        state: z
          .string()
          .optional()
          .openapi({ description: `Comma-separated: ${JOB_STATES.join(", ")}` }),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
      }),
    },
    responses: {
      200: json(
        z.object({ jobs: z.array(AnyJob) }),
        "Maintenance jobs and the command jobs the queue keeps, newest first",
      ),
      ...errors,
    },
  }),
  events: createRoute({
    method: "get",
    path: "/v1/jobs/{id}/events",
    operationId: "streamJobEvents",
    summary: "Follow a maintenance job's events (SSE)",
    request: {
      params: IdParam,
      query: z.object({
        after: z.coerce
          .number()
          .int()
          .min(0)
          .optional()
          .openapi({ description: "Resume after this event number (or send Last-Event-ID)" }),
      }),
    },
    responses: {
      200: {
        content: { "text/event-stream": { schema: z.string() } },
        description:
          "Server-Sent Events: one `job` event per progress event (id = its sequence number; data = JSON {seq, time, type, message, state, step, progress, drained}); the stream ends after the job's final state",
      },
      ...errors,
    },
  }),
  listSchedules: createRoute({
    method: "get",
    path: "/v1/schedules",
    operationId: "listSchedules",
    summary: "List cron schedules",
    request: { query: z.object({ cluster: z.string().optional() }) },
    responses: {
      200: json(z.object({ schedules: z.array(ScheduleSchema) }), "Cron schedules with their next run"),
      ...errors,
    },
  }),
  getSchedule: createRoute({
    method: "get",
    path: "/v1/schedules/{id}",
    operationId: "getSchedule",
    summary: "Get a cron schedule",
    request: { params: IdParam },
    responses: { 200: json(ScheduleSchema, "One schedule"), ...errors },
  }),
  deleteSchedule: createRoute({
    method: "delete",
    path: "/v1/schedules/{id}",
    operationId: "deleteSchedule",
    summary: "Remove a cron schedule",
    request: { params: IdParam },
    responses: { 200: json(ScheduleSchema, "Removed; jobs it already made go on"), ...errors },
  }),
};

const CONTROLS = ["cancel", "pause", "resume", "end"] as const;
const SUMMARY: Record<(typeof CONTROLS)[number], string> = {
  cancel: "Cancel a maintenance job",
  pause: "Pause a maintenance job",
  resume: "Resume a paused maintenance job",
  end: "End a maintenance window now",
};
const DESCRIBE: Record<(typeof CONTROLS)[number], string> = {
  cancel:
    "Stops at the next safe point and restores what the job changed (a job not started yet is dropped). Operator.",
  pause: "Stops at the next safe point and holds there until resumed. Operator.",
  resume: "Goes on after a pause. Operator.",
  end: "Ends a maintenance window (or a switchover's wait before moving back) now. Operator.",
};

export function registerMaintenanceRoutes(app: Api, ctx: CommandContext): void {
  app.openapi(routes.submit, async (c) => {
    const outcome = await submitJob(ctx, c.get("actor"), c.req.valid("param").cluster, c.req.valid("json"));
    if (outcome.kind === "schedule") return c.json({ schedule: outcome.schedule } as never, 201);
    if (outcome.replay) return c.json({ job: outcome.job } as never, 200, { "idempotent-replayed": "true" });
    return c.json({ job: outcome.job } as never, 202);
  });
  app.openapi(routes.list, async (c) => {
    const query = c.req.valid("query");
    return c.json({ jobs: await listJobs(ctx, c.get("actor"), query) } as never, 200);
  });
  for (const control of CONTROLS)
    app.openapi(
      createRoute({
        method: "post",
        path: `/v1/jobs/{id}/${control}`,
        operationId: `${control}Job`,
        summary: SUMMARY[control],
        request: { params: IdParam },
        responses: {
          200: json(MaintenanceJobSchema, DESCRIBE[control]),
          409: json(
            z.object({ error: z.object({ message: z.string() }) }),
            "The job cannot do that now (finished, not paused, a command job)",
          ),
          ...errors,
        },
      }),
      async (c) => c.json((await controlJob(ctx, c.get("actor"), c.req.valid("param").id, control)) as never, 200),
    );
  app.openapi(routes.events, async (c) => {
    const actor = c.get("actor");
    const { id } = c.req.valid("param");
    const header = Number(c.req.header("last-event-id"));
    const after = c.req.valid("query").after ?? (Number.isInteger(header) && header > 0 ? header : 0);
    // Read once before streaming: an unknown job is a 404, not an empty stream.
    await jobEvents(ctx, actor, id, after);
    return streamSSE(c, async (stream) => {
      let open = true;
      stream.onAbort(() => {
        open = false;
      });
      let lastWrite = Date.now();
      // A stream outlives its request: it ends within a second of its token's revocation.
      for await (const item of followJob(ctx, actor, id, after)) {
        if (!open) break;
        if (item.kind === "revoked") {
          await stream.writeSSE({ event: "error", data: JSON.stringify({ message: item.message }) });
          break;
        }
        if (item.kind === "event") {
          await stream.writeSSE({ id: String(item.event.seq), event: "job", data: JSON.stringify(item.event) });
          lastWrite = Date.now();
        } else if (Date.now() - lastWrite > 15_000) {
          await stream.write(": keep-alive\n\n");
          lastWrite = Date.now();
        }
      }
    }) as never;
  });
  app.openapi(routes.listSchedules, async (c) =>
    c.json({ schedules: await listSchedules(ctx, c.get("actor"), c.req.valid("query").cluster) } as never, 200),
  );
  app.openapi(routes.getSchedule, async (c) =>
    c.json((await getSchedule(ctx, c.get("actor"), c.req.valid("param").id)) as never, 200),
  );
  app.openapi(routes.deleteSchedule, async (c) =>
    c.json((await deleteSchedule(ctx, c.get("actor"), c.req.valid("param").id)) as never, 200),
  );
}
