import { SYSTEM } from "./access/roles.ts";
import type { CommandContext } from "./commands/context.ts";
import type { ClusterApplier } from "./queue/applier.ts";
import type { AgentLiveness, AgentRegistration } from "./store/agents.ts";

/**
 * When a director comes back (or is first heard from) holding an older generation than its
 * cluster's desired state, queue an apply so it catches up: agents keep serving while the
 * server is away (fail static) and re-sync when it returns.
 */
export async function resyncDirector(
  ctx: CommandContext,
  applier: ClusterApplier,
  registration: AgentRegistration,
  liveness: AgentLiveness,
): Promise<void> {
  if (registration.role !== "director" || liveness.roleState !== "running") return;
  for (const name of await ctx.clusters.names()) {
    // a cluster whose stored spec cannot be read is skipped, not the directors of the others
    const stored = await ctx.clusters.readable(name);
    if (!stored?.spec.directors.some((d) => d.host === registration.host)) continue;
    if ((liveness.generation ?? 0) >= stored.generation) continue;
    applier.invalidate(name);
    await ctx.queue.enqueue({
      kind: "apply",
      cluster: name,
      generation: stored.generation,
      command: `re-sync ${registration.host} (generation ${liveness.generation ?? 0} -> ${stored.generation})`,
      actor: { ...SYSTEM, name: "resync" },
      need: "admin",
    });
    ctx.log.info({ agent: registration.host, cluster: name }, "director behind desired state; re-sync queued");
  }
}
