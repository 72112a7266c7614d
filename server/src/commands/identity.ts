import { createHash, timingSafeEqual } from "node:crypto";
import { bootstrapSource } from "../access/authority.ts";
import { type ChatRoles, type ChatUser, chatRole, foreignWorkspace } from "../access/chat-roles.ts";
import type { Actor } from "../access/roles.ts";
import type { CommandContext } from "./context.ts";
import { CommandError } from "./errors.ts";

export type { ChatRoles, ChatUser };

const digest = (s: string) => createHash("sha256").update(s).digest();

/** True when the two secrets are equal, in time that does not depend on where they differ. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The actor a REST bearer token stands for: the bootstrap token (LVSFLEET_API_TOKEN, an admin) or a
 * token from the token store with its role and clusters; undefined for any other. The token itself
 * is never logged or echoed.
 */
export async function tokenActor(
  ctx: Pick<CommandContext, "tokens">,
  token: string,
  bootstrapToken: string,
): Promise<Actor | undefined> {
  if (sameSecret(token, bootstrapToken))
    return {
      type: "token",
      name: "bootstrap-admin",
      role: "admin",
      channel: "rest",
      source: { token: bootstrapSource(bootstrapToken) },
    };
  const record = await ctx.tokens.verify(token);
  if (!record) return undefined;
  return {
    type: "token",
    name: record.name,
    role: record.role,
    clusters: record.clusters,
    channel: "rest",
    source: { token: record.id },
  };
}

/**
 * The chat user (matched on the id Slack signs, never on a name) as an actor, or a `forbidden`
 * CommandError saying why they may not use lvsfleet: another workspace, or no role mapped.
 */
export function chatActor(roles: ChatRoles, user: ChatUser & { name: string }, channel: string | undefined): Actor {
  const foreign = foreignWorkspace(roles, user);
  if (foreign) throw new CommandError("forbidden", `${foreign}.`);
  const role = chatRole(roles, user, channel);
  if (!role)
    throw new CommandError(
      "forbidden",
      `${user.name || user.id} is not allowed to use lvsfleet: an admin must map your Slack user id (${user.id}) to a role (LVSFLEET_CHAT_USERS).`,
    );
  return {
    type: "chat",
    name: `${user.name || "unknown"} (${user.id})`,
    role,
    channel: "chat",
    source: { chatUser: user.id, team: user.team, enterprise: user.enterprise },
  };
}
