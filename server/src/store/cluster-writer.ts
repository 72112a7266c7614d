import { type ClusterSpec, clusterHosts } from "@lvsfleet/model";
import { ConcurrentUpdateError, type SpecStore, type StoredCluster, StoredSpecError } from "./clusters.ts";
import type { HostMove, OwnershipChange } from "./host-owners.ts";

/**
 * A change to a cluster's spec: from the current spec (undefined if there is none yet) to the next.
 * `moveHosts`: hosts the change takes over from the clusters that own them, each with the owner the
 * caller was authorised against.
 */
export type SpecChange<T> = (current: ClusterSpec | undefined) => {
  spec: ClusterSpec;
  result: T;
  moveHosts?: HostMove[] | undefined;
};

export interface SpecUpdate<T> {
  result: T;
  /** The generation that holds this change (the batch's, when several were written together). */
  generation: number;
  changed: boolean;
  created: boolean;
  /** Why the stored spec this change replaced could not be read (only a `replaces` change runs over one). */
  replacedUnreadable?: string | undefined;
}

export interface UpdateOptions {
  /**
   * The change sets the whole spec, whatever the current one: it also runs (with `current`
   * undefined) over a stored spec that cannot be read, which it replaces. Any other change to such
   * a cluster is refused with the StoredSpecError.
   */
  replaces?: boolean | undefined;
}

interface Pending {
  change: SpecChange<unknown>;
  replaces: boolean;
  resolve(update: SpecUpdate<unknown>): void;
  reject(error: unknown): void;
}

/**
 * Writes spec changes with group commit: the changes to one cluster that arrive while a write
 * is in flight are applied in arrival order to one copy of the spec and written together with a
 * single compare-and-set, so a burst of commands costs one read and one write instead of one each.
 * A change that throws is refused alone; a compare-and-set lost to another server is retried.
 */
export class ClusterWriter {
  private readonly pending = new Map<string, Pending[]>();
  private readonly flushing = new Set<string>();

  constructor(private readonly clusters: SpecStore) {}

  update<T>(cluster: string, change: SpecChange<T>, options: UpdateOptions = {}): Promise<SpecUpdate<T>> {
    return new Promise((resolve, reject) => {
      const queue = this.pending.get(cluster) ?? [];
      queue.push({ change, replaces: options.replaces ?? false, resolve: resolve as Pending["resolve"], reject });
      this.pending.set(cluster, queue);
      if (!this.flushing.has(cluster)) {
        this.flushing.add(cluster);
        void this.flush(cluster);
      }
    });
  }

  private async flush(cluster: string): Promise<void> {
    try {
      for (let batch = this.take(cluster); batch.length > 0; batch = this.take(cluster))
        await this.write(cluster, batch);
    } finally {
      this.flushing.delete(cluster);
    }
  }

  private take(cluster: string): Pending[] {
    const batch = this.pending.get(cluster) ?? [];
    this.pending.delete(cluster);
    return batch;
  }

  private async write(cluster: string, batch: Pending[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { stored, unreadable } = await this.read(cluster);
        let spec = stored?.spec;
        const moves: HostMove[] = [];
        const outcomes = batch.map((p) => {
          try {
            if (unreadable && spec === undefined && !p.replaces) throw unreadable;
            const before = spec === undefined ? undefined : JSON.stringify(spec);
            const next = p.change(spec);
            const changed = before !== JSON.stringify(next.spec) || (next.moveHosts?.length ?? 0) > 0;
            spec = next.spec;
            moves.push(...(next.moveHosts ?? []));
            return { ok: true as const, result: next.result, changed };
          } catch (error) {
            return { ok: false as const, error };
          }
        });
        // Moving a host to this cluster is a change even when the spec text stays the same.
        const changed = outcomes.some((o) => o.ok && o.changed);
        const current = stored?.generation ?? unreadable?.generation ?? 0;
        const generation =
          changed && spec
            ? await this.clusters.put(spec, current, ownershipChange(stored?.spec, spec, moves))
            : current;
        outcomes.forEach((o, i) => {
          const p = batch[i] as Pending;
          if (o.ok)
            p.resolve({
              result: o.result,
              generation,
              changed: o.changed,
              created: !stored && !unreadable && o.changed,
              replacedUnreadable: unreadable?.reason,
            });
          else p.reject(o.error);
        });
        return;
      } catch (error) {
        if (error instanceof ConcurrentUpdateError && attempt < 10) continue;
        for (const p of batch) p.reject(error);
        return;
      }
    }
  }

  /** The stored cluster, or the reason its spec cannot be read. */
  private async read(cluster: string): Promise<{ stored?: StoredCluster | undefined; unreadable?: StoredSpecError }> {
    try {
      return { stored: await this.clusters.get(cluster) };
    } catch (error) {
      if (error instanceof StoredSpecError) return { unreadable: error };
      throw error;
    }
  }
}

/**
 * What a spec change does to host ownership: the hosts it adds are claimed (or refused when another
 * cluster owns them), the moves are made; nothing when the hosts stay (a weight change costs nothing).
 * Hosts a spec drops are released only by a PUT (HostOwners.settle), never by a maintenance step.
 */
export function ownershipChange(
  before: ClusterSpec | undefined,
  after: ClusterSpec,
  moves: readonly HostMove[],
): OwnershipChange {
  const old = new Set(before ? clusterHosts(before).map((h) => h.host) : []);
  const now = new Set(clusterHosts(after).map((h) => h.host));
  return {
    claim: [...now].filter((h) => !old.has(h)),
    move: moves.filter((m) => now.has(m.host)),
  };
}
