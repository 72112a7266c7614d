import {
  type ClusterSpec,
  type Endpoint,
  formatEndpoint,
  parseEndpoint,
  type RealServer,
  ValidationError,
} from "@lvsfleet/model";
import type { Actor } from "../access/roles.ts";
import { canRead } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { AmbiguousError, NotFoundError, UnclearError } from "./errors.ts";

/**
 * What the short forms of commands mean (chat's `weight 10.0.0.5 0`, `stop lb-backup`): the cluster,
 * the host, the real server. Every front door resolves through here; none reads a store to do it.
 */

/** A real server, located precisely. */
export interface RealServerRef {
  cluster: string;
  service: string;
  address: string;
  port: number;
}

export interface RealServerMatch extends RealServerRef {
  weight: number;
}

export interface RealServerQuery {
  address: string;
  port?: number | undefined;
  cluster?: string | undefined;
  service?: string | undefined;
}

export const describeRef = (r: RealServerRef) => `${formatEndpoint(r.address, r.port)} in ${r.cluster}/${r.service}`;

/** Parses `192.168.1.220`, `192.168.1.220:80` or `[2001:db8::1]:80`; `field` names the input for errors. */
export function parseTarget(text: string, field: string): Endpoint {
  const endpoint = parseEndpoint(text);
  if (!endpoint)
    throw new ValidationError([
      { field, message: `${JSON.stringify(text)} is not ADDRESS[:PORT] (e.g. 192.168.1.220:80 or [2001:db8::1]:80)` },
    ]);
  return endpoint;
}

/** The cluster a command means: the one named, or the only one there is. */
export async function resolveCluster(ctx: Pick<CommandContext, "clusters">, name: string | undefined): Promise<string> {
  const names = await ctx.clusters.names();
  if (name !== undefined) {
    if (!names.includes(name))
      throw new UnclearError(`no cluster named ${name}; clusters: ${names.join(", ") || "none"}`);
    return name;
  }
  if (names.length === 1) return names[0] as string;
  throw new UnclearError(
    names.length === 0 ? "no clusters are defined yet" : `which cluster? clusters: ${names.join(", ")}`,
  );
}

/**
 * The cluster and host of `start`, `start web`, `start lb-backup`, `start web lb-backup`, with the
 * spec read to check that the host is the cluster's (undefined: the cluster has no spec).
 */
export async function resolveHost(
  ctx: Pick<CommandContext, "clusters">,
  args: string[],
): Promise<{ cluster: string; host?: string | undefined; spec: ClusterSpec | undefined }> {
  const names = await ctx.clusters.names();
  let target: { cluster: string; host?: string | undefined };
  if (args.length === 2) target = { cluster: await resolveCluster(ctx, args[0]), host: args[1] as string };
  else if (args.length === 1 && names.includes(args[0] as string)) target = { cluster: args[0] as string };
  else {
    const cluster = await resolveCluster(ctx, undefined);
    target = args.length === 1 ? { cluster, host: args[0] as string } : { cluster };
  }
  const spec = (await ctx.clusters.get(target.cluster))?.spec;
  const host = target.host;
  if (
    host &&
    spec &&
    !spec.directors.some((d) => d.host === host) &&
    !spec.services.some((s) => s.realServers.some((r) => r.host === host))
  )
    throw new NotFoundError(`no host ${host} in cluster ${target.cluster}`);
  return { ...target, spec };
}

/**
 * Real servers matching an address (and port), in one cluster/service or across all of them —
 * all the ones `actor` may see: a token limited to some clusters never learns of another's servers.
 * Each cluster's spec is read once; `specs` holds what was read.
 */
