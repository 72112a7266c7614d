import { createHash, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Role } from "./roles.ts";

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  clusters?: string[] | undefined;
  createdAt: number;
  createdBy: string;
  lastUsedAt?: number | undefined;
  revokedAt?: number | undefined;
}

const hashOf = (token: string) => createHash("sha256").update(token).digest("hex");

/** Tokens look like `lvsf_<43 base64url characters>` (256 random bits). */
export const TOKEN_PATTERN = /^lvsf_[A-Za-z0-9_-]{43}$/;

/**
 * API tokens: random, shown once, stored only as a SHA-256 hash (a 256-bit random token needs no
 * slow hash). Revoked tokens stay listed with their revocation time.
 */
export class TokenStore {
  private readonly lastUseWritten = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: { tokens: string; tokenHashes: string; tokenLastUsed: string },
  ) {}

  async create(input: {
    name: string;
    role: Role;
    clusters?: string[] | undefined;
    createdBy: string;
  }): Promise<{ token: string; record: TokenRecord }> {
    const token = `lvsf_${randomBytes(32).toString("base64url")}`;
    const record: TokenRecord = {
      id: randomBytes(6).toString("hex"),
      name: input.name,
      role: input.role,
      clusters: input.clusters,
      createdAt: Date.now(),
      createdBy: input.createdBy,
    };
    await this.redis
      .multi()
      .hset(this.keys.tokens, record.id, JSON.stringify({ ...record, hash: hashOf(token) }))
      .hset(this.keys.tokenHashes, hashOf(token), record.id)
      .exec();
    return { token, record };
  }

  async list(): Promise<TokenRecord[]> {
    const [all, used] = await Promise.all([
      this.redis.hgetall(this.keys.tokens),
      this.redis.hgetall(this.keys.tokenLastUsed),
    ]);
    return Object.values(all)
      .map((raw) => {
        const { hash: _, ...record } = JSON.parse(raw) as TokenRecord & { hash: string };
        const lastUsedAt = used[record.id] ? Number(used[record.id]) : record.lastUsedAt;
        return lastUsedAt === undefined ? record : { ...record, lastUsedAt };
      })
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async revoke(id: string): Promise<TokenRecord | undefined> {
    const raw = await this.redis.hget(this.keys.tokens, id);
    if (!raw) return undefined;
    const stored = JSON.parse(raw) as TokenRecord & { hash: string };
    if (!stored.revokedAt) {
      stored.revokedAt = Date.now();
      await this.redis
        .multi()
        .hset(this.keys.tokens, id, JSON.stringify(stored))
        .hdel(this.keys.tokenHashes, stored.hash)
        .exec();
    }
    const { hash: _, ...record } = stored;
    return record;
  }

  /** A token's record by its id (revoked ones too), without its hash. */
  async get(id: string): Promise<TokenRecord | undefined> {
    const raw = await this.redis.hget(this.keys.tokens, id);
    if (!raw) return undefined;
    const { hash: _, ...record } = JSON.parse(raw) as TokenRecord & { hash: string };
    return record;
  }

  /** The live (not revoked) token record for a presented token, if any. */
  async verify(token: string): Promise<TokenRecord | undefined> {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const id = await this.redis.hget(this.keys.tokenHashes, hashOf(token));
    if (!id) return undefined;
    const raw = await this.redis.hget(this.keys.tokens, id);
    if (!raw) return undefined;
    const { hash: _, ...record } = JSON.parse(raw) as TokenRecord & { hash: string };
    if (record.revokedAt) return undefined;
    this.noteUse(record);
    return record;
  }

  /**
   * Records the last use at most once a minute per token, in a hash of its own: rewriting the
   * token's record here could race a revocation and write the record back without its revokedAt.
   */
  private noteUse(record: TokenRecord): void {
    const now = Date.now();
    if (now - (this.lastUseWritten.get(record.id) ?? 0) < 60_000) return;
    this.lastUseWritten.set(record.id, now);
    void this.redis.hset(this.keys.tokenLastUsed, record.id, String(now)).catch(() => undefined);
  }
}
