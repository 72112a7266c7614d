import { randomInt } from "node:crypto";
import type { Redis } from "ioredis";

/** How long a confirmation code stays valid by default (2 minutes). */
export const CONFIRMATION_TTL_SECONDS = 120;

export interface Pending<A> {
  userId: string;
  action: A;
  summary: string;
  responseUrl?: string | undefined;
  createdAt: number;
}

/** Deletes the code only if it belongs to the user: another user's confirm leaves it in place. */
const TAKE_IF_OWNER = `
local raw = redis.call('GET', KEYS[1])
if not raw then return nil end
if cjson.decode(raw).userId ~= ARGV[1] then return 'other' end
redis.call('DEL', KEYS[1])
return raw
`;

/**
 * Dangerous chat commands wait here for a confirmation by the same user within two minutes
 * (Redis expiry); a code can be used once.
 */
export class Confirmations<A> {
  constructor(
    private readonly redis: Redis,
    private readonly keyOf: (code: string) => string,
    private readonly ttlSeconds = CONFIRMATION_TTL_SECONDS,
  ) {}

  async ask(pending: Omit<Pending<A>, "createdAt">): Promise<string> {
    for (;;) {
      const code = String(randomInt(100_000, 1_000_000));
      const stored = await this.redis.set(
        this.keyOf(code),
        JSON.stringify({ ...pending, createdAt: Date.now() }),
        "EX",
        this.ttlSeconds,
        "NX",
      );
      if (stored) return code;
    }
  }

  /** The pending action for this user, consumed; `other-user` when it is someone else's; undefined when unknown or expired. */
  async take(code: string, userId: string): Promise<Pending<A> | "other-user" | undefined> {
    if (!/^\d{6}$/.test(code)) return undefined;
    const raw = (await this.redis.eval(TAKE_IF_OWNER, 1, this.keyOf(code), userId)) as string | null;
    if (raw === null) return undefined;
    if (raw === "other") return "other-user";
    return JSON.parse(raw) as Pending<A>;
  }
}
