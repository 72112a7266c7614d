import { ClusterSpec, ValidationError, validate } from "@lvsfleet/model";
import type { Actor } from "../access/roles.ts";
import type { JobView } from "../queue/queue.ts";
import { type StoredCluster, StoredSpecError } from "../store/clusters.ts";
import { audited, canRead, permit } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { NotFoundError } from "./errors.ts";
import { checkHostOwnership, hostFields } from "./host-ownership.ts";

/** One cluster in the list; `error` when its stored spec cannot be read (its own endpoints answer 409). */
export interface ClusterListing {
  name: string;
  generation: number;
  error?: string | undefined;
}

export async function listClusters(ctx: CommandContext, actor: Actor): Promise<ClusterListing[]> {
  canRead(actor);
  const names = (await ctx.clusters.names()).filter((n) => !actor.clusters || actor.clusters.includes(n));
  const listed = await Promise.all(
    names.map(async (n): Promise<ClusterListing | undefined> => {
      try {
        const s = await ctx.clusters.get(n);
        return s && { name: s.spec.name, generation: s.generation };
      } catch (error) {
        if (error instanceof StoredSpecError) return { name: n, generation: error.generation, error: error.message };
        throw error;
      }
    }),
  );
  return listed.flatMap((c) => (c ? [c] : []));
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
      // A whole spec: it also replaces a stored one this server cannot read.
      const update = await ctx.writer.update(
        name,
        (current) => ({
          spec,
          result: { before: current },
          moveHosts: [...moves].map(([host, from]) => ({ host, from })),
        }),
        { replaces: true },
      );
      // Registered hosts the spec names that nobody owned are this cluster's now; the ones it dropped are released.
      await ctx.owners.settle(name, [...hostFields(spec).keys()]);
      const unreadable = update.replacedUnreadable;
      const existed = update.result.before !== undefined || unreadable !== undefined;
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
          existed || moves.size > 0
            ? {
                ...(existed ? { generation: update.generation - (update.changed ? 1 : 0) } : {}),
                ...(unreadable !== undefined ? { unreadable } : {}),
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
