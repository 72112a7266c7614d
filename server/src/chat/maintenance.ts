import { formatEndpoint } from "@lvsfleet/model";
import type { Actor } from "../access/roles.ts";
import type { CommandContext } from "../commands/context.ts";
import { NotFoundError } from "../commands/errors.ts";
import { controlJob, listJobs, type MaintenanceJobView, submitJob } from "../commands/maintenance.ts";
import { findRealServers, parseTarget } from "../commands/weight.ts";
import { parseDuration } from "../maintenance/duration.ts";
import { refKey } from "../maintenance/types.ts";
import type { JobView } from "../queue/queue.ts";
import { codeBlock, ephemeral, type SlackMessage } from "./replies.ts";

/** Chat's maintenance commands: drain, undrain, rolling, switchover, jobs, cancel. */
export type MaintenanceChatCommand =
  | { kind: "drain"; target: string; for?: string | undefined; cluster?: string | undefined }
  | { kind: "undrain"; target: string; cluster?: string | undefined }
  | {
      kind: "rolling";
      targets: string;
      batch?: number | undefined;
      min?: number | undefined;
      cluster?: string | undefined;
    }
  | { kind: "switchover"; cluster?: string | undefined }
  | { kind: "jobs"; cluster?: string | undefined }
  | { kind: "cancel"; job: string };

/** A maintenance job as chat resolved it (what a confirmation stores). */
export interface JobAction {
  kind: "job";
  cluster: string;
  body: { kind: string; targets?: unknown; options?: Record<string, unknown> };
  summary: string;
}

export const MAINTENANCE_USAGE: Record<string, string> = {
  drain: "drain <real-server-ip>[:port] [for <duration>] [cluster]",
  undrain: "undrain <real-server-ip>[:port] [cluster]",
  rolling: "rolling <service|host,host…|all> [batch N] [min N%] [cluster]",
  switchover: "switchover [cluster]",
  jobs: "jobs [cluster]",
  cancel: "cancel <job>",
};

type Parsed = { ok: true; command: MaintenanceChatCommand } | { ok: false; kind: string; error: string };

/** Parses a maintenance command's words; undefined when the verb is not one of them. Pure. */
export function parseMaintenanceChat(verb: string, args: string[]): Parsed | undefined {
  const fail = (kind: string, error: string): Parsed => ({ ok: false, kind, error });
  switch (verb) {
    case "drain": {
      const [target, ...rest] = args;
      if (!target) return fail("drain", "drain needs a real server");
      let duration: string | undefined;
      if (rest[0]?.toLowerCase() === "for") {
        duration = rest[1];
        if (!duration) return fail("drain", "`for` needs a duration like 30m");
        try {
          parseDuration(duration, "for");
        } catch {
          return fail("drain", `${JSON.stringify(duration)} is not a duration like 90s, 15m, 2h or 1d`);
        }
        rest.splice(0, 2);
      }
      if (rest.length > 1) return fail("drain", `unexpected ${JSON.stringify(rest.join(" "))}`);
      return { ok: true, command: { kind: "drain", target, for: duration, cluster: rest[0] } };
    }
    case "undrain":
      if (args.length < 1 || args.length > 2)
        return fail("undrain", "undrain takes a real server and, optionally, a cluster");
      return { ok: true, command: { kind: "undrain", target: args[0] as string, cluster: args[1] } };
    case "rolling": {
      const [targets, ...rest] = args;
      if (!targets) return fail("rolling", "rolling needs a service, hosts (comma-separated) or all");
      let batch: number | undefined;
      let min: number | undefined;
      let cluster: string | undefined;
      for (let i = 0; i < rest.length; i++) {
        const word = rest[i]?.toLowerCase();
        if (word === "batch") {
          const n = rest[++i] ?? "";
          if (!/^\d{1,4}$/.test(n) || Number(n) < 1)
            return fail("rolling", `batch takes a whole number above 0, got ${JSON.stringify(n)}`);
          batch = Number(n);
        } else if (word === "min") {
          const n = (rest[++i] ?? "").replace(/%$/, "");
          if (!/^\d{1,3}$/.test(n) || Number(n) > 100)
            return fail("rolling", `min takes a percentage from 0 to 100, got ${JSON.stringify(rest[i] ?? "")}`);
          min = Number(n);
        } else if (cluster === undefined && i === rest.length - 1) cluster = rest[i];
        else return fail("rolling", `unexpected ${JSON.stringify(rest[i])}`);
      }
      return { ok: true, command: { kind: "rolling", targets, batch, min, cluster } };
    }
    case "switchover":
      if (args.length > 1) return fail("switchover", "switchover takes at most a cluster");
      return { ok: true, command: { kind: "switchover", cluster: args[0] } };
    case "jobs":
      if (args.length > 1) return fail("jobs", "jobs takes at most a cluster");
      return { ok: true, command: { kind: "jobs", cluster: args[0] } };
    case "cancel":
      if (args.length !== 1) return fail("cancel", "cancel takes a job id, e.g. cancel m-12");
      return { ok: true, command: { kind: "cancel", job: args[0] as string } };
    default:
      return undefined;
  }
}

