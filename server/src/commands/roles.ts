import { clusterHosts } from "@lvsfleet/model";
import type { Actor } from "../access/roles.ts";
import type { JobView } from "../queue/queue.ts";
import { audited, canRead } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { NotFoundError } from "./errors.ts";

/**
 * Queues a start or stop (lvsdr/realdr) of one host of a cluster, or of all of them.
 * The host must be one the cluster's spec names.
 */
export async function changeRole(
  ctx: CommandContext,
  actor: Actor,
  action: "start" | "stop",
  cluster: string,
  host: string | undefined,
  notify?: { responseUrl: string },
): Promise<{ job: JobView; hosts: string[] }> {
  canRead(actor, cluster);
  const stored = await ctx.clusters.get(cluster);
  if (!stored) throw new NotFoundError(`no cluster named ${cluster}`);
  const hosts = clusterHosts(stored.spec).map((h) => h.host);
  if (host !== undefined && !hosts.includes(host))
    throw new NotFoundError(`no host ${host} in cluster ${cluster}; hosts: ${hosts.join(", ") || "none"}`);
  const command = `${action} ${cluster}${host ? ` ${host}` : " (all hosts)"}`;
  const what = { command, need: "admin" as const, action: `${action}ping hosts`, cluster, target: host ?? cluster };
  return audited(ctx, actor, what, async () => {
    const job = await ctx.queue.enqueue({
      kind: action,
      cluster,
      ...(host ? { hosts: [host] } : {}),
      command,
      actor,
      need: "admin",
      ...(notify ? { notify } : {}),
    });
    return { result: { job, hosts: host ? [host] : hosts }, job: job.id };
  });
}
