import { ClusterSpec, ValidationError, validate } from "@lvsfleet/model";
import type { Actor } from "../queue/jobs.ts";
import type { JobView } from "../queue/queue.ts";
import type { StoredCluster } from "../store/clusters.ts";
import type { CommandContext } from "./context.ts";
import { NotFoundError } from "./errors.ts";

export async function listClusters(ctx: CommandContext): Promise<{ name: string; generation: number }[]> {
  const names = await ctx.clusters.names();
  const stored = await Promise.all(names.map((n) => ctx.clusters.get(n)));
  return stored.flatMap((s) => (s ? [{ name: s.spec.name, generation: s.generation }] : []));
}

export async function getCluster(ctx: CommandContext, name: string): Promise<StoredCluster> {
  const stored = await ctx.clusters.get(name);
  if (!stored) throw new NotFoundError(`no cluster named ${name}`);
  return stored;
}

/**
 * Replaces a cluster's spec (creating it if new) and queues an apply job so the directors follow.
 * The body's name, if given, must match the path's.
 */
export async function putCluster(
  ctx: CommandContext,
  actor: Actor,
  name: string,
  body: unknown,
): Promise<{ created: boolean; generation: number; job: JobView }> {
  const input = typeof body === "object" && body !== null && !Array.isArray(body) ? { name, ...body } : body;
  const spec = validate(ClusterSpec, input);
  if (spec.name !== name)
    throw new ValidationError([{ field: "name", message: `must be ${name} (the cluster in the path)` }]);
  const update = await ctx.writer.update(name, (current) => ({ spec, result: { existed: current !== undefined } }));
  const job = await ctx.queue.enqueue({
    kind: "apply",
    cluster: name,
    generation: update.generation,
    command: `${update.result.existed ? "update" : "create"} cluster ${name}${update.changed ? "" : " (no change)"}`,
    actor,
  });
  return { created: !update.result.existed, generation: update.generation, job };
}
