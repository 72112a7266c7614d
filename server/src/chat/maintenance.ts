import type { Actor } from "../commands/actor.ts";
import type { CommandContext } from "../commands/context.ts";
import { previewJob, type ShortJobRequest } from "../commands/job-preview.ts";
import type { JobView } from "../commands/jobs.ts";
import { controlJob, listJobs, type MaintenanceJobView, parseDuration, submitJob } from "../commands/maintenance.ts";
import { codeBlock, ephemeral, type SlackMessage } from "./replies.ts";

/** Chat's maintenance commands: drain, undrain, rolling, switchover, jobs, cancel. */
export type MaintenanceChatCommand =
  | ShortJobRequest
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

/** A job command resolved (by the command layer) to the job it will submit, and why it is dangerous. */
export async function resolveJobCommand(
  ctx: CommandContext,
  command: ShortJobRequest,
): Promise<{ action: JobAction; danger?: string | undefined }> {
  const { cluster, body, summary, danger } = await previewJob(ctx, command);
  return { action: { kind: "job", cluster, body, summary }, danger };
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
  const progress = !j.progress
    ? ""
    : "step" in j.progress
      ? ` — ${j.progress.step}/${j.progress.steps} ${j.progress.message}`
      : ` — ${j.progress.message}`;
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
