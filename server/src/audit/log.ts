import type { Redis } from "ioredis";
import type { Actor } from "../access/roles.ts";
import type { WriteFence } from "../store/events.ts";

/** One audited action: who, through what, did what to what, with which result. */
export interface AuditEntry {
  id?: string;
  time: number;
  actor: { type: Actor["type"]; name: string; role?: Actor["role"] };
  channel: Actor["channel"];
  command: string;
  cluster?: string | undefined;
  target?: string | undefined;
  before?: unknown;
  after?: unknown;
  /** accepted (queued as a job), completed, failed, denied. */
  outcome: "accepted" | "completed" | "failed" | "denied";
  detail?: string | undefined;
  job?: string | undefined;
}

export interface AuditQuery {
  cluster?: string | undefined;
  actor?: string | undefined;
  /** Milliseconds since the epoch. */
  since?: number | undefined;
  limit?: number | undefined;
}

/**
 * The audit trail: an append-only Redis Stream, one entry per mutation (and per refused attempt).
 * Entries never contain secrets: actors are named by token name or chat user, never by token.
 */
export class AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly maxLength = 1_000_000,
  ) {}

  async append(entry: Omit<AuditEntry, "time" | "id"> & { time?: number }): Promise<string> {
    const full = { ...entry, time: entry.time ?? Date.now() };
    return (
      (await this.redis.xadd(this.key, "MAXLEN", "~", String(this.maxLength), "*", "entry", JSON.stringify(full))) ?? ""
    );
  }

  /** The same trail, appended to only while `fence` holds (the supervisor's own entries: agents' health decisions). */
  fencedBy(fence: WriteFence): Pick<AuditLog, "append"> {
    return {
      append: async (entry) => {
        const full = { ...entry, time: entry.time ?? Date.now() };
        return (await fence.fencedXadd(this.key, this.maxLength, "entry", JSON.stringify(full))) ?? "";
      },
    };
  }

  /** Newest last; filters by cluster, actor name (substring) and time. */
  async query(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const limit = Math.min(1_000, query.limit ?? 100);
    const start = query.since !== undefined ? String(Math.max(0, Math.floor(query.since))) : "-";
    const out: AuditEntry[] = [];
    let end = "+";
    // Page backwards through the stream until enough entries match.
    for (let pages = 0; pages < 50 && out.length < limit; pages++) {
      const batch = await this.redis.xrevrange(this.key, end, start, "COUNT", "500");
      if (batch.length === 0) break;
      for (const [id, fields] of batch) {
        const entry = { ...(JSON.parse(fields[1] ?? "{}") as AuditEntry), id };
        if (query.cluster && entry.cluster !== query.cluster) continue;
        if (query.actor && !entry.actor.name.includes(query.actor)) continue;
        out.push(entry);
        if (out.length >= limit) break;
      }
      const last = batch.at(-1)?.[0];
      if (!last || batch.length < 500) break;
      end = `(${last}`;
    }
    return out.reverse();
  }
}
