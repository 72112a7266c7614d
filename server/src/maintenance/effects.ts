import { type AgentState, type ClusterSpec, desiredService, serviceKey } from "@lvsfleet/model";
import type { Fleet } from "../agents/fleet.ts";
import type { ClusterApplier } from "../queue/applier.ts";
import { changeRoles } from "../queue/host-roles.ts";
import type { HostOutcome } from "../queue/jobs.ts";
import type { ClusterWriter, SpecChange, SpecUpdate } from "../store/cluster-writer.ts";
import type { ClusterStore, StoredCluster } from "../store/clusters.ts";
import type { HealthView } from "./health.ts";
import { refKey, type ServerRef } from "./types.ts";

export interface ConnectionCount {
  /** ActiveConn (+ InActConn when asked) summed over every reachable director, per server. */
  perServer: Map<string, { active: number; inactive: number }>;
  /** Directors whose count could not be read (unreachable): the count may be low. */
  unreadable: string[];
}

export interface ActionOutcome {
  exitCode: number;
  /** The end of the command's output, for the job's record. */
  output: string;
  durationMs: number;
}

/**
 * Everything a maintenance job does to the world, behind one interface. The server wires the one
 * below over its Fleet; the runner's unit tests wire the same one over in-process agents.
 */
export interface MaintenanceEffects {
  spec(cluster: string): Promise<StoredCluster | undefined>;
  /** A spec change through the group-commit writer. */
  updateSpec<T>(cluster: string, change: SpecChange<T>): Promise<SpecUpdate<T>>;
  /** Every director holds at least this generation (throws when one cannot be reached). */
  apply(cluster: string, generation: number): Promise<HostOutcome[]>;
  connections(spec: ClusterSpec, servers: ServerRef[]): Promise<ConnectionCount>;
  health: HealthView;
  /** Runs an allowlisted action on a real-server host of `cluster` (refused if another cluster owns it). */
  runAction(cluster: string, host: string, name: string): Promise<ActionOutcome>;
  /** A director of `cluster`'s state (refused if another cluster owns it). */
  directorState(cluster: string, host: string): Promise<AgentState>;
  /** lvsdr start/stop of one director (the job's own call, not a queued command). */
  changeDirector(spec: ClusterSpec, generation: number, host: string, action: "start" | "stop"): Promise<HostOutcome[]>;
}

export class AgentEffects implements MaintenanceEffects {
  constructor(
    private readonly clusters: ClusterStore,
    private readonly writer: ClusterWriter,
    private readonly applier: ClusterApplier,
    private readonly fleet: Fleet,
    readonly health: HealthView,
  ) {}

  spec(cluster: string) {
    return this.clusters.get(cluster);
  }

  updateSpec<T>(cluster: string, change: SpecChange<T>) {
    return this.writer.update(cluster, change);
  }

  async apply(cluster: string, generation: number): Promise<HostOutcome[]> {
    return (await this.applier.ensureApplied(cluster, generation)).hosts;
  }

  async connections(spec: ClusterSpec, servers: ServerRef[]): Promise<ConnectionCount> {
    const keys = new Map(spec.services.map((s) => [s.name, serviceKey(desiredService(s))] as const));
    const perServer = new Map(servers.map((s) => [refKey(s), { active: 0, inactive: 0 }]));
    const unreadable: string[] = [];
    const readings = await this.fleet.states(
      spec.name,
      spec.directors.map((d) => d.host),
    );
    for (const reading of readings) {
      if (!reading.ok) {
        unreadable.push(reading.host);
        continue;
      }
      const state = reading.state;
      for (const server of servers) {
        const service = state.table.services.find((s) => serviceKey(s) === keys.get(server.service));
        const destination = service?.destinations.find((x) => x.address === server.address && x.port === server.port);
        const count = perServer.get(refKey(server))!;
        count.active += destination?.activeConns ?? 0;
        count.inactive += destination?.inactConns ?? 0;
      }
    }
    return { perServer, unreadable };
  }

  runAction(cluster: string, host: string, name: string): Promise<ActionOutcome> {
    return this.fleet.runAction(cluster, host, name);
  }

  directorState(cluster: string, host: string): Promise<AgentState> {
    return this.fleet.state(cluster, host);
  }

  changeDirector(spec: ClusterSpec, generation: number, host: string, action: "start" | "stop") {
    return changeRoles(this.fleet, spec, generation, action, [host]);
  }
}
