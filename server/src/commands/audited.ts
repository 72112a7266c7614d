import { type Actor, authorize, ForbiddenError, type Role } from "../access/roles.ts";
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

/**
 * Runs a mutating command: checks the actor's role (a refusal is audited as `denied` and becomes
 * a 403), runs it, and appends exactly one audit entry for what it did. Input errors (400/404)
 * change nothing and are not audited.
 */
export async function audited<T>(
  ctx: CommandContext,
  actor: Actor,
  what: { command: string; need: Role; action: string; cluster?: string | undefined; target?: string | undefined },
  run: () => Promise<MutationOutcome<T>>,
): Promise<T> {
  const base = {
    actor: { type: actor.type, name: actor.name, role: actor.role },
    channel: actor.channel,
    command: what.command,
    cluster: what.cluster,
    target: what.target,
  };
  try {
    authorize(actor, what.need, what.action, what.cluster);
  } catch (error) {
    if (error instanceof ForbiddenError) await ctx.audit.append({ ...base, outcome: "denied", detail: error.message });
    throw error;
  }
  const done = await run();
  await ctx.audit.append({
    ...base,
    before: done.before,
    after: done.after,
    job: done.job,
    outcome: done.outcome ?? (done.job ? "accepted" : "completed"),
    detail: done.detail,
  });
  return done.result;
}

/** For reads: the role check without an audit entry. */
export function canRead(actor: Actor, cluster?: string): void {
  authorize(actor, "viewer", "reading", cluster);
}
