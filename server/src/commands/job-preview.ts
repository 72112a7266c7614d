import { formatEndpoint } from "@lvsfleet/model";
import { refKey } from "../maintenance/types.ts";
import type { CommandContext } from "./context.ts";
import { NotFoundError, UnclearError } from "./errors.ts";
import { findRealServers, parseTarget } from "./resolve.ts";

/** A maintenance job in its short form (chat's `drain 10.0.0.5 for 30m`, `rolling web batch 2`, `switchover`). */
export type ShortJobRequest =
  | { kind: "drain"; target: string; for?: string | undefined; cluster?: string | undefined }
  | { kind: "undrain"; target: string; cluster?: string | undefined }
  | {
      kind: "rolling";
      targets: string;
      batch?: number | undefined;
      min?: number | undefined;
      cluster?: string | undefined;
    }
  | { kind: "switchover"; cluster?: string | undefined };

/** The job a short form resolves to: what submitJob takes, a one-line summary, and why it is dangerous. */
export interface JobPreview {
  cluster: string;
  body: { kind: string; targets?: unknown; options?: Record<string, unknown> };
  summary: string;
  danger?: string | undefined;
}

/** The cluster of a job: the one named, or the only one the candidates (or the fleet) have. */
async function oneCluster(
  ctx: Pick<CommandContext, "clusters">,
  name: string | undefined,
  candidates?: string[],
): Promise<string> {
  const names = candidates ?? (await ctx.clusters.names());
  if (name !== undefined) {
    if (!(await ctx.clusters.names()).includes(name)) throw new NotFoundError(`no cluster named ${name}`);
    return name;
  }
  const unique = [...new Set(names)];
  if (unique.length === 1) return unique[0] as string;
  throw new UnclearError(
    unique.length === 0 ? "no clusters are defined yet" : `which cluster? it could be ${unique.join(", ")}`,
  );
}

/**
 * Resolves a job's short form to what it will do and, for a drain, why it is dangerous: draining the
 * last healthy real server of a service (every other one at weight 0 or failing its health check);
 * a switchover always is. Changes nothing: submitJob does, once the user confirmed.
 */
export async function previewJob(ctx: CommandContext, request: ShortJobRequest): Promise<JobPreview> {
  switch (request.kind) {
    case "drain":
    case "undrain": {
      const target = parseTarget(request.target, "real server");
      const matches = await findRealServers(ctx, { ...target, cluster: request.cluster });
      const cluster = await oneCluster(
        ctx,
        request.cluster,
        matches.length ? matches.map((m) => m.cluster) : undefined,
      );
      const where = target.port === undefined ? target.address : formatEndpoint(target.address, target.port);
      if (request.kind === "undrain")
        return { cluster, body: { kind: "undrain", targets: [where] }, summary: `undrain ${where} in ${cluster}` };
      const mine = matches.filter((m) => m.cluster === cluster);
      if (mine.length === 0) throw new NotFoundError(`no real server ${where} in cluster ${cluster}`);
      const body = {
        kind: request.for ? "maintenance" : "drain",
        targets: [where],
        ...(request.for ? { options: { for: request.for } } : {}),
      };
      const summary = `${request.for ? `maintenance of ${where} for ${request.for}` : `drain ${where}`} in ${cluster}`;
      return { cluster, body, summary, danger: await lastHealthy(ctx, cluster, mine) };
    }
    case "rolling": {
      const cluster = await oneCluster(ctx, request.cluster);
      const targets = request.targets === "all" ? "all" : request.targets.split(",").filter(Boolean);
      const options = {
        ...(request.batch !== undefined ? { batch: request.batch } : {}),
        ...(request.min !== undefined ? { minCapacity: request.min } : {}),
      };
      return {
        cluster,
        body: { kind: "rolling", targets, options },
        summary: `rolling over ${request.targets} in ${cluster}${request.batch ? `, batch ${request.batch}` : ""}${request.min !== undefined ? `, min ${request.min}%` : ""}`,
      };
    }
    case "switchover": {
      const cluster = await oneCluster(ctx, request.cluster);
      return {
        cluster,
        body: { kind: "switchover" },
        summary: `switchover of ${cluster}`,
        danger: `this moves the VIPs of ${cluster} to the backup director and takes the master out (stopped, or at lower VRRP priority)`,
      };
    }
  }
}

async function lastHealthy(
  ctx: CommandContext,
  cluster: string,
  servers: { service: string; address: string; port: number }[],
): Promise<string | undefined> {
  const stored = await ctx.clusters.get(cluster);
  if (!stored || !ctx.maintenance) return undefined;
  const out = new Set(servers.map(refKey));
  for (const service of new Set(servers.map((s) => s.service))) {
    const spec = stored.spec.services.find((s) => s.name === service);
    const others = (spec?.realServers ?? [])
      .filter((r) => r.weight > 0 && !out.has(refKey({ service, ...r })))
      .map((r) => ({ service, address: r.address, port: r.port, host: r.host }));
    const health = await ctx.maintenance.effects.health.check(cluster, stored.spec, others);
    if (!others.some((o) => health.get(refKey(o))?.healthy))
      return `this drains the last healthy real server of ${cluster}/${service}: it will take no new connections`;
  }
  return undefined;
}
