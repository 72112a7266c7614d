import { ROLES, type Role, weakerRole } from "./roles.ts";

/**
 * Which chat users may do what, from the server's configuration:
 * LVSFLEET_CHAT_USERS="U0123ABC=admin,U0456DEF=operator" (Slack user ids or user names) and
 * LVSFLEET_CHAT_CHANNELS="C0789GHI=viewer" (a channel caps the role of everyone in it).
 * A user who is not listed gets nothing, not even read access.
 */
export interface ChatRoles {
  users: Map<string, Role>;
  channels: Map<string, Role>;
}

export function parseRoleMap(text: string, what: string): Map<string, Role> {
  const map = new Map<string, Role>();
  for (const entry of text
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [name, role] = entry.split("=").map((s) => s.trim());
    if (!name || !role || !(ROLES as readonly string[]).includes(role))
      throw new Error(`${what}: ${JSON.stringify(entry)} is not NAME=ROLE with ROLE one of ${ROLES.join(", ")}`);
    map.set(name, role as Role);
  }
  return map;
}

/** The role of a chat user in a channel, or undefined when the user is not mapped. */
export function chatRole(
  roles: ChatRoles,
  user: { id: string; name: string },
  channel: string | undefined,
): Role | undefined {
  const role = roles.users.get(user.id) ?? roles.users.get(user.name);
  if (!role) return undefined;
  const cap = channel === undefined ? undefined : roles.channels.get(channel);
  return cap ? weakerRole(role, cap) : role;
}
