import { type Context, Hono } from "hono";
import type { Actor } from "../commands/actor.ts";
import type { CommandContext } from "../commands/context.ts";
import { type ChatRoles, type ChatUser, chatActor } from "../commands/identity.ts";
import type { CallerLimiter } from "../rate-limit/caller-limiter.ts";
import type { Confirmations } from "./confirmations.ts";
import { type ChatAction, type ChatRequest, dispatch } from "./dispatch.ts";
import { errorReply } from "./errors.ts";
import { parseChatCommand } from "./parse.ts";
import { ephemeral, type SlackMessage, usageReply } from "./replies.ts";
import { verifySlackSignature } from "./signature.ts";

export interface SlackSettings {
  signingSecret: string | undefined;
  /** Slack's response_url of a request: whether it may be posted to (its host allow-listed), and the post (notify/). */
  responseUrls: { allowed(url: string): boolean; post(url: string, message: SlackMessage): Promise<unknown> };
  roles: ChatRoles;
  /** Per chat user. */
  limiter: CallerLimiter;
  confirmations: Confirmations<ChatAction>;
  /** True the first time a signature is seen (within 10 minutes); a replay answers false. */
  firstSeen(signature: string): Promise<boolean>;
}

/** Checks signature, freshness and replay; a Response when the request must be refused. */
async function refuse(c: Context, settings: SlackSettings, raw: string): Promise<Response | undefined> {
  if (!settings.signingSecret)
    return c.json({ error: { message: "chat is not configured: set SLACK_SIGNING_SECRET" } }, 503);
  const signature = c.req.header("x-slack-signature");
  const check = verifySlackSignature(
    settings.signingSecret,
    { signature, timestamp: c.req.header("x-slack-request-timestamp") },
    raw,
  );
  if (!check.ok) return c.json({ error: { message: `bad Slack request: ${check.reason}` } }, 401);
  if (!(await settings.firstSeen(signature ?? "")))
    return c.json({ error: { message: "bad Slack request: replayed (this signature was already used)" } }, 401);
  return undefined;
}

/** The chat user as an actor, or a reply saying why they may not use lvsfleet. Matched on the user id only. */
async function actorFor(
  settings: SlackSettings,
  user: ChatUser & { name: string },
  channel: string | undefined,
): Promise<{ actor: Actor } | { reply: SlackMessage }> {
  let actor: Actor;
  try {
    actor = chatActor(settings.roles, user, channel);
  } catch (error) {
    return { reply: errorReply(error) };
  }
  const wait = await settings.limiter.check(`chat:${user.id}`);
  if (wait !== undefined) return { reply: ephemeral(`:hourglass: too many commands; try again in ${wait} s`) };
  return { actor };
}

/**
 * POST /v1/chat/slack/commands (slash commands) and /v1/chat/slack/interactions (buttons).
 * Requests must carry a valid, fresh, never-seen v0 signature; the user must be mapped to a role.
 * Replies are ephemeral and come well within Slack's 3 s; jobs report to the response_url.
 */
export function slackRoutes(ctx: CommandContext, settings: SlackSettings): Hono {
  const app = new Hono();
  const notifyFor = (url: string | null | undefined) =>
    url && settings.responseUrls.allowed(url) ? { responseUrl: url } : undefined;

  app.post("/slack/commands", async (c) => {
    const raw = await c.req.text();
    const refused = await refuse(c, settings, raw);
    if (refused) return refused;
    const form = new URLSearchParams(raw);
    const parsed = parseChatCommand(form.get("text") ?? "");
    if (!parsed.ok) return c.json(usageReply(parsed.error, parsed.usage));
    const user = {
      id: form.get("user_id") ?? "",
      name: form.get("user_name") ?? "",
      team: form.get("team_id") ?? undefined,
      enterprise: form.get("enterprise_id") ?? undefined,
    };
    const who = await actorFor(settings, user, form.get("channel_id") ?? undefined);
    if ("reply" in who) return c.json(who.reply);
    const request: ChatRequest = { actor: who.actor, userId: user.id, notify: notifyFor(form.get("response_url")) };
    return c.json(await dispatch(ctx, settings.confirmations, parsed.command, request));
  });

  app.post("/slack/interactions", async (c) => {
    const raw = await c.req.text();
    const refused = await refuse(c, settings, raw);
    if (refused) return refused;
    let payload: {
      type?: string;
      user?: { id?: string; username?: string; name?: string; team_id?: string };
      team?: { id?: string } | null;
      enterprise?: { id?: string } | null;
      channel?: { id?: string };
      actions?: { action_id?: string; value?: string }[];
      response_url?: string;
    };
    try {
      payload = JSON.parse(new URLSearchParams(raw).get("payload") ?? "");
    } catch {
      return c.json({ error: { field: "payload", message: "must be the JSON payload Slack sends" } }, 400);
    }
    const action = payload.actions?.[0];
    if (payload.type !== "block_actions" || !action?.value || !payload.user?.id)
      return c.json({ error: { field: "payload", message: "expected a block_actions payload with a button" } }, 400);
    const user = {
      id: payload.user.id,
      name: payload.user.username ?? payload.user.name ?? "",
      // the user's own workspace (in a shared channel, payload.team can be the host workspace)
      team: payload.user.team_id ?? payload.team?.id,
      enterprise: payload.enterprise?.id ?? undefined,
    };
    const who = await actorFor(settings, user, payload.channel?.id);
    const reply = async (): Promise<SlackMessage> => {
      if ("reply" in who) return who.reply;
      if (action.action_id === "lvsfleet_cancel") {
        const pending = await settings.confirmations.take(action.value ?? "", user.id);
        return ephemeral(pending && pending !== "other-user" ? `Cancelled: ${pending.summary}.` : "Nothing to cancel.");
      }
      if (action.action_id !== "lvsfleet_confirm") return ephemeral(`:warning: unknown button ${action.action_id}`);
      const command = { kind: "confirm" as const, code: action.value ?? "" };
      return dispatch(ctx, settings.confirmations, command, {
        actor: who.actor,
        userId: user.id,
        notify: notifyFor(payload.response_url),
      });
    };
    const message = { ...(await reply()), replace_original: true };
    if (payload.response_url) void settings.responseUrls.post(payload.response_url, message);
    return c.json(message);
  });
  return app;
}
