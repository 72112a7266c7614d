import { type ClusterSpec, fieldPath, ValidationError } from "@lvsfleet/model";
import { type Actor, authorize, ForbiddenError } from "../access/roles.ts";
import { claimNamedHosts } from "../store/host-owners.ts";
import { deny } from "./audited.ts";
import type { CommandContext } from "./context.ts";

/** Why a host named in a cluster's spec is not read or touched for that cluster. */
export function ownedElsewhere(host: string, owner: string, cluster: string): string {
  return `${host} belongs to cluster ${owner}, not ${cluster}: nothing is read from or sent to it for ${cluster}`;
}

/** Where a spec names each host, as a field path (the first place, for errors). */
export function hostFields(spec: ClusterSpec): Map<string, string> {
  const fields = new Map<string, string>();
  spec.directors.forEach((d, i) => {
    if (!fields.has(d.host)) fields.set(d.host, fieldPath(["directors", i, "host"]));
  });
  spec.services.forEach((s, i) => {
    s.realServers.forEach((rs, j) => {
      if (rs.host && !fields.has(rs.host)) fields.set(rs.host, fieldPath(["services", i, "realServers", j, "host"]));
    });
  });
  return fields;
}

/**
 * A cluster owns the hosts it names. Refuses a spec for `cluster` that names a host another cluster
 * owns (400 naming the field, the host and its owner; audited as denied), unless the host is in
 * `moveHosts` and the actor is admin of the owner too. Returns the moves to make, host → old owner.
 */
export async function checkHostOwnership(
  ctx: CommandContext,
  actor: Actor,
  cluster: string,
  spec: ClusterSpec,
  moveHosts: readonly string[],
  command: string,
): Promise<Map<string, string>> {
  const fields = hostFields(spec);
  const stray = moveHosts.filter((h) => !fields.has(h));
  if (stray.length > 0)
    throw new ValidationError([
      { field: "moveHosts", message: `${stray.join(", ")} ${stray.length === 1 ? "is" : "are"} not in the spec` },
    ]);
  const foreign = await ctx.owners.foreign(cluster, [...fields.keys()]);
  const moves = new Map<string, string>();
  for (const [host, owner] of foreign) {
    const what = {
      command,
      need: "admin" as const,
      action: `moving ${host} from cluster ${owner}`,
      cluster,
      target: host,
    };
    if (!moveHosts.includes(host)) {
      const reason = `${host} belongs to cluster ${owner}: a cluster owns the hosts it names (an admin of both clusters may move it with ?moveHosts=${host})`;
      await deny(ctx, actor, what, reason);
      throw new ValidationError([{ field: fields.get(host) ?? "host", message: reason }]);
    }
    try {
      authorize(actor, "admin", `moving ${host} from cluster ${owner}`, owner);
    } catch (error) {
      if (error instanceof ForbiddenError) throw await deny(ctx, actor, what, error.message);
      throw error;
    }
    moves.set(host, owner);
  }
  return moves;
}

/** When an agent registers and nobody owns its host: the one cluster whose spec names it claims it. */
export async function claimOnRegistration(ctx: CommandContext, host: string): Promise<void> {
  if ((await ctx.owners.ownerOf(host)) === undefined) await claimNamedHosts(ctx.clusters, ctx.owners, ctx.log, host);
}
