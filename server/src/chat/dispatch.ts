import { formatEndpoint } from "@lvsfleet/model";
import type { Actor } from "../access/roles.ts";
import { readAudit } from "../commands/audit.ts";
import type { CommandContext } from "../commands/context.ts";
import { stopDanger, weightDanger } from "../commands/danger.ts";
import { clusterDoctor } from "../commands/doctor.ts";
import { AmbiguousError, NotFoundError } from "../commands/errors.ts";
import { changeRole } from "../commands/roles.ts";
import { clusterStatus } from "../commands/status.ts";
import { describeRef, parseTarget, type RealServerMatch, resolveRealServer, setWeight } from "../commands/weight.ts";
import { simulateChange } from "../commands/whatif.ts";
import { errorResponse } from "../http/errors.ts";
import { renderDoctorText } from "../status/doctor-text.ts";
import { describeAudit, renderStatusText } from "../status/render.ts";
import { renderWhatIfText } from "../status/whatif-render.ts";
import type { Confirmations } from "./confirmations.ts";
import {
  cancelReply,
  executeJob,
  isChatMaintenanceError,
  type JobAction,
  jobsReply,
  resolveJobCommand,
} from "./maintenance.ts";
import { type ChatCommand, HELP_TEXT, USAGE } from "./parse.ts";
import { codeBlock, confirmationMessage, ephemeral, type SlackMessage, usageReply } from "./replies.ts";

/** A chat command resolved to exactly what it will change. */
export type ChatAction =
  | { kind: "weight"; target: RealServerMatch; weight: number }
  | { kind: "start" | "stop"; cluster: string; host?: string | undefined }
  | JobAction;

export interface ChatRequest {
  actor: Actor;
  userId: string;
  notify?: { responseUrl: string } | undefined;
}

class ChatError extends Error {}

/** The cluster a command means: the one named, or the only one there is. */
async function resolveCluster(ctx: CommandContext, name: string | undefined): Promise<string> {
  const names = await ctx.clusters.names();
  if (name !== undefined) {
    if (!names.includes(name)) throw new ChatError(`no cluster named ${name}; clusters: ${names.join(", ") || "none"}`);
    return name;
  }
  if (names.length === 1) return names[0] as string;
  throw new ChatError(
    names.length === 0 ? "no clusters are defined yet" : `which cluster? clusters: ${names.join(", ")}`,
  );
}

/** `start`, `start web`, `start lb-backup`, `start web lb-backup`. */
async function resolveRoleTarget(ctx: CommandContext, args: string[]): Promise<{ cluster: string; host?: string }> {
  const names = await ctx.clusters.names();
  if (args.length === 2) return { cluster: await resolveCluster(ctx, args[0]), host: args[1] as string };
  if (args.length === 1 && names.includes(args[0] as string)) return { cluster: args[0] as string };
  const cluster = await resolveCluster(ctx, undefined);
  return args.length === 1 ? { cluster, host: args[0] as string } : { cluster };
}

/** Why an action needs confirmation, or undefined. */
async function dangerOf(ctx: CommandContext, action: ChatAction): Promise<string | undefined> {
  if (action.kind === "job") return undefined;
  const stored = await ctx.clusters.get(action.kind === "weight" ? action.target.cluster : action.cluster);
  if (!stored) return undefined;
  if (action.kind === "weight") return weightDanger(stored.spec, action.target, action.weight);
  return action.kind === "stop" ? stopDanger(stored.spec, action.host) : undefined;
}

function describeAction(action: ChatAction): string {
  if (action.kind === "job") return action.summary;
  return action.kind === "weight"
    ? `weight ${describeRef(action.target)} ${action.target.weight} → ${action.weight}`
    : `${action.kind} ${action.cluster}${action.host ? ` ${action.host}` : " (all hosts)"}`;
}

/** Carries out a resolved action through the command layer. */
export async function execute(ctx: CommandContext, action: ChatAction, request: ChatRequest): Promise<SlackMessage> {
  if (action.kind === "job") return executeJob(ctx, action, request.actor, request.notify);
  const later = request.notify ? " I'll post the result here when it finishes." : "";
  if (action.kind === "weight") {
    const change = await setWeight(ctx, request.actor, action.target, action.weight, request.notify);
    return ephemeral(
      `Queued job ${change.job.id}: weight ${describeRef(change.target)} ${change.before} → ${change.after}${change.changed ? "" : " (no change)"}.${later}`,
    );
  }
  const { job, hosts } = await changeRole(ctx, request.actor, action.kind, action.cluster, action.host, request.notify);
  return ephemeral(`Queued job ${job.id}: ${action.kind} ${action.cluster} on ${hosts.join(", ")}.${later}`);
}

/**
 * Runs a parsed chat command for a user (every error becomes a reply, hence the awaits): reads answer at once; changes go through the command
 * layer, except dangerous ones, which wait for `confirm <code>` (or the button) by the same user.
 */
