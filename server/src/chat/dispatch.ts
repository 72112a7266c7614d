import { formatEndpoint } from "@lvsfleet/model";
import type { Actor } from "../commands/actor.ts";
import { readAudit } from "../commands/audit.ts";
import type { CommandContext } from "../commands/context.ts";
import { clusterDoctor } from "../commands/doctor.ts";
import { resolveCluster } from "../commands/resolve.ts";
import { changeRole, requestRoleChange } from "../commands/roles.ts";
import { clusterStatus } from "../commands/status.ts";
import {
  describeRef,
  type RealServerMatch,
  requestWeight,
  resolveWeightTarget,
  setWeight,
} from "../commands/weight.ts";
import { simulateChange } from "../commands/whatif.ts";
import { renderDoctorText } from "../status/doctor-text.ts";
import { describeAudit, renderStatusText } from "../status/render.ts";
import { renderWhatIfText } from "../status/whatif-render.ts";
import type { Confirmations } from "./confirmations.ts";
import { errorReply } from "./errors.ts";
import { cancelReply, executeJob, type JobAction, jobsReply, resolveJobCommand } from "./maintenance.ts";
import { type ChatCommand, HELP_TEXT, USAGE } from "./parse.ts";
import { codeBlock, confirmationMessage, ephemeral, type SlackMessage } from "./replies.ts";

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

function describeAction(action: ChatAction): string {
  if (action.kind === "job") return action.summary;
  return action.kind === "weight"
    ? `weight ${describeRef(action.target)} ${action.target.weight} → ${action.weight}`
    : `${action.kind} ${action.cluster}${action.host ? ` ${action.host}` : " (all hosts)"}`;
}

/** Carries out a resolved action through the command layer. */
export async function execute(ctx: CommandContext, action: ChatAction, request: ChatRequest): Promise<SlackMessage> {
  if (action.kind === "job") return executeJob(ctx, action, request.actor, request.notify);
  if (action.kind === "weight")
    return weightQueued(
      await setWeight(ctx, request.actor, action.target, action.weight, request.notify),
      later(request),
    );
  const { job, hosts } = await changeRole(ctx, request.actor, action.kind, action.cluster, action.host, request.notify);
  return roleQueued(action.kind, action.cluster, job.id, hosts, later(request));
}

const later = (request: ChatRequest) => (request.notify ? " I'll post the result here when it finishes." : "");

const weightQueued = (change: Awaited<ReturnType<typeof setWeight>>, later: string) =>
  ephemeral(
    `Queued job ${change.job.id}: weight ${describeRef(change.target)} ${change.before} → ${change.after}${change.changed ? "" : " (no change)"}.${later}`,
  );

const roleQueued = (kind: string, cluster: string, job: string, hosts: string[], later: string) =>
  ephemeral(`Queued job ${job}: ${kind} ${cluster} on ${hosts.join(", ")}.${later}`);

/** Asks the user to confirm a dangerous action (`confirm <code>` or the button), keeping the action until then. */
async function askToConfirm(
  confirmations: Confirmations<ChatAction>,
  request: ChatRequest,
  action: ChatAction,
  danger: string,
): Promise<SlackMessage> {
  const summary = describeAction(action);
  const code = await confirmations.ask({
    userId: request.userId,
    action,
    summary,
    responseUrl: request.notify?.responseUrl,
  });
  return confirmationMessage(summary, danger, code);
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
        const found = await resolveWeightTarget(ctx, request.actor, {
          server: command.target,
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
        return await askToConfirm(confirmations, request, action, danger);
      }
      case "jobs":
        return await jobsReply(
          ctx,
          request.actor,
          command.cluster === undefined ? undefined : await resolveCluster(ctx, command.cluster),
        );
      case "cancel":
        return await cancelReply(ctx, request.actor, command.job);
      case "weight": {
        const outcome = await requestWeight(
          ctx,
          request.actor,
          { server: command.target, cluster: command.cluster, service: command.service },
          command.weight,
          request.notify,
        );
        if (outcome.kind === "queued") return weightQueued(outcome.change, later(request));
        const action: ChatAction = { kind: "weight", target: outcome.target, weight: outcome.weight };
        return await askToConfirm(confirmations, request, action, outcome.danger);
      }
      case "start":
      case "stop": {
        const outcome = await requestRoleChange(ctx, request.actor, command.kind, command.args, request.notify);
        if (outcome.kind === "queued")
          return roleQueued(command.kind, outcome.cluster, outcome.job.id, outcome.hosts, later(request));
        const action: ChatAction = { kind: command.kind, cluster: outcome.cluster, host: outcome.host };
        return await askToConfirm(confirmations, request, action, outcome.danger);
      }
    }
  } catch (error) {
    return errorReply(error, USAGE[command.kind] ?? USAGE.help);
  }
}
