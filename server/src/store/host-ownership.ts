/**
 * What the cluster store and the host owners share about host ownership: what a spec write does
 * to it, and the refusals. Its own module so that neither store imports the other.
 */

/** A host taken over from the cluster that owns it (`from`, the owner the caller was authorised against). */
export interface HostMove {
  host: string;
  from: string;
}

/** What a spec write does to host ownership (see ClusterStore.put). */
export interface OwnershipChange {
  /** Hosts the new spec names that the old one did not: claimed when nobody owns them and an agent registered. */
  claim: string[];
  /** Hosts taken from the cluster that owns them, as an admin of both asked. */
  move: HostMove[];
}

/** Why a cluster may not reach a host: another cluster owns it, or nobody does yet. */
export class HostNotOwnedError extends Error {
  override name = "HostNotOwnedError";
  constructor(
    readonly host: string,
    readonly cluster: string,
  ) {
    super(
      `no cluster owns ${host} yet, so nothing is sent to it for ${cluster}: a host belongs to a cluster once its agent has registered and the cluster's spec names it (or a join token named the cluster)`,
    );
  }
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
