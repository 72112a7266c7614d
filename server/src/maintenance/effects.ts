import type { AgentState, ClusterSpec } from "@lvsfleet/model";
import type { HostOutcome, SpecChange, SpecUpdate, StoredCluster } from "../commands/maintenance-world-types.ts";
import type { HealthView } from "./health.ts";
import type { ServerRef } from "./types.ts";

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
 * Everything a maintenance job does to the world, behind one interface. The command layer's
 * `AgentEffects` (commands/maintenance-world.ts) is it over the Fleet; the runner's unit tests wire the same one over in-process agents.
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
