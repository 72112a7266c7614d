import { ClusterSpec, fieldErrors } from "@lvsfleet/model";
import type { Redis } from "ioredis";
import { HostOwnedError, type OwnershipChange } from "./host-ownership.ts";
import type { Keys } from "./keys.ts";

/** A cluster's desired state: the spec and its generation (bumped by every change). */
export interface StoredCluster {
  spec: ClusterSpec;
  generation: number;
  updatedAt: number;
}

/**
 * Compare-and-set: write the spec only if the generation is still the one read, and in the same
 * step the ownership of the hosts it adds or moves (ARGV[5]: JSON {claim, move}). An added host that
 * another cluster owns is refused ({-2, host, owner}); one that nobody owns is claimed when an agent
 * has registered under that name (a name alone claims nothing: see host-owners.ts). A move takes a
 * host only from the owner the caller was authorised against.
 */
const CAS = `
local current = redis.call('HGET', KEYS[1], 'generation')
if (current or '0') ~= ARGV[1] then return {-1} end
local cluster = ARGV[4]
local hosts = cjson.decode(ARGV[5])
local moving = {}
for _, m in ipairs(hosts.move) do
  local owner = redis.call('HGET', KEYS[3], m.host)
  if owner and owner ~= m.from and owner ~= cluster then return {-2, m.host, owner} end
  moving[m.host] = true
end
for _, host in ipairs(hosts.claim) do
  local owner = redis.call('HGET', KEYS[3], host)
  if owner and owner ~= cluster and not moving[host] then return {-2, host, owner} end
end
for _, host in ipairs(hosts.claim) do
  if not redis.call('HGET', KEYS[3], host) and redis.call('HEXISTS', KEYS[4], host) == 1 then
    redis.call('HSET', KEYS[3], host, cluster)
  end
end
for _, m in ipairs(hosts.move) do redis.call('HSET', KEYS[3], m.host, cluster) end
local next = tonumber(ARGV[1]) + 1
redis.call('HSET', KEYS[1], 'spec', ARGV[2], 'generation', next, 'updatedAt', ARGV[3])
redis.call('SADD', KEYS[2], cluster)
return {next}
`;

const NO_OWNERSHIP_CHANGE: OwnershipChange = { claim: [], move: [] };

export class ConcurrentUpdateError extends Error {
  override name = "ConcurrentUpdateError";
}

/**
 * A cluster whose stored spec this server cannot read (one written by an older version that no
 * migration could bring up to date, or damaged in Redis): its own reads and commands are refused
 * with this (HTTP 409), the fleet-wide ones leave it out, and a PUT of a whole spec replaces it.
 */
export class StoredSpecError extends Error {
  override name = "StoredSpecError";
  constructor(
    readonly cluster: string,
    readonly generation: number,
    readonly reason: string,
  ) {
    super(
      `the stored spec of cluster ${cluster} (generation ${generation}) cannot be read: ${reason}; replace it with PUT /v1/clusters/${cluster} (see docs/operations.md#upgrading)`,
    );
  }
}

/** Why a stored spec is not a ClusterSpec, in a line: its first three problems (field: reason). */
export function specProblems(error: Parameters<typeof fieldErrors>[0]): string {
  const errors = fieldErrors(error);
  const shown = errors.slice(0, 3).map((e) => `${e.field}: ${e.message}`);
  return `${shown.join("; ")}${errors.length > 3 ? `; and ${errors.length - 3} more` : ""}`;
}

/** A stored spec's text as a ClusterSpec, or why it is not one. */
function parseStored(text: string): { spec: ClusterSpec } | { reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { reason: `not JSON (${(error as Error).message})` };
  }
  const parsed = ClusterSpec.safeParse(json);
  return parsed.success ? { spec: parsed.data } : { reason: specProblems(parsed.error) };
}

/**
 * Desired state in Redis. Writes are compare-and-set on the generation, so two servers
 * can never interleave a read-modify-write; within one server, changes to one cluster are
 * serialised by the command layer.
 */
/** Reading and compare-and-set writing of specs (what ClusterWriter needs). */
export interface SpecStore {
  get(name: string): Promise<StoredCluster | undefined>;
  put(spec: ClusterSpec, expected: number, hosts?: OwnershipChange): Promise<number>;
}

export class ClusterStore implements SpecStore {
  /** Parsed specs (or why they cannot be) by their stored text: a spec is validated once, not on every read. */
  private readonly parsed = new Map<string, { raw: string } & ({ spec: ClusterSpec } | { reason: string })>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async names(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.clusters)).sort();
  }

  /** The cluster, undefined if there is none; throws StoredSpecError when its stored spec cannot be read. */
  async get(name: string): Promise<StoredCluster | undefined> {
    const hash = await this.redis.hgetall(this.keys.cluster(name));
    if (!hash.spec) return undefined;
    let cached = this.parsed.get(name);
    if (cached?.raw !== hash.spec) {
      cached = { raw: hash.spec, ...parseStored(hash.spec) };
      this.parsed.set(name, cached);
    }
    if (!("spec" in cached)) throw new StoredSpecError(name, Number(hash.generation), cached.reason);
    return {
      // Shared with other readers: treat as read-only (changes go through ClusterWriter on a copy).
      spec: cached.spec,
      generation: Number(hash.generation),
      updatedAt: Number(hash.updatedAt),
    };
  }

  /**
   * For readers across the fleet (host ownership, re-sync, fleet health, metrics, searches): the
   * cluster, or undefined when there is none or its stored spec cannot be read — one such cluster
   * must not stop them serving the others (its own endpoints report it).
   */
  async readable(name: string): Promise<StoredCluster | undefined> {
    try {
      return await this.get(name);
    } catch (error) {
      if (error instanceof StoredSpecError) return undefined;
      throw error;
    }
  }

  /** The cluster's generation alone (no spec read), undefined when there is none: for readers that only compare it (re-sync). */
  async generation(name: string): Promise<number | undefined> {
    const generation = await this.redis.hget(this.keys.cluster(name), "generation");
    return generation === null ? undefined : Number(generation);
  }

  /** The stored spec's text and generation, unparsed (for the migration of specs written by older versions). */
  async raw(name: string): Promise<{ text: string; generation: number } | undefined> {
    const [text, generation] = await this.redis.hmget(this.keys.cluster(name), "spec", "generation");
    return text ? { text, generation: Number(generation ?? 0) } : undefined;
  }

  /**
   * Writes a spec if the stored generation is still `expected` (0 = new), with the ownership change
   * of its hosts; returns the new generation.
   */
  async put(spec: ClusterSpec, expected: number, hosts: OwnershipChange = NO_OWNERSHIP_CHANGE): Promise<number> {
    const [result, host, owner] = (await this.redis.eval(
      CAS,
      4,
      this.keys.cluster(spec.name),
      this.keys.clusters,
      this.keys.hostOwners,
      this.keys.agents,
      String(expected),
      JSON.stringify(spec),
      String(Date.now()),
      spec.name,
      JSON.stringify(hosts),
    )) as [number, string?, string?];
    if (result === -1) throw new ConcurrentUpdateError(`cluster ${spec.name} changed while it was being updated`);
    if (result === -2) throw new HostOwnedError(host ?? "?", owner ?? "?", "hosts");
    return result;
  }
}