export async function dispatch(
  ctx: CommandContext,
  confirmations: Confirmations<ChatAction>,
  command: ChatCommand,
  request: ChatRequest,
): Promise<SlackMessage> {
  try {
    switch (command.kind) {
      case "help":
        return ephemeral(HELP_TEXT);
      case "status": {
        const status = await clusterStatus(ctx, request.actor, await resolveCluster(ctx, command.cluster));
        return ephemeral(codeBlock(renderStatusText(status)));
      }
      case "doctor": {
        const report = await clusterDoctor(ctx, request.actor, await resolveCluster(ctx, command.cluster));
        return ephemeral(codeBlock(renderDoctorText(report)));
      }
      case "whatif": {
        // a read: the prediction changes nothing, so it needs no confirmation and no more than viewer
        const target = parseTarget(command.target, "real server");
        const found = await resolveRealServer(ctx, request.actor, {
          ...target,
          cluster: command.cluster,
          service: command.service,
        });
        const report = await simulateChange(ctx, request.actor, found.cluster, {
          service: found.service,
          change: { kind: "weight", server: formatEndpoint(found.address, found.port), weight: command.weight },
        });
        return ephemeral(codeBlock(renderWhatIfText(report)));
      }
      case "audit": {
        const cluster = command.cluster === undefined ? undefined : await resolveCluster(ctx, command.cluster);
        const entries = await readAudit(ctx, request.actor, { cluster, limit: 15 });
        return ephemeral(entries.length ? codeBlock(entries.map(describeAudit).join("\n")) : "No audit entries yet.");
      }
      case "confirm": {
        const pending = await confirmations.take(command.code, request.userId);
        if (pending === "other-user")
          return ephemeral(":no_entry: that confirmation belongs to another user; only they can confirm it");
        if (!pending)
          return ephemeral(
            ":warning: no pending change with that code: it expired (2 minutes), was used, or never existed",
          );
        return await execute(ctx, pending.action, {
          ...request,
          notify: request.notify ?? (pending.responseUrl ? { responseUrl: pending.responseUrl } : undefined),
        });
      }
      case "drain":
      case "undrain":
      case "rolling":
      case "switchover": {
        const { action, danger } = await resolveJobCommand(ctx, command);
        if (!danger) return await execute(ctx, action, request);
        const code = await confirmations.ask({
          userId: request.userId,
          action,
          summary: action.summary,
          responseUrl: request.notify?.responseUrl,
        });
        return confirmationMessage(action.summary, danger, code);
      }
      case "jobs":
        return await jobsReply(
          ctx,
          request.actor,
          command.cluster === undefined ? undefined : await resolveCluster(ctx, command.cluster),
        );
      case "cancel":
        return await cancelReply(ctx, request.actor, command.job);
      case "weight":
      case "start":
      case "stop": {
        const action = await resolve(ctx, command, request.actor);
        const danger = await dangerOf(ctx, action);
        if (!danger) return await execute(ctx, action, request);
        const summary = describeAction(action);
        const code = await confirmations.ask({
          userId: request.userId,
          action,
          summary,
          responseUrl: request.notify?.responseUrl,
        });
        return confirmationMessage(summary, danger, code);
      }
    }
  } catch (error) {
    return errorReply(error, command);
  }
}

async function resolve(ctx: CommandContext, command: ChatCommand, actor: Actor): Promise<ChatAction> {
  if (command.kind === "weight") {
    const target = parseTarget(command.target, "real server");
    const found = await resolveRealServer(ctx, actor, {
      ...target,
      cluster: command.cluster,
      service: command.service,
    });
    return { kind: "weight", target: found, weight: command.weight };
  }
  if (command.kind !== "start" && command.kind !== "stop") throw new Error(`not a change: ${command.kind}`);
  const { cluster, host } = await resolveRoleTarget(ctx, command.args);
  const stored = await ctx.clusters.get(cluster);
  if (
    host &&
    stored &&
    !stored.spec.directors.some((d) => d.host === host) &&
    !stored.spec.services.some((s) => s.realServers.some((r) => r.host === host))
  )
    throw new NotFoundError(`no host ${host} in cluster ${cluster}`);
  return { kind: command.kind, cluster, host };
}

function errorReply(error: unknown, command: ChatCommand): SlackMessage {
  if (error instanceof ChatError || isChatMaintenanceError(error)) return ephemeral(`:warning: ${error.message}`);
  if (error instanceof AmbiguousError)
    return ephemeral(
      `:warning: ${error.message}.${error.candidates.length ? `\nCandidates:\n${error.candidates.map((c) => `• ${c}`).join("\n")}` : ""}\nUsage: \`${USAGE[command.kind]}\``,
    );
  const { status, body } = errorResponse(error);
  if (status === 403) return ephemeral(`:no_entry: ${body.error.message}`);
  // the simulation pool is full (try later), or the question ran out of time (ask a smaller one)
  if (status === 429) return ephemeral(`:hourglass: ${body.error.message}`);
  if (status === 422) return ephemeral(`:warning: ${body.error.message}`);
  if (status === 500) return ephemeral(":x: internal error; see the server log");
  const field = body.error.field ? `${body.error.field}: ` : "";
  return usageReply(`${field}${body.error.message}`, USAGE[command.kind] ?? USAGE.help!);
}
