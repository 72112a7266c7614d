import { ROLES, type Role, weakerRole } from "./roles.ts";

/**
 * Which chat users may do what, from the server's configuration:
 * LVSFLEET_CHAT_USERS="U0123ABC=admin,U0456DEF=operator" (Slack user ids) and
 * LVSFLEET_CHAT_CHANNELS="C0789GHI=viewer" (a channel caps the role of everyone in it); optionally
 * LVSFLEET_CHAT_TEAM_ID / LVSFLEET_CHAT_ENTERPRISE_ID, which every request must come from.
 * Users are matched on their id only: a display or user name can be changed by its owner.
 * A user who is not listed gets nothing, not even read access.
 */
export interface ChatRoles {
  users: Map<string, Role>;
  channels: Map<string, Role>;
  /** The Slack workspace (team_id) requests must come from, when set. */
  team?: string | undefined;
  /** The Slack Enterprise Grid organisation (enterprise_id) requests must come from, when set. */
  enterprise?: string | undefined;
}

/** Slack ids: users U…/W…, channels C…/G…/D…, teams T…, enterprises E…. */
export const SLACK_ID = {
  user: /^[UW][A-Z0-9]{2,31}$/,
  channel: /^[CGD][A-Z0-9]{2,31}$/,
  team: /^T[A-Z0-9]{2,31}$/,
  enterprise: /^E[A-Z0-9]{2,31}$/,
} as const;

export function parseRoleMap(text: string, what: string, ids: RegExp): Map<string, Role> {
  const map = new Map<string, Role>();
  for (const entry of text
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [name, role] = entry.split("=").map((s) => s.trim());
    if (!name || !role || !(ROLES as readonly string[]).includes(role))
      throw new Error(`${what}: ${JSON.stringify(entry)} is not ID=ROLE with ROLE one of ${ROLES.join(", ")}`);
    if (!ids.test(name))
      throw new Error(
        `${what}: ${JSON.stringify(name)} is not a Slack id (e.g. ${ids === SLACK_ID.user ? "U0123ABCD" : "C0123ABCD"}): lvsfleet matches chat users on their id, never on a name their owner can change`,
      );
    map.set(name, role as Role);
  }
  return map;
}

/** Who sent a chat request: the ids Slack signs into it. */
export interface ChatUser {
  id: string;
  team?: string | undefined;
  enterprise?: string | undefined;
}

/** Why a request's workspace is not the configured one, or undefined when it is (or none is configured). */
export function foreignWorkspace(roles: ChatRoles, user: ChatUser): string | undefined {
  if (roles.team && user.team !== roles.team)
    return `this lvsfleet answers the Slack workspace ${roles.team} only (the request came from ${user.team || "no workspace"})`;
  if (roles.enterprise && user.enterprise !== roles.enterprise)
    return `this lvsfleet answers the Slack organisation ${roles.enterprise} only (the request came from ${user.enterprise || "no organisation"})`;
  return undefined;
}

/** The role of a chat user in a channel, or undefined when the user is not mapped (or from another workspace). */
export function chatRole(roles: ChatRoles, user: ChatUser, channel: string | undefined): Role | undefined {
  if (foreignWorkspace(roles, user)) return undefined;
  const role = roles.users.get(user.id);
  if (!role) return undefined;
  const cap = channel === undefined ? undefined : roles.channels.get(channel);
  return cap ? weakerRole(role, cap) : role;
}
