import { describeOperation } from "@lvsfleet/planner";
import type { Fleet } from "../agents/fleet.ts";
import type { ClusterStore, StoredCluster } from "../store/clusters.ts";
import { ApplyRound } from "./apply-progress.ts";
import { fanOut } from "./fan-out.ts";
import type { HostOutcome } from "./jobs.ts";
import { boundedChanges, boundedTable } from "./result-bounds.ts";

export interface ApplyOutcome {
  generation: number;
  hosts: HostOutcome[];
}

/** An outcome as one job sees it: its own round of Apply calls, one it shared, or none needed. */
export interface JobApplyOutcome extends ApplyOutcome {
  via: "own" | "shared" | "already-applied";
}

export class UnknownClusterError extends Error {
  override name = "UnknownClusterError";
}

/** Raised when some directors could not apply; says which and why. */
export class ApplyError extends Error {
  override name = "ApplyError";
  constructor(
    readonly failures: { host: string; error: Error }[],
    readonly succeeded: HostOutcome[],
  ) {
    super(failures.map((f) => f.error.message).join("; "));
  }
}

/** Directors called at once by one round when the server says nothing (LVSFLEET_APPLY_CONCURRENCY). */
export const DEFAULT_APPLY_CONCURRENCY = 128;

/**
 * Brings every director of a cluster to the desired table, at least at a given generation.
 * Concurrent requests for one cluster share a single round of Apply calls: a job whose
 * generation is already applied, or being applied, waits for that instead of calling again.
 * A round calls at most `concurrency` directors at once (one gRPC channel per agent, kept by the pool).
 */
export class ClusterApplier {
  private readonly applied = new Map<string, ApplyOutcome>();
  /** The Apply on its way to each director (`cluster\nhost`), and its generation. */
  private readonly hostInflight = new Map<string, { generation: number; promise: Promise<HostOutcome> }>();
  private readonly inflight = new Map<
    string,
    { generation: number; promise: Promise<ApplyOutcome>; round: ApplyRound }
  >();

  constructor(
    private readonly clusters: ClusterStore,
    private readonly fleet: Fleet,
    /** Directors called at once by one round (start and stop use it too). */
    readonly concurrency = DEFAULT_APPLY_CONCURRENCY,
  ) {}

  /** `follow`: told of each round the job waits for (its own or one it shares), to report its progress. */
  async ensureApplied(
    cluster: string,
    minGeneration: number,
    follow?: (round: ApplyRound) => void,
  ): Promise<JobApplyOutcome> {
    for (;;) {
      const done = this.applied.get(cluster);
      if (done && done.generation >= minGeneration) return { ...done, via: "already-applied" };
      const running = this.inflight.get(cluster);
      if (!running) {
        const round = new ApplyRound();
        follow?.(round);
        return { ...(await this.applyNow(cluster, round)), via: "own" };
      }
      follow?.(running.round);
      const outcome = await running.promise;
      if (outcome.generation >= minGeneration) return { ...outcome, via: "shared" };
    }
  }

  private applyNow(cluster: string, round: ApplyRound): Promise<ApplyOutcome> {
    const entry = { generation: 0, promise: Promise.resolve<ApplyOutcome>({ generation: 0, hosts: [] }), round };
    entry.promise = this.applyToDirectors(cluster, round, (generation) => {
      entry.generation = generation;
    }).finally(() => {
      if (this.inflight.get(cluster) === entry) this.inflight.delete(cluster);
    });
    this.inflight.set(cluster, entry);
    return entry.promise;
  }

  private async applyToDirectors(
    cluster: string,
    round: ApplyRound,
    onGeneration: (g: number) => void,
  ): Promise<ApplyOutcome> {
    const stored = await this.clusters.get(cluster);
    if (!stored) throw new UnknownClusterError(`no cluster named ${cluster}`);
    onGeneration(stored.generation);
    const outcome = await this.applyStored(
      cluster,
      stored,
      stored.spec.directors.map((d) => d.host),
      round,
    );
    const previous = this.applied.get(cluster);
    if (!previous || previous.generation <= outcome.generation) this.applied.set(cluster, outcome);
    return outcome;
  }

  /**
   * Brings only some directors of a cluster to its stored desired state (a re-sync of directors
   * that came back behind): the others are not called, and what the cluster's rounds share is kept.
   * Hosts that are no longer directors of the cluster are skipped.
   */
  async applyToHosts(
    cluster: string,
    only: readonly string[],
    follow?: (round: ApplyRound) => void,
  ): Promise<ApplyOutcome> {
    const stored = await this.clusters.get(cluster);
    if (!stored) throw new UnknownClusterError(`no cluster named ${cluster}`);
    const wanted = new Set(only);
    const hosts = stored.spec.directors.filter((d) => wanted.has(d.host)).map((d) => d.host);
    // A round of the whole cluster at this generation or later is already calling these directors:
    // share it rather than send a second Apply of a (maybe big) table to the same director.
    const running = this.inflight.get(cluster);
    if (running && running.generation >= stored.generation && hosts.every((h) => running.round.directors.has(h))) {
      follow?.(running.round);
      const outcome = await running.promise;
      return { generation: outcome.generation, hosts: outcome.hosts.filter((h) => wanted.has(h.host)) };
    }
    const round = new ApplyRound();
    follow?.(round);
    return this.applyStored(cluster, stored, hosts, round);
  }

  /**
   * One Apply of the stored spec to one director, shared: while an Apply of this generation or a
   * later one is already on its way to that director (a re-sync that started first, the cluster's
   * round), a second caller waits for it instead of sending the (maybe big) table again.
   */
  private applyOnce(cluster: string, host: string, stored: StoredCluster): Promise<HostOutcome> {
    const key = `${cluster}\n${host}`;
    const running = this.hostInflight.get(key);
    if (running && running.generation >= stored.generation) return running.promise;
    // the spec is the desired state: each director derives its table from it, and its health checks and VRRP follow it
    const promise = this.fleet
      .apply(cluster, host, { generation: stored.generation, spec: stored.spec })
      .then(
        (result): HostOutcome => ({
          host,
          role: "director",
          // bounded: the result is stored with the job (result-bounds.ts)
          changes: boundedChanges(result.operations.map(describeOperation)),
          generation: result.generation,
          table: boundedTable(result.observed, cluster),
        }),
      )
      .finally(() => {
        if (this.hostInflight.get(key)?.promise === promise) this.hostInflight.delete(key);
      });
    this.hostInflight.set(key, { generation: stored.generation, promise });
    return promise;
  }

  /** One Apply of the stored spec to each of `hosts`, at most `concurrency` at once; throws ApplyError naming the failures. */
  private async applyStored(
    cluster: string,
    stored: StoredCluster,
    hosts: readonly string[],
    round: ApplyRound,
  ): Promise<ApplyOutcome> {
    round.begin(stored.generation, stored.spec.services.length, hosts);
    const results = await fanOut(hosts, this.concurrency, async (host): Promise<HostOutcome> => {
      round.applying(host);
      return this.applyOnce(cluster, host, stored).then(
        (outcome) => {
          round.finished(host, true);
          return outcome;
        },
        (error: unknown) => {
          round.finished(host, false);
          throw error;
        },
      );
    });
    const applied = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failures = results.flatMap((r, i) =>
      r.status === "rejected" ? [{ host: hosts[i] ?? "?", error: r.reason as Error }] : [],
    );
    if (failures.length > 0) throw new ApplyError(failures, applied);
    return { generation: stored.generation, hosts: applied };
  }
}
