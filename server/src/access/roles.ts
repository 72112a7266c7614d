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
}

/** The role is not enough, or the cluster is outside the actor's reach (HTTP 403). */
export class ForbiddenError extends Error {
  override name = "ForbiddenError";
}

/** Throws ForbiddenError unless the actor has at least `need` on `cluster`. */
export function authorize(actor: Actor, need: Role, action: string, cluster?: string): void {
  if (!roleAtLeast(actor.role, need))
    throw new ForbiddenError(`${describeActor(actor)} has role ${actor.role}; ${action} needs ${need}`);
  if (cluster !== undefined && actor.clusters && !actor.clusters.includes(cluster))
    throw new ForbiddenError(
      `${describeActor(actor)} may not act on cluster ${cluster} (allowed: ${actor.clusters.join(", ") || "none"})`,
    );
}

export function describeActor(actor: Pick<Actor, "type" | "name">): string {
  return `${actor.type === "chat" ? "chat user" : actor.type} ${actor.name}`;
}

/** The server acting on its own (re-sync, schedules). */
export const SYSTEM: Actor = { type: "system", name: "lvsfleet", role: "admin", channel: "system" };
