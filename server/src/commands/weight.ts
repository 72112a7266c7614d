import { type ClusterSpec, formatEndpoint, parseEndpoint, ValidationError, validate, Weight } from "@lvsfleet/model";
import type { Actor } from "../access/roles.ts";
import type { JobView } from "../queue/queue.ts";
import { audited, canRead } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { AmbiguousError, NotFoundError } from "./errors.ts";

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

export const describeRef = (r: RealServerRef) => `${formatEndpoint(r.address, r.port)} in ${r.cluster}/${r.service}`;

/** Parses `192.168.1.220`, `192.168.1.220:80` or `[2001:db8::1]:80`; `field` names the input for errors. */
export function parseTarget(text: string, field: string): { address: string; port: number | undefined } {
  const endpoint = parseEndpoint(text);
  if (!endpoint)
    throw new ValidationError([
      { field, message: `${JSON.stringify(text)} is not ADDRESS[:PORT] (e.g. 192.168.1.220:80 or [2001:db8::1]:80)` },
    ]);
  return endpoint;
}

/**
 * Real servers matching an address (and port), in one cluster/service or across all of them —
 * all the ones `actor` may see: a token limited to some clusters never learns of another's servers.
 */
export async function findRealServers(
  ctx: CommandContext,
  query: { address: string; port?: number | undefined; cluster?: string | undefined; service?: string | undefined },
  actor?: Pick<Actor, "clusters">,
): Promise<RealServerMatch[]> {
  const names = query.cluster ? [query.cluster] : await visibleClusters(ctx, actor);
  const matches: RealServerMatch[] = [];
  for (const name of names) {
    // searching the fleet skips a cluster whose stored spec cannot be read; naming it reports it
    const stored = query.cluster ? await ctx.clusters.get(name) : await ctx.clusters.readable(name);
    if (!stored) continue;
    for (const service of stored.spec.services) {
      if (query.service && service.name !== query.service) continue;
      for (const rs of service.realServers)
        if (rs.address === query.address && (query.port === undefined || rs.port === query.port))
          matches.push({ cluster: name, service: service.name, address: rs.address, port: rs.port, weight: rs.weight });
    }
  }
  return matches;
}

/** Exactly one real server for the query, or an error that lists what there is. */
export async function resolveRealServer(
  ctx: CommandContext,
  actor: Actor,
  query: { address: string; port?: number | undefined; cluster?: string | undefined; service?: string | undefined },
): Promise<RealServerMatch> {
  canRead(actor, query.cluster);
  if (query.cluster && !(await ctx.clusters.get(query.cluster)))
    throw new NotFoundError(`no cluster named ${query.cluster}`);
  const matches = await findRealServers(ctx, query, actor);
  const wanted = query.port === undefined ? query.address : formatEndpoint(query.address, query.port);
  const scope = [query.cluster, query.service].filter(Boolean).join("/");
  if (matches.length === 1) return matches[0] as RealServerMatch;
  if (matches.length === 0) {
    const known = await findAll(ctx, query.cluster, actor);
    throw new AmbiguousError(`no real server ${wanted}${scope ? ` in ${scope}` : ""}`, known.map(describeRef));
  }
  throw new AmbiguousError(`${wanted} matches ${matches.length} real servers; say which`, matches.map(describeRef));
}

async function visibleClusters(ctx: CommandContext, actor: Pick<Actor, "clusters"> | undefined): Promise<string[]> {
  return (await ctx.clusters.names()).filter((n) => !actor?.clusters || actor.clusters.includes(n));
}

async function findAll(
  ctx: CommandContext,
  cluster: string | undefined,
  actor: Pick<Actor, "clusters">,
): Promise<RealServerRef[]> {
  const names = cluster ? [cluster] : await visibleClusters(ctx, actor);
  const all: RealServerRef[] = [];
  for (const name of names) {
    const stored = cluster ? await ctx.clusters.get(name) : await ctx.clusters.readable(name);
    for (const service of stored?.spec.services ?? [])
      for (const rs of service.realServers)
        all.push({ cluster: name, service: service.name, address: rs.address, port: rs.port });
  }
  return all;
}

function locate(spec: ClusterSpec, ref: { service: string; address: string; port?: number | undefined }) {
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
  return { service, realServer: candidates[0]! };
}

export interface WeightChange {
  target: RealServerRef;
  before: number;
  after: number;
  changed: boolean;
  generation: number;
  job: JobView;
}

/**
 * Sets a real server's weight in the desired state and queues the job that applies it on every
 * director. The same weight again changes nothing but still returns a job that completes.
 */
export async function setWeight(
  ctx: CommandContext,
  actor: Actor,
  target: { cluster: string; service: string; address: string; port?: number | undefined },
  weightInput: unknown,
  notify?: { responseUrl: string },
): Promise<WeightChange> {
  const weight = validate(Weight, weightInput, ["weight"]);
  const where = target.port === undefined ? target.address : formatEndpoint(target.address, target.port);
  const what = {
    command: `weight ${weight}`,
    need: "operator" as const,
    action: "changing a weight",
    cluster: target.cluster,
    target: `${target.cluster}/${target.service}/${where}`,
  };
  return audited(ctx, actor, what, async () => {
    const update = await ctx.writer.update(target.cluster, (current) => {
      if (!current) throw new NotFoundError(`no cluster named ${target.cluster}`);
      const spec = structuredClone(current);
      const { service, realServer } = locate(spec, target);
      const before = realServer.weight;
      realServer.weight = weight;
      const ref = { cluster: spec.name, service: service.name, address: realServer.address, port: realServer.port };
      return { spec, result: { ref, before } };
    });
    const { ref, before } = update.result;
    const job = await ctx.queue.enqueue({
      kind: "apply",
      cluster: ref.cluster,
      generation: update.generation,
      changed: update.changed,
      command: `weight ${describeRef(ref)}: ${before} -> ${weight}${update.changed ? "" : " (no change)"}`,
      actor,
      need: "operator",
      ...(notify ? { notify } : {}),
    });
    return {
      result: { target: ref, before, after: weight, changed: update.changed, generation: update.generation, job },
      before: { weight: before },
      after: { weight, generation: update.generation },
      job: job.id,
    };
  });
}