class ChatMaintenanceError extends Error {}

async function oneCluster(ctx: CommandContext, name: string | undefined, candidates?: string[]): Promise<string> {
  const names = candidates ?? (await ctx.clusters.names());
  if (name !== undefined) {
    if (!(await ctx.clusters.names()).includes(name)) throw new NotFoundError(`no cluster named ${name}`);
    return name;
  }
  const unique = [...new Set(names)];
  if (unique.length === 1) return unique[0] as string;
  throw new ChatMaintenanceError(
    unique.length === 0 ? "no clusters are defined yet" : `which cluster? it could be ${unique.join(", ")}`,
  );
}

/**
 * Resolves a job command to what it will do and, for a drain, why it is dangerous: draining the
 * last healthy real server of a service (every other one at weight 0 or failing its health check).
 */
export async function resolveJobCommand(
  ctx: CommandContext,
  command: Exclude<MaintenanceChatCommand, { kind: "jobs" | "cancel" }>,
): Promise<{ action: JobAction; danger?: string | undefined }> {
  switch (command.kind) {
    case "drain":
    case "undrain": {
      const target = parseTarget(command.target, "real server");
      const matches = await findRealServers(ctx, { ...target, cluster: command.cluster });
      const cluster = await oneCluster(
        ctx,
        command.cluster,
        matches.length ? matches.map((m) => m.cluster) : undefined,
      );
      const where = target.port === undefined ? target.address : formatEndpoint(target.address, target.port);
      if (command.kind === "undrain")
        return {
          action: {
            kind: "job",
            cluster,
            body: { kind: "undrain", targets: [where] },
            summary: `undrain ${where} in ${cluster}`,
          },
        };
      const mine = matches.filter((m) => m.cluster === cluster);
      if (mine.length === 0) throw new NotFoundError(`no real server ${where} in cluster ${cluster}`);
      const body = {
        kind: command.for ? "maintenance" : "drain",
        targets: [where],
        ...(command.for ? { options: { for: command.for } } : {}),
      };
      const summary = `${command.for ? `maintenance of ${where} for ${command.for}` : `drain ${where}`} in ${cluster}`;
      return { action: { kind: "job", cluster, body, summary }, danger: await lastHealthy(ctx, cluster, mine) };
    }
    case "rolling": {
      const cluster = await oneCluster(ctx, command.cluster);
      const targets = command.targets === "all" ? "all" : command.targets.split(",").filter(Boolean);
      const options = {
        ...(command.batch !== undefined ? { batch: command.batch } : {}),
        ...(command.min !== undefined ? { minCapacity: command.min } : {}),
      };
      return {
        action: {
          kind: "job",
          cluster,
          body: { kind: "rolling", targets, options },
          summary: `rolling over ${command.targets} in ${cluster}${command.batch ? `, batch ${command.batch}` : ""}${command.min !== undefined ? `, min ${command.min}%` : ""}`,
        },
      };
    }
    case "switchover": {
      const cluster = await oneCluster(ctx, command.cluster);
      return {
        action: { kind: "job", cluster, body: { kind: "switchover" }, summary: `switchover of ${cluster}` },
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

/** Queues a resolved job (after confirmation, when it needed one). */
export async function executeJob(
  ctx: CommandContext,
  action: JobAction,
  actor: Actor,
  notify: { responseUrl: string } | undefined,
): Promise<SlackMessage> {
  const outcome = await submitJob(ctx, actor, action.cluster, action.body, notify);
  if (outcome.kind !== "job") return ephemeral(`Scheduled ${outcome.schedule.id}.`);
  const later = notify ? " I'll post its progress here." : ` Follow it with \`jobs ${action.cluster}\`.`;
  return ephemeral(
    `Queued job ${outcome.job.id}: ${outcome.job.command} (${outcome.job.steps.length || "its"} steps).${later}`,
  );
}

const line = (j: MaintenanceJobView | JobView) => {
  const progress =
    "progress" in j && j.progress ? ` — ${j.progress.step}/${j.progress.steps} ${j.progress.message}` : "";
  return `${j.id.padEnd(6)} ${j.state.padEnd(9)} ${j.command}${progress}`;
};

export async function jobsReply(ctx: CommandContext, actor: Actor, cluster: string | undefined): Promise<SlackMessage> {
  const jobs = await listJobs(ctx, actor, { cluster, limit: 15 });
  return ephemeral(jobs.length ? codeBlock(jobs.map(line).join("\n")) : "No jobs yet.");
}

export async function cancelReply(ctx: CommandContext, actor: Actor, id: string): Promise<SlackMessage> {
  const job = await controlJob(ctx, actor, id, "cancel");
  return ephemeral(
    job.state === "cancelled"
      ? `Job ${id} cancelled before it started; nothing changed.`
      : `Cancelling job ${id}: it stops at its next safe point and restores what it changed.`,
  );
}

export function isChatMaintenanceError(error: unknown): error is Error {
  return error instanceof ChatMaintenanceError;
}
