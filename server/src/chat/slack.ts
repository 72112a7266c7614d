import { Hono } from "hono";
import type { CommandContext } from "../commands/context.ts";
import { AmbiguousError } from "../commands/errors.ts";
import { changeRole } from "../commands/roles.ts";
import { clusterStatus } from "../commands/status.ts";
import { describeRef, parseTarget, resolveRealServer, setWeight } from "../commands/weight.ts";
import { errorResponse } from "../http/errors.ts";
import type { Actor } from "../queue/jobs.ts";
import { renderStatusText } from "../status/render.ts";
import { responseUrlAllowed } from "./notify.ts";
import { type ChatCommand, HELP_TEXT, parseChatCommand, USAGE } from "./parse.ts";
import { codeBlock, ephemeral, type SlackMessage, usageReply } from "./replies.ts";
import { verifySlackSignature } from "./signature.ts";

export interface SlackSettings {
  signingSecret: string | undefined;
  responseHosts: readonly string[];
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

async function run(
  ctx: CommandContext,
  command: ChatCommand,
  actor: Actor,
  notify: { responseUrl: string } | undefined,
): Promise<SlackMessage> {
  const later = notify ? " I'll post the result here when it finishes." : "";
  switch (command.kind) {
    case "help":
      return ephemeral(HELP_TEXT);
    case "status": {
      const status = await clusterStatus(ctx, await resolveCluster(ctx, command.cluster));
      return ephemeral(codeBlock(renderStatusText(status)));
    }
    case "weight": {
      const target = parseTarget(command.target, "real server");
      const found = await resolveRealServer(ctx, { ...target, cluster: command.cluster, service: command.service });
      const change = await setWeight(ctx, actor, found, command.weight, notify);
      return ephemeral(
        `Queued job ${change.job.id}: weight ${describeRef(change.target)} ${change.before} → ${change.after}${change.changed ? "" : " (no change)"}.${later}`,
      );
    }
    case "start":
    case "stop": {
      const { cluster, host } = await resolveRoleTarget(ctx, command.args);
      const { job, hosts } = await changeRole(ctx, actor, command.kind, cluster, host, notify);
      return ephemeral(`Queued job ${job.id}: ${command.kind} ${cluster} on ${hosts.join(", ")}.${later}`);
    }
  }
}

function errorReply(error: unknown, command: ChatCommand): SlackMessage {
  if (error instanceof ChatError) return ephemeral(`:warning: ${error.message}`);
  if (error instanceof AmbiguousError)
    return ephemeral(
      `:warning: ${error.message}.${error.candidates.length ? `\nCandidates:\n${error.candidates.map((c) => `• ${c}`).join("\n")}` : ""}\nUsage: \`${USAGE[command.kind]}\``,
    );
  const { status, body } = errorResponse(error);
  if (status === 500) return ephemeral(":x: internal error; see the server log");
  const field = body.error.field ? `${body.error.field}: ` : "";
  return usageReply(`${field}${body.error.message}`, USAGE[command.kind] ?? USAGE.help!);
}

/**
 * POST /v1/chat/slack/commands: a Slack slash command (form body). The request must carry a
 * valid v0 signature; the reply is ephemeral and comes well within Slack's 3 s; jobs report
 * their outcome to the request's response_url when they end.
 */
export function slackRoutes(ctx: CommandContext, settings: SlackSettings): Hono {
  const app = new Hono();
  app.post("/slack/commands", async (c) => {
    if (!settings.signingSecret)
      return c.json({ error: { message: "chat is not configured: set SLACK_SIGNING_SECRET" } }, 503);
    const raw = await c.req.text();
    const check = verifySlackSignature(
      settings.signingSecret,
      { signature: c.req.header("x-slack-signature"), timestamp: c.req.header("x-slack-request-timestamp") },
      raw,
    );
    if (!check.ok) return c.json({ error: { message: `bad Slack request: ${check.reason}` } }, 401);
    const form = new URLSearchParams(raw);
    const parsed = parseChatCommand(form.get("text") ?? "");
    if (!parsed.ok) return c.json(usageReply(parsed.error, parsed.usage));
    const user = form.get("user_name") || form.get("user_id") || "unknown";
    const actor: Actor = { type: "chat", name: `${user}${form.get("user_id") ? ` (${form.get("user_id")})` : ""}` };
    const responseUrl = form.get("response_url") ?? "";
    const notify = responseUrl && responseUrlAllowed(responseUrl, settings.responseHosts) ? { responseUrl } : undefined;
    try {
      return c.json(await run(ctx, parsed.command, actor, notify));
    } catch (error) {
      if (!(error instanceof ChatError || error instanceof AmbiguousError))
        ctx.log.warn({ err: (error as Error).message }, "chat command failed");
      return c.json(errorReply(error, parsed.command));
    }
  });
  return app;
}
