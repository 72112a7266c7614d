import type { Queue } from "bullmq";
import type { Actor } from "../access/roles.ts";
import type { JobView } from "../queue/queue.ts";
import { audited, canRead } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { ConflictError, NotFoundError } from "./errors.ts";

/** What the front doors and the notifier see of a command job (the queue's own types, part of this layer's API). */
export type { CommandJobData, CommandJobResult } from "../queue/jobs.ts";
export type { JobView };

import { getMaintenanceJob, MAINTENANCE_ID, type MaintenanceJobView, maintenanceView } from "./maintenance.ts";

/**
 * The BullMQ queues behind the jobs (command jobs, maintenance jobs), for the read-only queue
 * dashboard; undefined when this server runs no maintenance queue. Opening the dashboard is an
 * admin's, checked and audited by its middleware with permit().
 */
export function jobQueues(ctx: Pick<CommandContext, "queue" | "maintenance">): Queue[] | undefined {
  return ctx.maintenance ? [ctx.queue.queue, ctx.maintenance.queue] : undefined;
}

/** A command job (apply, start, stop) or a maintenance job (m-N, with its steps and progress). */
export async function getJob(ctx: CommandContext, actor: Actor, id: string): Promise<JobView | MaintenanceJobView> {
  canRead(actor);
  if (MAINTENANCE_ID.test(id) && ctx.maintenance) return maintenanceView(await getMaintenanceJob(ctx, actor, id));
  const job = await ctx.queue.get(id);
  if (!job || (actor.clusters && !actor.clusters.includes(job.cluster)))
    throw new NotFoundError(`no job ${id} (finished jobs are kept for a limited time)`);
  return job;
}

/** Runs a failed job again from its first step; it needs the role the job's command needs, on its cluster. */
export async function retryJob(ctx: CommandContext, actor: Actor, id: string): Promise<JobView> {
  if (MAINTENANCE_ID.test(id))
    throw new ConflictError(`job ${id} is a maintenance job: submit it again (a failed one restored what it changed)`);
  const existing = (await getJob(ctx, actor, id)) as JobView;
  const what = {
    command: "retry job",
    need: existing.need,
    action: `retrying a ${existing.kind} job (${existing.command})`,
    cluster: existing.cluster,
    target: `job ${id}`,
  };
  return audited(ctx, actor, what, async () => {
    const job = await ctx.queue.retry(id);
    if (!job) throw new NotFoundError(`no job ${id}`);
    return { result: job, before: { state: existing.state }, after: { state: job.state }, job: id };
  });
}
