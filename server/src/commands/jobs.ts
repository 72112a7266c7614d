import type { JobView } from "../queue/queue.ts";
import type { CommandContext } from "./context.ts";
import { NotFoundError } from "./errors.ts";

export async function getJob(ctx: CommandContext, id: string): Promise<JobView> {
  const job = await ctx.queue.get(id);
  if (!job) throw new NotFoundError(`no job ${id} (finished jobs are kept for a limited time)`);
  return job;
}

/** Runs a failed job again from its first step. */
export async function retryJob(ctx: CommandContext, id: string): Promise<JobView> {
  const job = await ctx.queue.retry(id);
  if (!job) throw new NotFoundError(`no job ${id}`);
  return job;
}
