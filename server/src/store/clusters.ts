import { ClusterSpec } from "@lvsfleet/model";
import type { Redis } from "ioredis";
import type { Keys } from "./keys.ts";

/** A cluster's desired state: the spec and its generation (bumped by every change). */
export interface StoredCluster {
  spec: ClusterSpec;
  generation: number;
  updatedAt: number;
}

/** Compare-and-set: write the spec only if the generation is still the one read. */
const CAS = `
local current = redis.call('HGET', KEYS[1], 'generation')
if (current or '0') ~= ARGV[1] then return -1 end
local next = tonumber(ARGV[1]) + 1
redis.call('HSET', KEYS[1], 'spec', ARGV[2], 'generation', next, 'updatedAt', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return next
`;

export class ConcurrentUpdateError extends Error {
  override name = "ConcurrentUpdateError";
}

/**
 * Desired state in Redis. Writes are compare-and-set on the generation, so two servers
 * can never interleave a read-modify-write; within one server, changes to one cluster are
 * serialised by the command layer.
 */
/** Reading and compare-and-set writing of specs (what ClusterWriter needs). */
export interface SpecStore {
  get(name: string): Promise<StoredCluster | undefined>;
  put(spec: ClusterSpec, expected: number): Promise<number>;
}

export class ClusterStore implements SpecStore {
  /** Parsed specs by their stored text: a spec is validated once, not on every read. */
  private readonly parsed = new Map<string, { raw: string; spec: ClusterSpec }>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async names(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.clusters)).sort();
  }

  async get(name: string): Promise<StoredCluster | undefined> {
    const hash = await this.redis.hgetall(this.keys.cluster(name));
    if (!hash.spec) return undefined;
    let cached = this.parsed.get(name);
    if (cached?.raw !== hash.spec) {
      cached = { raw: hash.spec, spec: ClusterSpec.parse(JSON.parse(hash.spec)) };
      this.parsed.set(name, cached);
    }
    return {
      // Shared with other readers: treat as read-only (changes go through ClusterWriter on a copy).
      spec: cached.spec,
      generation: Number(hash.generation),
      updatedAt: Number(hash.updatedAt),
    };
  }

  /** Writes a spec if the stored generation is still `expected` (0 = new); returns the new generation. */
  async put(spec: ClusterSpec, expected: number): Promise<number> {
    const result = (await this.redis.eval(
      CAS,
      2,
      this.keys.cluster(spec.name),
      this.keys.clusters,
      String(expected),
      JSON.stringify(spec),
      String(Date.now()),
      spec.name,
    )) as number;
    if (result < 0) throw new ConcurrentUpdateError(`cluster ${spec.name} changed while it was being updated`);
    return result;
  }
}
