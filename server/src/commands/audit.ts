import { ValidationError } from "@lvsfleet/model";
import type { Actor } from "../access/roles.ts";
import type { AuditEntry } from "../audit/log.ts";

/** An audit entry as readAudit returns it (the log's own type, part of this layer's API). */
export type { AuditEntry };

import { canRead } from "./audited.ts";
import type { CommandContext } from "./context.ts";

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `2026-11-26T10:00:00Z`, epoch milliseconds, or a duration back from now (`90s`, `15m`, `2h`, `7d`). */
export function parseSince(text: string | undefined, now = Date.now()): number | undefined {
  if (text === undefined || text === "") return undefined;
  const duration = /^(\d{1,6})([smhd])$/.exec(text);
  if (duration) return now - Number(duration[1]) * (UNITS[duration[2] ?? "s"] ?? 1_000);
  if (/^\d{1,15}$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed) || !/^\d{4}-\d{2}-\d{2}/.test(text))
    throw new ValidationError([
      {
        field: "since",
        message: `${JSON.stringify(text)} is not a time (ISO 8601, epoch ms, or a duration like 15m, 2h, 7d)`,
      },
    ]);
  return parsed;
}

/** The audit trail, newest last, limited to the clusters the actor may see. */
export async function readAudit(
  ctx: CommandContext,
  actor: Actor,
  query: {
    cluster?: string | undefined;
    since?: string | undefined;
    actor?: string | undefined;
    limit?: number | undefined;
  },
): Promise<AuditEntry[]> {
  canRead(actor, query.cluster);
  const entries = await ctx.audit.query({
    cluster: query.cluster,
    actor: query.actor,
    since: parseSince(query.since),
    limit: query.limit,
  });
  return actor.clusters
    ? entries.filter((e) => e.cluster !== undefined && actor.clusters?.includes(e.cluster))
    : entries;
}
