import { formatEndpoint, validate, Weight } from "@lvsfleet/model";
import type { Actor } from "../access/roles.ts";
import type { JobView } from "../queue/queue.ts";
import { audited } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { weightDanger } from "./danger.ts";
import { NotFoundError } from "./errors.ts";
import {
  describeRef,
  locateRealServer,
  parseTarget,
  type RealServerMatch,
  type RealServerQuery,
  type RealServerRef,
  resolveRealServer,
} from "./resolve.ts";

export type { RealServerMatch, RealServerRef };
export { describeRef, parseTarget };

export interface WeightChange {
  target: RealServerRef;
  before: number;
  after: number;
  changed: boolean;
  generation: number;
  job: JobView;
}

/** A real server in a service: as text (`ADDRESS[:PORT]`, parsed here, `server` in errors), or already parsed. */
export type WeightTarget = { cluster: string; service: string } & (
  | { server: string }
  | { address: string; port?: number | undefined }
);

/**
 * Sets a real server's weight in the desired state and queues the job that applies it on every
 * director. The same weight again changes nothing but still returns a job that completes.
 */
export async function setWeight(
  ctx: CommandContext,
  actor: Actor,
  at: WeightTarget,
  weightInput: unknown,
  notify?: { responseUrl: string },
): Promise<WeightChange> {
  const target =
    "server" in at ? { cluster: at.cluster, service: at.service, ...parseTarget(at.server, "server") } : at;
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
      const { service, realServer } = locateRealServer(spec, target);
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

/** What a weight command in its short form came to: done, or waiting for the user to confirm a danger. */
export type WeightRequestOutcome =
  | { kind: "queued"; change: WeightChange }
  | { kind: "confirm"; target: RealServerMatch; weight: number; danger: string };

/**
 * A weight change in its short form (chat's `weight 10.0.0.5 0 [cluster] [service]`): resolves the real
 * server once, from one read of each spec it searches, and judges the danger on that same read (a change
 * that leaves a service with no weight). A dangerous change is not made but returned for confirmation
 * (once confirmed, setWeight makes it on the exact target); any other is made at once.
 */
export async function requestWeight(
  ctx: CommandContext,
  actor: Actor,
  query: { server: string; cluster?: string | undefined; service?: string | undefined },
  weightInput: unknown,
  notify?: { responseUrl: string } | undefined,
): Promise<WeightRequestOutcome> {
  const at = parseTarget(query.server, "real server");
  // the server first, then the weight: an unknown server is the first thing to say (as chat always has)
  const { match, spec } = await resolveRealServer(ctx, actor, {
    ...at,
    cluster: query.cluster,
    service: query.service,
  });
  const weight = validate(Weight, weightInput, ["weight"]);
  const danger = weightDanger(spec, match, weight);
  if (danger) return { kind: "confirm", target: match, weight, danger };
  return { kind: "queued", change: await setWeight(ctx, actor, match, weight, notify) };
}

/** The short form resolved (for a what-if on the same words): exactly one real server, or the error listing them. */
export async function resolveWeightTarget(
  ctx: CommandContext,
  actor: Actor,
  query: { server: string; cluster?: string | undefined; service?: string | undefined },
): Promise<RealServerMatch> {
  const at = parseTarget(query.server, "real server");
  const target: RealServerQuery = { ...at, cluster: query.cluster, service: query.service };
  return (await resolveRealServer(ctx, actor, target)).match;
}
