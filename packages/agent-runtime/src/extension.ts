import type {
  AgentEvent,
  ClusterSpec,
  FailoverBeat,
  FailoverReport,
  HostChange,
  IpvsTable,
  RealServerHealth,
  RoleConfig,
  SimulatedHealthChange,
} from "@lvsfleet/model";

/** What the agent tells an extension about its role: after a start, an apply, a restart. */
export interface RoleUpdate {
  cluster: string;
  /** The configuration of the last start. */
  config: RoleConfig;
  /** The cluster spec (health checks, VRRP…): the latest an Apply or Start carried; undefined when none did. */
  spec: ClusterSpec | undefined;
  /** The operator's desired table (before health overrides). */
  desired: IpvsTable;
}

/** An event as an extension publishes it: the agent adds the time and its host name. */
export type ExtensionEvent = AgentEvent extends infer E
  ? E extends AgentEvent
    ? Omit<E, "time" | "host">
    : never
  : never;

/** What the agent lends an extension. */
export interface ExtensionHost {
  /** Streams an event to every WatchEvents watcher. */
  publish(event: ExtensionEvent): void;
  /**
   * Re-plans the data plane from the desired table through `effective()` (after a health change),
   * one at a time with the agent's other changes. Resolves once applied; never rejects (failures are logged).
   */
  refresh(reason: string): Promise<void>;
}

/**
 * Something a role adds to an agent's life beside the host intent and the table: the director's
 * health checks (local overrides of the desired table) and VRRP supervision. The agent calls it
 * one call at a time (its own serial queue).
 */
export interface RoleExtension {
  /** The table the data plane gets for a desired one: desired ⊕ the extension's overrides. Pure, fast. */
  effective(desired: IpvsTable): IpvsTable;
  /** Takes up (or follows a change of) the role: start or update checkers, keepalived… Returns what it did. */
  configure(update: RoleUpdate): Promise<HostChange[]>;
  /** Gives the role up (before the table and the VIPs go). */
  stop(): Promise<HostChange[]>;
  /** For AgentState. */
  report(): Promise<FailoverReport | undefined>;
  /** For heartbeats. */
  beat(): FailoverBeat | undefined;
  /** Sim driver only. */
  setSimulatedHealth?(change: SimulatedHealthChange): Promise<RealServerHealth[]>;
  /** The agent process exits: stop timers; leave the host as it is (fail static). */
  close(): Promise<void>;
}
