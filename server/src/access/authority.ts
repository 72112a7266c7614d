import { createHash } from "node:crypto";
import { type ChatRoles, chatRole } from "./chat-roles.ts";
import { type Actor, weakerRole } from "./roles.ts";
import type { TokenStore } from "./tokens.ts";

/**
 * The bootstrap admin (LVSFLEET_API_TOKEN) as an actor's source: `bootstrap:` and a fingerprint of the
 * token (64 bits of its SHA-256, not the token), so that work queued with it stops once the operator
 * rotates the token.
 */
export function bootstrapSource(token: string): string {
  return `bootstrap:${createHash("sha256").update(`lvsfleet-bootstrap:${token}`).digest("hex").slice(0, 16)}`;
}

/** Actors recorded before they carried a source: the bootstrap admin's name then. */
const LEGACY_BOOTSTRAP_NAME = "bootstrap-admin";

/**
 * Whether an actor's authority still holds, for work done later in its name: a schedule that fires,
 * an event stream that stays open. The answer is the actor as it stands now — its token's current
 * role and clusters, its chat user's current role — never more than it had, or undefined when the
 * authority is gone (token revoked or deleted, chat user no longer mapped).
 */
export class ActorAuthority {
  constructor(
    private readonly tokens: TokenStore,
    private readonly chat: ChatRoles,
    /** bootstrapSource(LVSFLEET_API_TOKEN) of this server. */
    private readonly bootstrap: string,
  ) {}

  async current(actor: Actor): Promise<Actor | undefined> {
    const source = actor.source;
    if (actor.type === "system") return actor;
    if (source && "token" in source) {
      if (source.token.startsWith("bootstrap:")) return source.token === this.bootstrap ? actor : undefined;
      const record = await this.tokens.get(source.token);
      if (!record || record.revokedAt) return undefined;
      return narrowed(actor, record.role, record.clusters);
    }
    if (source && "chatUser" in source) {
      const role = chatRole(
        this.chat,
        { id: source.chatUser, team: source.team, enterprise: source.enterprise },
        undefined,
      );
      return role ? narrowed(actor, role, actor.clusters) : undefined;
    }
    // Recorded before actors carried their source: a token of that name and role that is still live.
    if (actor.type === "token" && actor.name === LEGACY_BOOTSTRAP_NAME && actor.role === "admin") return actor;
    if (actor.type === "token") {
      const live = (await this.tokens.list()).filter(
        (t) => !t.revokedAt && t.name === actor.name && t.role === actor.role,
      );
      return live.length === 1 && live[0] ? narrowed(actor, live[0].role, live[0].clusters) : undefined;
    }
    return undefined;
  }
}

/** The actor with a role no higher than before and the clusters the source has now. */
function narrowed(actor: Actor, role: Actor["role"], clusters: string[] | undefined): Actor {
  const kept =
    clusters && actor.clusters ? clusters.filter((c) => actor.clusters?.includes(c)) : (clusters ?? actor.clusters);
  return { ...actor, role: weakerRole(actor.role, role), clusters: kept };
}