export async function findRealServers(
  ctx: Pick<CommandContext, "clusters">,
  query: RealServerQuery,
  actor?: Pick<Actor, "clusters">,
  specs = new Map<string, ClusterSpec>(),
): Promise<RealServerMatch[]> {
  const names = query.cluster ? [query.cluster] : await visibleClusters(ctx, actor);
  const matches: RealServerMatch[] = [];
  for (const name of names) {
    const spec = await readSpec(ctx, name, query.cluster !== undefined, specs);
    if (!spec) continue;
    for (const service of spec.services) {
      if (query.service && service.name !== query.service) continue;
      for (const rs of service.realServers)
        if (rs.address === query.address && (query.port === undefined || rs.port === query.port))
          matches.push({ cluster: name, service: service.name, address: rs.address, port: rs.port, weight: rs.weight });
    }
  }
  return matches;
}

/**
 * Exactly one real server for the short form, with the spec it was found in (read once), or an
 * error that lists what there is.
 */
export async function resolveRealServer(
  ctx: Pick<CommandContext, "clusters">,
  actor: Actor,
  query: RealServerQuery,
): Promise<{ match: RealServerMatch; spec: ClusterSpec }> {
  canRead(actor, query.cluster);
  const specs = new Map<string, ClusterSpec>();
  if (query.cluster && !(await readSpec(ctx, query.cluster, true, specs)))
    throw new NotFoundError(`no cluster named ${query.cluster}`);
  const matches = await findRealServers(ctx, query, actor, specs);
  const wanted = query.port === undefined ? query.address : formatEndpoint(query.address, query.port);
  const scope = [query.cluster, query.service].filter(Boolean).join("/");
  if (matches.length === 1) {
    const match = matches[0] as RealServerMatch;
    return { match, spec: specs.get(match.cluster) as ClusterSpec };
  }
  if (matches.length === 0) {
    const known = [...specs].flatMap(([cluster, spec]) =>
      spec.services.flatMap((service) =>
        service.realServers.map((rs) => ({ cluster, service: service.name, address: rs.address, port: rs.port })),
      ),
    );
    throw new AmbiguousError(`no real server ${wanted}${scope ? ` in ${scope}` : ""}`, known.map(describeRef));
  }
  throw new AmbiguousError(`${wanted} matches ${matches.length} real servers; say which`, matches.map(describeRef));
}

/** The service and real server a precise (or port-less) reference names in a spec. Pure. */
export function locateRealServer(
  spec: ClusterSpec,
  ref: { service: string; address: string; port?: number | undefined },
): { service: ClusterSpec["services"][number]; realServer: RealServer } {
  const service = spec.services.find((s) => s.name === ref.service);
  if (!service)
    throw new NotFoundError(
      `no service ${ref.service} in cluster ${spec.name}; services: ${spec.services.map((s) => s.name).join(", ") || "none"}`,
    );
  const candidates = service.realServers.filter(
    (r) => r.address === ref.address && (ref.port === undefined || r.port === ref.port),
  );
  const listed = service.realServers.map((r) => formatEndpoint(r.address, r.port)).join(", ") || "none";
  if (candidates.length === 0)
    throw new NotFoundError(
      `no real server ${ref.port === undefined ? ref.address : formatEndpoint(ref.address, ref.port)} in ${spec.name}/${service.name}; real servers: ${listed}`,
    );
  if (candidates.length > 1)
    throw new AmbiguousError(
      `${ref.address} serves ${service.name} on ${candidates.length} ports; give the port`,
      candidates.map((r) => formatEndpoint(r.address, r.port)),
    );
  return { service, realServer: candidates[0] as RealServer };
}

async function visibleClusters(
  ctx: Pick<CommandContext, "clusters">,
  actor: Pick<Actor, "clusters"> | undefined,
): Promise<string[]> {
  return (await ctx.clusters.names()).filter((n) => !actor?.clusters || actor.clusters.includes(n));
}

/** A cluster's spec, read at most once per resolution: searching skips an unreadable one, naming it reports it. */
async function readSpec(
  ctx: Pick<CommandContext, "clusters">,
  name: string,
  named: boolean,
  specs: Map<string, ClusterSpec>,
): Promise<ClusterSpec | undefined> {
  const known = specs.get(name);
  if (known) return known;
  const stored = named ? await ctx.clusters.get(name) : await ctx.clusters.readable(name);
  if (stored) specs.set(name, stored.spec);
  return stored?.spec;
}
