import type { AgentEvent } from "@lvsfleet/model";
import type { Redis } from "ioredis";
import type { Keys } from "./keys.ts";

/** A transition worth keeping: agent events (not heartbeats) and the server's own (agent lost/back). */
export type StoredEvent =
  | Exclude<AgentEvent, { type: "heartbeat" }>
  | { type: "agent"; time: number; host: string; from: string; to: string; detail: string };

/**
 * A guard on the writes only the supervisor makes (agents/supervisor-lease.ts): each write is done
 * in Redis only while the writer still holds the lease with its fencing token, in the same script as
 * the check. An append gives the entry's id, a hash write true, or undefined/false when refused.
 */
export interface WriteFence {
  fencedXadd(stream: string, maxLength: number, field: string, value: string): Promise<string | undefined>;
  fencedHset(hash: string, field: string, value: string): Promise<boolean>;
  fencedHdel(hash: string, field: string): Promise<boolean>;
}

/** History of transitions, in a capped Redis Stream; newest last. */
export class EventLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly maxLength = 10_000,
  ) {}

  async append(event: StoredEvent): Promise<void> {
    await this.redis.xadd(this.keys.events, "MAXLEN", "~", String(this.maxLength), "*", "event", JSON.stringify(event));
  }

  /** The same log, appended to only while `fence` holds: a replica that lost the supervisor lease writes nothing. */
  fencedBy(fence: WriteFence): Pick<EventLog, "append"> {
    return {
      append: async (event) => {
        await fence.fencedXadd(this.keys.events, this.maxLength, "event", JSON.stringify(event));
      },
    };
  }

  async recent(count = 100, host?: string): Promise<StoredEvent[]> {
    const entries = await this.redis.xrevrange(this.keys.events, "+", "-", "COUNT", String(host ? count * 10 : count));
    const events = entries
      .map(([, fields]) => JSON.parse(fields[1] ?? "{}") as StoredEvent)
      .filter((e) => !host || e.host === host);
    return events.slice(0, count).reverse();
  }
}
