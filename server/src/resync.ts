import { SYSTEM } from "./access/roles.ts";
import type { CommandContext } from "./commands/context.ts";
import type { AgentLiveness, AgentRegistration } from "./store/agents.ts";

/**
 * When a director comes back (or is first heard from) holding an older generation than its
 * cluster's desired state, queue an apply of that state to it alone so it catches up: agents keep
 * serving while the server is away (fail static) and re-sync when it returns. A director that
 * already holds the desired generation costs two small Redis reads (its owner, the generation) and
 * no call, so a supervisor restart re-attaching a thousand agents in sync starts no re-sync at all;
 * one that is behind gets one apply, and the cluster's other directors none.
 * Returns whether a re-sync was queued.
 */
export async function resyncDirector(
  ctx: Pick<CommandContext, "owners" | "clusters" | "queue" | "log">,
  registration: AgentRegistration,
  liveness: AgentLiveness,
): Promise<boolean> {
  if (registration.role !== "director" || liveness.roleState !== "running") return false;
  const cluster = (await ctx.owners.ownersOf([registration.host])).get(registration.host);
  if (cluster === undefined) return false;
  const desired = await ctx.clusters.generation(cluster);
  const held = liveness.generation ?? 0;
  if (desired === undefined || held >= desired) return false;
  // a cluster whose stored spec cannot be read is skipped (its own endpoints report it)
  const stored = await ctx.clusters.readable(cluster);
  if (!stored?.spec.directors.some((d) => d.host === registration.host)) return false;
  // One re-sync per director at a time: an agent busy with a big Apply misses heartbeats and comes
  // "back" again and again while it works; each return must not queue another full Apply.
  await ctx.queue.enqueue(
    {
      kind: "apply",
      cluster,
      generation: stored.generation,
      hosts: [registration.host],
      command: `re-sync ${registration.host} (generation ${held} -> ${stored.generation})`,
      actor: { ...SYSTEM, name: "resync" },
      need: "admin",
    },
    { dedupe: `resync:${cluster}:${registration.host}` },
  );
  ctx.log.info({ agent: registration.host, cluster }, "director behind desired state; re-sync queued");
  return true;
}
