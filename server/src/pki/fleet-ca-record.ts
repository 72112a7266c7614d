import { PkiError } from "@lvsfleet/pki";
import type { Redis } from "ioredis";
import { StoredFleetCa } from "./ca-sealing.ts";

/** Replaces the record only if it is still the one read (compare-and-set on the whole value). */
const REPLACE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** A record as read, with its exact text for compare-and-set. */
export interface FleetCaEntry {
  value: StoredFleetCa;
  raw: string;
}

/**
 * The one record `<prefix>:pki:ca` that makes every server of a fleet use the same CA. The first
 * server writes it with SET NX, so two servers starting at once end with one CA; it is never
 * overwritten except to add the sealed key to a certificate-only record (compare-and-set).
 */
export class FleetCaRecord {
  readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:pki:ca`;
  }

  async read(): Promise<FleetCaEntry | undefined> {
    const raw = await this.redis.get(this.key);
    if (raw === null) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    const result = StoredFleetCa.safeParse(parsed);
    if (!result.success)
      throw new PkiError(
        "ca-files",
        "fleet CA",
        `${this.key} in Redis is not a CA record lvsfleet wrote (${result.error.issues[0]?.path.join(".") || "JSON"}: ${result.error.issues[0]?.message ?? "unreadable"}); restore it from a backup or delete it to let the next server start a new CA (every agent must then enroll again)`,
      );
    return { value: result.data, raw };
  }

  /** True when this call wrote the record; false when another server's was there first. */
  async createIfAbsent(value: StoredFleetCa): Promise<boolean> {
    return (await this.redis.set(this.key, JSON.stringify(value), "NX")) === "OK";
  }

  /** True when `previous` was still the record and is now `value`. */
  async replace(previous: FleetCaEntry, value: StoredFleetCa): Promise<boolean> {
    return (await this.redis.eval(REPLACE, 1, this.key, previous.raw, JSON.stringify(value))) === 1;
  }
}
