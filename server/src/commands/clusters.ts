import { ClusterSpec, ValidationError, validate } from "@lvsfleet/model";
import type { Actor } from "../access/roles.ts";
import type { JobView } from "../queue/queue.ts";
import type { StoredCluster } from "../store/clusters.ts";
import { audited, canRead, permit } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { NotFoundError } from "./errors.ts";
import { checkHostOwnership, hostFields } from "./host-ownership.ts";

export async function listClusters(ctx: CommandContext, actor: Actor): Promise<{ name: string; generation: number }[]> {
  canRead(actor);
  const names = (await ctx.clusters.names()).filter((n) => !actor.clusters || actor.clusters.includes(n));
  const stored = await Promise.all(names.map((n) => ctx.clusters.get(n)));
  return stored.flatMap((s) => (s ? [{ name: s.spec.name, generation: s.generation }] : []));
}

export async function getCluster(ctx: CommandContext, actor: Actor, name: string): Promise<StoredCluster> {
  canRead(actor, name);
  const stored = await ctx.clusters.get(name);
  if (!stored) throw new NotFoundError(`no cluster named ${name}`);
  return stored;
}

/**
 * Replaces a cluster's spec (creating it if new) and queues an apply job so the directors follow.
 * The body's name, if given, must match the path's. A host another cluster owns is refused unless
 * it is in `moveHosts` and the actor is admin of both clusters.
 */
export async function putCluster(
  ctx: CommandContext,
  actor: Actor,
  name: string,
  body: unknown,
  options: { moveHosts?: readonly string[] | undefined } = {},
): Promise<{ created: boolean; generation: number; job: JobView }> {
  const input = typeof body === "object" && body !== null && !Array.isArray(body) ? { name, ...body } : body;
  const spec = validate(ClusterSpec, input);
  if (spec.name !== name)
    throw new ValidationError([{ field: "name", message: `must be ${name} (the cluster in the path)` }]);
  const command = `put cluster ${name}`;
  const what = { command, need: "admin" as const, action: "changing a cluster spec", cluster: name, target: name };
  await permit(ctx, actor, what);
  const moves = await checkHostOwnership(ctx, actor, name, spec, options.moveHosts ?? [], command);
  return audited(
    ctx,
    actor,
    moves.size > 0 ? { ...what, command: `${command} (moving ${[...moves.keys()].join(", ")})` } : what,
    async () => {
      const update = await ctx.writer.update(name, (current) => ({
        spec,
        result: { before: current },
        moveHosts: [...moves].map(([host, from]) => ({ host, from })),
      }));
      // Registered hosts the spec names that nobody owned are this cluster's now; the ones it dropped are released.
      await ctx.owners.settle(name, [...hostFields(spec).keys()]);
      const existed = update.result.before !== undefined;
      const job = await ctx.queue.enqueue({
        kind: "apply",
        cluster: name,
        generation: update.generation,
        changed: update.changed,
        command: `${existed ? "update" : "create"} cluster ${name}${update.changed ? "" : " (no change)"}`,
        actor,
        need: "admin",
      });
      return {
        result: { created: !existed, generation: update.generation, job },
        before:
          update.result.before || moves.size > 0
            ? {
                ...(update.result.before ? { generation: update.generation - (update.changed ? 1 : 0) } : {}),
                ...(moves.size > 0 ? { owners: Object.fromEntries(moves) } : {}),
              }
            : null,
        after: {
          generation: update.generation,
          changed: update.changed,
          ...(moves.size > 0 ? { owners: Object.fromEntries([...moves.keys()].map((h) => [h, name])) } : {}),
        },
        job: job.id,
      };
    },
  );
}
