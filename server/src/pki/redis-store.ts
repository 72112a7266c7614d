import type {
  IssuedCertificateRecord,
  JoinTokenRecord,
  PkiStore,
  RevocationSnapshot,
  RevokedHost,
  RevokedSerial,
} from "@lvsfleet/pki";
import type { Redis } from "ioredis";

/** Marks a token used only if it is not used yet, and returns the record as it was before. */
const REDEEM = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return nil end
local record = cjson.decode(raw)
if record.usedAt == nil then
  record.usedAt = tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(record))
end
return raw
`;

/**
 * The PKI's records in Redis: join tokens by the hash of the token (never the token), the
 * certificates issued per host, revoked hosts and serials. Redemption is one Lua script, so a
 * join token can be used once even with several servers.
 */
export class RedisPkiStore implements PkiStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(name: string): string {
    return `${this.prefix}:pki:${name}`;
  }

  async saveToken(record: JoinTokenRecord): Promise<void> {
    await this.redis.hset(this.key("tokens"), record.tokenHash, JSON.stringify(record));
  }

  async redeemToken(tokenHash: string, at: number): Promise<JoinTokenRecord | undefined> {
    const raw = (await this.redis.eval(REDEEM, 1, this.key("tokens"), tokenHash, String(at))) as string | null;
    return raw ? (JSON.parse(raw) as JoinTokenRecord) : undefined;
  }

  async listTokens(): Promise<JoinTokenRecord[]> {
    const now = Date.now();
    const all = Object.entries(await this.redis.hgetall(this.key("tokens"))).map(
      ([hash, raw]) => [hash, JSON.parse(raw) as JoinTokenRecord] as const,
    );
    const expired = all.filter(([, r]) => r.expiresAt < now).map(([hash]) => hash);
    if (expired.length) await this.redis.hdel(this.key("tokens"), ...expired);
    return all.filter(([, r]) => r.expiresAt >= now).map(([, r]) => r);
  }

  async deleteToken(id: string): Promise<boolean> {
    for (const record of await this.listTokens())
      if (record.id === id) return (await this.redis.hdel(this.key("tokens"), record.tokenHash)) > 0;
    return false;
  }

  async recordIssued(record: IssuedCertificateRecord): Promise<void> {
    await this.redis.zadd(this.key(`issued:${record.host}`), String(record.notAfter), JSON.stringify(record));
  }

  async issuedFor(host: string): Promise<IssuedCertificateRecord[]> {
    const key = this.key(`issued:${host}`);
    await this.redis.zremrangebyscore(key, "-inf", `(${Date.now()}`);
    return (await this.redis.zrange(key, "0", "-1")).map((raw) => JSON.parse(raw) as IssuedCertificateRecord);
  }

  async revokeHost(entry: RevokedHost, serials: RevokedSerial[]): Promise<void> {
    const multi = this.redis.multi().hset(this.key("revoked-hosts"), entry.host, JSON.stringify(entry));
    for (const serial of serials) multi.hset(this.key("revoked-serials"), serial.serial, JSON.stringify(serial));
    await multi.exec();
  }

  async reinstateHost(host: string): Promise<boolean> {
    return (await this.redis.hdel(this.key("revoked-hosts"), host)) > 0;
  }

  async revocations(): Promise<RevocationSnapshot> {
    const now = Date.now();
    const [hosts, serials] = await Promise.all([
      this.redis.hgetall(this.key("revoked-hosts")),
      this.redis.hgetall(this.key("revoked-serials")),
    ]);
    const live = Object.values(serials)
      .map((raw) => JSON.parse(raw) as RevokedSerial)
      .filter((s) => s.notAfter >= now);
    return { hosts: Object.values(hosts).map((raw) => JSON.parse(raw) as RevokedHost), serials: live };
  }
}
