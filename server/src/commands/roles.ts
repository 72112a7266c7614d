import { clusterHosts } from "@lvsfleet/model";
import type { Actor } from "../access/roles.ts";
import type { JobView } from "../queue/queue.ts";
import { audited, canRead } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { stopDanger } from "./danger.ts";
import { NotFoundError } from "./errors.ts";
import { resolveHost } from "./resolve.ts";

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

/** What a start or stop in its short form came to: queued, or waiting for the user to confirm a danger. */
export type RoleRequestOutcome =
  | { kind: "queued"; cluster: string; job: JobView; hosts: string[] }
  | { kind: "confirm"; cluster: string; host?: string | undefined; danger: string };

/**
 * A start or stop in its short form (chat's `stop`, `stop web`, `stop lb-backup`, `stop web lb-backup`):
 * resolves the cluster and host from one read of the spec and judges the danger on it (stopping a
 * director or a whole cluster). A dangerous change is returned for confirmation (then changeRole
 * makes it); any other is queued at once.
 */
export async function requestRoleChange(
  ctx: CommandContext,
  actor: Actor,
  action: "start" | "stop",
  args: string[],
  notify?: { responseUrl: string } | undefined,
): Promise<RoleRequestOutcome> {
  const { cluster, host, spec } = await resolveHost(ctx, args);
  const danger = action === "stop" && spec ? stopDanger(spec, host) : undefined;
  if (danger) return { kind: "confirm", cluster, host, danger };
  return { kind: "queued", cluster, ...(await changeRole(ctx, actor, action, cluster, host, notify)) };
}
