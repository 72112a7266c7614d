/** Roles, weakest first: viewer reads; operator changes weights, drains, runs jobs; admin does everything. */
export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export function weakerRole(a: Role, b: Role): Role {
  return ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b;
}

/** Who is acting, through which front door, with what rights. Serializable (jobs carry it). */
export interface Actor {
  type: "token" | "chat" | "job" | "agent" | "system";
  /** Token name, chat user, job id, agent host. Never a secret. */
  name: string;
  role: Role;
  /** The clusters the actor may touch; absent = all. */
  clusters?: string[] | undefined;
  channel: "rest" | "chat" | "job" | "agent" | "system";
  /**
   * Where the actor's authority comes from, so that work done later in its name (a schedule firing,
   * a job retried) can check that it still holds: the token's id (`bootstrap` for LVSFLEET_API_TOKEN)
   * or the chat user's id. Never a secret.
   */
  source?:
    | { token: string }
    | { chatUser: string; team?: string | undefined; enterprise?: string | undefined }
    | undefined;
}

/** The role is not enough, or the cluster is outside the actor's reach (HTTP 403). */
export class ForbiddenError extends Error {
  override name = "ForbiddenError";
}

/**
 * What an action reaches: one cluster, nothing in particular (reads that filter by the actor's
 * clusters), or the whole fleet (tokens, PKI, agents, the queue dashboard, metrics) — which only an
 * actor without a cluster list may touch.
 */
export type Scope = string | undefined | typeof GLOBAL;
export const GLOBAL = Symbol("global");

/** Throws ForbiddenError unless the actor has at least `need` on `scope`. */
export function authorize(actor: Actor, need: Role, action: string, scope?: Scope): void {
  if (!roleAtLeast(actor.role, need))
    throw new ForbiddenError(`${describeActor(actor)} has role ${actor.role}; ${action} needs ${need}`);
  if (scope === GLOBAL && actor.clusters)
    throw new ForbiddenError(
      `${describeActor(actor)} is limited to clusters ${actor.clusters.join(", ") || "(none)"}; ${action} reaches the whole fleet and needs a token without a cluster list`,
    );
  if (typeof scope === "string" && actor.clusters && !actor.clusters.includes(scope))
    throw new ForbiddenError(
      `${describeActor(actor)} may not act on cluster ${scope} (allowed: ${actor.clusters.join(", ") || "none"})`,
    );
}

/** True when the actor may act on every one of `clusters` (and on all clusters when it has no list). */
export function reaches(actor: Pick<Actor, "clusters">, clusters: readonly string[]): boolean {
  return !actor.clusters || clusters.every((c) => actor.clusters?.includes(c));
}

export function describeActor(actor: Pick<Actor, "type" | "name">): string {
  return `${actor.type === "chat" ? "chat user" : actor.type} ${actor.name}`;
}

/** The server acting on its own (re-sync, schedules). */
export const SYSTEM: Actor = { type: "system", name: "lvsfleet", role: "admin", channel: "system" };
