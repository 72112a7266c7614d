import { clusterHosts } from "@lvsfleet/model";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { ClusterStore } from "./clusters.ts";
import type { Keys } from "./keys.ts";

/** What a spec write does to host ownership (see ClusterStore.put). */
export interface OwnershipChange {
  /** Hosts the new spec names that the old one did not: claimed when nobody owns them. */
  claim: string[];
  /** Hosts the old spec named and the new one does not: released if this cluster owns them. */
  release: string[];
  /** Hosts taken from the cluster that owns them, as an admin of both asked. */
  move: string[];
}

/** A spec names a host that another cluster owns (HTTP 400 naming the host and its owner). */
export class HostOwnedError extends Error {
  override name = "HostOwnedError";
  constructor(
    readonly host: string,
    readonly owner: string,
    readonly field: string,
  ) {
    super(
      `${host} belongs to cluster ${owner}: a cluster owns the hosts it names; to move it, an admin of both clusters PUTs with ?moveHosts=${host}`,
    );
  }
}

/**
 * Which cluster owns each host: the one whose spec named it first. A spec naming a host that another
 * cluster owns is refused (unless an admin of both moves it), and no command of one cluster reaches
 * another cluster's hosts. Written only together with a spec, in ClusterStore.put's script.
 */
export class HostOwners {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Pick<Keys, "hostOwners">,
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

  /** Throws HostOwnedError when `host` belongs to a cluster other than `cluster`. */
  async check(cluster: string, host: string): Promise<void> {
    const owner = await this.ownerOf(host);
    if (owner !== undefined && owner !== cluster) throw new HostOwnedError(host, owner, "host");
  }

  /** Claims for `cluster` those of `hosts` that nobody owns (a spec written names them). */
  async claimUnowned(cluster: string, hosts: readonly string[]): Promise<string[]> {
    return (await this.backfill([{ name: cluster, hosts: [...hosts] }])).map((c) => c.host);
  }

  /** Claims every unowned host for the cluster that names it (servers that ran before ownership existed). */
  async backfill(specs: { name: string; hosts: string[] }[]): Promise<{ host: string; claimedBy: string }[]> {
    const claimed: { host: string; claimedBy: string }[] = [];
    for (const spec of specs)
      for (const host of spec.hosts)
        if ((await this.redis.hsetnx(this.keys.hostOwners, host, spec.name)) === 1)
          claimed.push({ host, claimedBy: spec.name });
    return claimed;
  }
}

/**
 * At start: hosts that specs written before ownership existed name, and nobody owns, go to the
 * first cluster (by name) that names them; a host two clusters name is logged for the operator.
 */
export async function claimUnownedHosts(clusters: ClusterStore, owners: HostOwners, log: Logger): Promise<void> {
  const specs = [];
  for (const name of await clusters.names()) {
    // a spec that cannot be read keeps the hosts it owns; it claims none (and does not stop the start)
    const stored = await clusters.readable(name);
    if (stored) specs.push({ name, hosts: clusterHosts(stored.spec).map((h) => h.host) });
  }
  const claimed = await owners.backfill(specs);
  if (claimed.length > 0) log.info({ claimed }, "hosts claimed by the clusters that name them");
  const all = await owners.all();
  for (const spec of specs)
    for (const host of spec.hosts)
      if (all[host] !== spec.name)
        log.warn(
          { host, cluster: spec.name, owner: all[host] },
          "a cluster's spec names a host another cluster owns: nothing is sent to it for this cluster",
        );
}
