import { type Actor, authorize, ForbiddenError, GLOBAL, type Role } from "../access/roles.ts";
import type { AuditEntry } from "../audit/log.ts";
import type { CommandContext } from "./context.ts";

export interface MutationOutcome<T> {
  result: T;
  before?: unknown;
  after?: unknown;
  job?: string | undefined;
  outcome?: AuditEntry["outcome"];
  detail?: string | undefined;
}

/** What a command does, for its role check and its audit entry. */
export interface CommandWhat {
  command: string;
  need: Role;
  action: string;
  cluster?: string | undefined;
  target?: string | undefined;
  /** The action reaches the whole fleet (tokens, PKI, agents): only an actor without a cluster list may. */
  global?: boolean | undefined;
}

function auditBase(actor: Actor, what: CommandWhat) {
  return {
    actor: { type: actor.type, name: actor.name, role: actor.role },
    channel: actor.channel,
    command: what.command,
    cluster: what.cluster,
    target: what.target,
  };
}

/** The role and scope check; a refusal is audited as `denied` and thrown (a 403). */
export async function permit(ctx: Pick<CommandContext, "audit">, actor: Actor, what: CommandWhat): Promise<void> {
  try {
    authorize(actor, what.need, what.action, what.global ? GLOBAL : what.cluster);
  } catch (error) {
    if (error instanceof ForbiddenError) await deny(ctx, actor, what, error.message);
    throw error;
  }
}

/** Audits a refusal as `denied` and returns the ForbiddenError (a 403) to throw. */
export async function deny(
  ctx: Pick<CommandContext, "audit">,
  actor: Actor,
  what: CommandWhat,
  reason: string,
): Promise<ForbiddenError> {
  await ctx.audit.append({ ...auditBase(actor, what), outcome: "denied", detail: reason });
  return new ForbiddenError(reason);
}

/**
 * For work done later in an actor's name (a schedule firing, a queued job starting): the actor as it
 * stands now, when it still may do `what`; otherwise the refusal, audited as a denial for that actor
 * (`gone` is the reason given when its authority is gone altogether: token revoked, user unmapped).
 */
export async function permitStill(
  ctx: Pick<CommandContext, "audit" | "authority">,
  recorded: Actor,
  what: CommandWhat,
  gone: string,
): Promise<{ ok: true; actor: Actor } | { ok: false; reason: string }> {
  const actor = await ctx.authority.current(recorded);
  if (!actor) {
    await deny(ctx, { ...recorded, channel: "job" }, what, gone);
    return { ok: false, reason: gone };
  }
  try {
    await permit(ctx, { ...actor, channel: "job" }, what);
    return { ok: true, actor };
  } catch (error) {
    if (error instanceof ForbiddenError) return { ok: false, reason: error.message };
    throw error;
  }
}

/**
 * Runs a mutating command: checks the actor's role (a refusal is audited as `denied` and becomes
 * a 403), runs it, and appends exactly one audit entry for what it did. Input errors (400/404)
 * change nothing and are not audited. With Redis replicas to wait for (ctx.replication), it returns
 * only once every write of the command is on them, and throws NotReplicatedError (a 503) otherwise.
 */
export async function audited<T>(
  ctx: CommandContext,
  actor: Actor,
  what: CommandWhat,
  run: () => Promise<MutationOutcome<T>>,
): Promise<T> {
  await permit(ctx, actor, what);
  const mark = ctx.replication?.mark();
  const done = await run();
  await ctx.audit.append({
    ...auditBase(actor, what),
    before: done.before,
    after: done.after,
    job: done.job,
    outcome: done.outcome ?? (done.job ? "accepted" : "completed"),
    detail: done.detail,
  });
  // Answered only once the change (its spec, its queued job, its audit entry) is on the Redis replicas.
  if (mark) await ctx.replication?.confirm(mark);
  return done.result;
}

/** For reads: the role check without an audit entry. */
export function canRead(actor: Actor, cluster?: string): void {
  authorize(actor, "viewer", "reading", cluster);
}
