import { clusterHosts } from "@lvsfleet/model";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { ClusterStore } from "./clusters.ts";
import { HostNotOwnedError, HostOwnedError } from "./host-ownership.ts";
import type { Keys } from "./keys.ts";

export { type HostMove, HostNotOwnedError, HostOwnedError, type OwnershipChange } from "./host-ownership.ts";

/**
 * After a PUT: the hosts the spec names that nobody owns and whose agent has registered become the
 * cluster's; the hosts the cluster owns that the spec no longer names are released.
 */
const SETTLE = `
local cluster = ARGV[1]
local keep = {}
for _, host in ipairs(cjson.decode(ARGV[2])) do
  keep[host] = true
  if not redis.call('HGET', KEYS[1], host) and redis.call('HEXISTS', KEYS[2], host) == 1 then
    redis.call('HSET', KEYS[1], host, cluster)
  end
end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i + 1] == cluster and not keep[all[i]] then redis.call('HDEL', KEYS[1], all[i]) end
end
return 1
`;

/**
 * Which cluster owns each host. A host is claimed by a join token that names its cluster (reserve),
 * by a spec write once its agent has registered (ClusterStore.put's script, settle), or at its
 * agent's registration by the one cluster whose spec names it (claimNamed); only a PUT releases it
 * (settle). A spec naming a host that another cluster owns is refused (unless an admin of both moves
 * it), and no command of one cluster reaches a host it does not own.
 */
export class HostOwners {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Pick<Keys, "hostOwners" | "agents">,
  ) {}

  async all(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.hostOwners);
  }

  async ownerOf(host: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.hostOwners, host)) ?? undefined;
  }

  /** The owners of these hosts (unowned hosts are left out). */
  async ownersOf(hosts: readonly string[]): Promise<Map<string, string>> {
    if (hosts.length === 0) return new Map();
    const owners = await this.redis.hmget(this.keys.hostOwners, ...hosts);
    return new Map(hosts.flatMap((host, i) => (owners[i] ? [[host, owners[i] as string] as const] : [])));
  }

  /** Hosts of `hosts` that a cluster other than `cluster` owns, with their owner. */
  async foreign(cluster: string, hosts: readonly string[]): Promise<Map<string, string>> {
    const owners = await this.ownersOf(hosts);
    return new Map([...owners].filter(([, owner]) => owner !== cluster));
  }

  /** Throws unless `cluster` owns `host` (HostOwnedError: another cluster does; HostNotOwnedError: nobody). */
  async check(cluster: string, host: string): Promise<void> {
    const owner = await this.ownerOf(host);
    if (owner === undefined) throw new HostNotOwnedError(host, cluster);
    if (owner !== cluster) throw new HostOwnedError(host, owner, "host");
  }

  /** After a PUT of `hosts` for `cluster`: claims the registered unowned ones, releases the ones it dropped. */
  async settle(cluster: string, hosts: readonly string[]): Promise<void> {
    await this.redis.eval(SETTLE, 2, this.keys.hostOwners, this.keys.agents, cluster, JSON.stringify(hosts));
  }

  /** Reserves a host for a cluster (a join token that names the cluster); false when another cluster owns it. */
  async reserve(host: string, cluster: string): Promise<{ owner: string; reserved: boolean }> {
    if ((await this.redis.hsetnx(this.keys.hostOwners, host, cluster)) === 1) return { owner: cluster, reserved: true };
    const owner = (await this.ownerOf(host)) ?? cluster;
    return { owner, reserved: owner === cluster };
  }

  /**
   * Claims every registered, unowned host for the one cluster whose spec names it (a host two
   * clusters name stays unowned until an admin of both moves it). Returns what it claimed.
   */
  async claimNamed(specs: { name: string; hosts: string[] }[]): Promise<{ host: string; claimedBy: string }[]> {
    const namedBy = new Map<string, string[]>();
    for (const spec of specs)
      for (const host of spec.hosts) namedBy.set(host, [...(namedBy.get(host) ?? []), spec.name]);
    const claimed: { host: string; claimedBy: string }[] = [];
    for (const [host, clusters] of namedBy) {
      if (clusters.length !== 1 || !(await this.redis.hexists(this.keys.agents, host))) continue;
      if ((await this.redis.hsetnx(this.keys.hostOwners, host, clusters[0] as string)) === 1)
        claimed.push({ host, claimedBy: clusters[0] as string });
    }
    return claimed;
  }
}

/** Every cluster's name and the hosts its spec names. */
async function namedHosts(clusters: ClusterStore): Promise<{ name: string; hosts: string[] }[]> {
  const specs = [];
  for (const name of await clusters.names()) {
    // a spec that cannot be read keeps the hosts it owns; it claims none (and does not stop the start)
    const stored = await clusters.readable(name);
    if (stored) specs.push({ name, hosts: clusterHosts(stored.spec).map((h) => h.host) });
  }
  return specs;
}

/**
 * At start (specs written before ownership existed) and when an agent registers: each registered
 * host nobody owns goes to the one cluster whose spec names it.
 */
export async function claimNamedHosts(
  clusters: ClusterStore,
  owners: HostOwners,
  log: Logger,
  only?: string,
): Promise<void> {
  const specs = await namedHosts(clusters);
  const claimed = await owners.claimNamed(
    only === undefined ? specs : specs.map((s) => ({ ...s, hosts: s.hosts.filter((h) => h === only) })),
  );
  if (claimed.length > 0) log.info({ claimed }, "hosts claimed by the clusters that name them");
  if (only !== undefined) return;
  const all = await owners.all();
  for (const spec of specs)
    for (const host of spec.hosts)
      if (all[host] !== undefined && all[host] !== spec.name)
        log.warn(
          { host, cluster: spec.name, owner: all[host] },
          "a cluster's spec names a host another cluster owns: nothing is sent to it for this cluster",
        );
}
