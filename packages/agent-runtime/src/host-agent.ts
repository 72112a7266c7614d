import {
  type AgentEvent,
  type AgentInfo,
  type AgentState,
  type ClusterSpec,
  desiredStateTable,
  type HostChange,
  type IpvsTable,
  type Operation,
  type Problem,
  type RealServerHealth,
  type RoleConfig,
  type RoleState,
  type ScriptAllowlistReport,
  type SimulatedHealthChange,
  type SimulatedTraffic,
  SimulatedTrafficChange,
  serviceKey,
  validate,
} from "@lvsfleet/model";
import { describeOperation, plan } from "@lvsfleet/planner";
import {
  type AgentApi,
  type ApplyRequest,
  type ApplyResult,
  type EventWatch,
  GrpcStatus,
  type RoleChangeResult,
  RpcError,
  type RunActionResult,
  type SimulatedTrafficRequest,
  type WatchEventsOptions,
} from "@lvsfleet/rpc";
import type { Logger } from "pino";
import { AppliedTable, touchedServices } from "./applied-table.ts";
import { blockingProblems, type Doctor, describeProblems, gatherFacts } from "./doctor.ts";
import { type DriftCheck, driftEvent, driftPolicyOf } from "./drift.ts";
import type { DataPlaneDriver, HostDriver } from "./drivers.ts";
import { EventHub } from "./events.ts";
import type { ExtensionHost, RoleExtension } from "./extension.ts";
import { HostKeeper } from "./host-keeper.ts";
import type { HostIntent, HostLedger } from "./host-plan.ts";
import { KernelReads } from "./kernel-reads.ts";
import { Serial } from "./serial.ts";
import type { StateFile } from "./state-file.ts";

/** What an agent remembers about its role across restarts. */
export interface RoleStatus {
  cluster?: string | undefined;
  roleState: RoleState;
  /** Generation of the last desired table accepted. */
  generation: number;
  /** Keys of the IPVS services lvsfleet installed (others on the host are left alone). */
  managedServices: string[];
  /** The configuration of the last start (what the doctor checks the host against). */
  config?: RoleConfig | undefined;
  /** The last desired table accepted (before health overrides), for re-planning after a health change. */
  desired?: IpvsTable | undefined;
  /** The latest cluster spec a Start or Apply carried (health checks, VRRP), for the role extension. */
  spec?: ClusterSpec | undefined;
}

export const INITIAL_STATUS: RoleStatus = { roleState: "stopped", generation: 0, managedServices: [] };

/** How a role turns its start config into a host intent (lvsdr or realdr). */
export interface RoleBehaviour {
  /** The host intent for a start request; throws RpcError INVALID_ARGUMENT for the wrong kind of config. */
  intent(config: RoleConfig, dataPlane: DataPlaneDriver | undefined): HostIntent;
  /** The IPVS table a start request installs (directors), if any. */
  table(config: RoleConfig): { desired: IpvsTable; generation: number } | undefined;
  /** Sysctl keys worth reporting in status. */
  reportedSysctls: string[];
  /** The role's preflight check; its problems are reported in state and errors stop a start. */
  doctor?: Doctor | undefined;
  /** Directors: the scripts the agent's allowlist holds, reported in state (the server plans with it). */
  scripts?: ScriptAllowlistReport | undefined;
}

export interface HostAgentParts {
  info: AgentInfo;
  behaviour: RoleBehaviour;
  host: HostDriver;
  dataPlane?: DataPlaneDriver | undefined;
  statusFile: StateFile<RoleStatus>;
  ledgerFile: StateFile<HostLedger>;
  log: Logger;
  /** What the role adds beside the intent and the table (the director's health checks and VRRP). */
  extension?: ((host: ExtensionHost) => RoleExtension) | undefined;
  /** Runs an action of the operator's allowlist by name (real servers with --actions-file); absent: none. */
  runAction?: ((name: string) => Promise<RunActionResult>) | undefined;
  /**
   * Directors: how often (ms) the whole table is read back and compared with the applied one (drift);
   * 0 or absent: never (`--readback-interval`, 30 s by default in the agent programs).
   */
  readbackIntervalMs?: number | undefined;
}

/**
 * An agent on one host: it takes up and gives up its role (lvsdr/realdr), reconciles the IPVS
 * table with the desired one (directors), reports state, and streams events. Requests that
 * change the host run one at a time. It is the agent API (@lvsfleet/rpc's AgentApi) in process:
 * serveAgent serves it over gRPC, and tests may call it directly.
 */
export class HostAgent implements AgentApi {
  readonly hub: EventHub;
  private readonly keeper: HostKeeper;
  private readonly serial = new Serial();
  private readonly extension: RoleExtension | undefined;
  /** Every read of the kernel's table, one at a time; a whole read is shared by all who ask meanwhile. */
  private readonly reads: KernelReads | undefined;
  /** The table the agent applied, as read back (unknown until the first whole read). */
  private readonly applied = new AppliedTable();
  /** The drift the last check reported and left standing (policy report), to report it once. */
  private drift: DriftCheck | undefined;
  /** The effective table the last executed plan moved to (after health overrides): what drift compares with. */
  private intended: IpvsTable | undefined;
  /** Whether this process has read the table back whole for drift yet. */
  private driftChecked = false;
  private readonly readbackTimer: NodeJS.Timeout | undefined;
  private pendingReadBack: Promise<void> | undefined;

  constructor(private readonly parts: HostAgentParts) {
    this.keeper = new HostKeeper(parts.host, parts.ledgerFile);
    this.hub = new EventHub(parts.info.host, () => this.heartbeat());
    this.extension = parts.extension?.({
      publish: (event) => this.hub.publish(event as AgentEvent),
      refresh: (reason) => this.refresh(reason),
    });
    this.reads = parts.dataPlane ? new KernelReads(parts.dataPlane) : undefined;
    const every = parts.readbackIntervalMs ?? 0;
    if (this.reads && every > 0) {
      // a read-back still queued or running (a big table, a long Apply before it) is not queued again
      this.readbackTimer = setInterval(() => {
        this.pendingReadBack ??= this.readBack().finally(() => {
          this.pendingReadBack = undefined;
        });
      }, every);
      this.readbackTimer.unref();
    }
  }

  async getInfo(): Promise<AgentInfo> {
    return this.parts.info;
  }

  /**
   * The kernel's table for heartbeats and status, single-flight: while one read runs (an `nft -j list
   * table` or `ipvsadm -Sn` of a big table can take longer than a heartbeat period), every other
   * caller shares it instead of starting another (kernel-reads.ts: every read of the kernel waits its
   * turn). An Apply plans against the applied table and reads back only what it changed.
   */
  private table(): Promise<IpvsTable> {
    return this.reads ? this.reads.table() : Promise.resolve({ services: [] });
  }

  /** A whole read of the kernel that starts now (after what this caller changed); it becomes the applied table. */
  private async readWhole(): Promise<IpvsTable> {
    const table = await (this.reads as KernelReads).table(true);
    this.applied.replace(table);
    return table;
  }

  /** The applied table, read whole from the kernel first when it is not known (a fresh process, after a failure). */
  private async appliedTable(): Promise<IpvsTable> {
    return this.applied.table ?? (await this.readWhole());
  }

  /**
   * Executes a plan and reads back the services it touched (all of them when the driver cannot read
   * a few) into the applied table. After a failure nothing is assumed: the next operation reads whole.
   */
  private async execute(dataPlane: DataPlaneDriver, operations: readonly Operation[]): Promise<void> {
    if (operations.length === 0) return;
    try {
      await dataPlane.execute(operations);
      // The plan may have repaired drift reported before: the next read-back says so (in step), or
      // reports the drift again, even when it is the same difference (someone deleted it again).
      if (this.drift) this.drift = { ...this.drift, operations: [] };
      const keys = touchedServices(operations);
      this.applied.fold(keys, await (this.reads as KernelReads).services(keys));
    } catch (error) {
      this.applied.forget();
      throw error;
    }
  }

  private async heartbeat() {
    const [status, table] = await Promise.all([this.parts.statusFile.peek(), this.table()]);
    const destinations = table.services.flatMap((s) => s.destinations);
    return {
      roleState: status.roleState,
      generation: status.generation,
      services: table.services.length,
      destinations: destinations.length,
      activeConns: destinations.reduce((n, d) => n + d.activeConns, 0),
      inactConns: destinations.reduce((n, d) => n + d.inactConns, 0),
      ...withFailover(this.extension?.beat()),
    };
  }

  async getState(): Promise<AgentState> {
    const { host, statusFile, behaviour } = this.parts;
    const [status, table, addresses, routes] = await Promise.all([
      statusFile.read(),
      this.table(),
      host.addresses(),
      host.routes(),
    ]);
    const sysctls: Record<string, string> = {};
    for (const key of behaviour.reportedSysctls) {
      const value = await host.readSysctl(key);
      if (value !== undefined) sysctls[key] = value;
    }
    const problems = await this.check(status.config, status.roleState === "running", heldSpec(status));
    const failover = await this.extension?.report();
    return {
      info: this.parts.info,
      cluster: status.cluster,
      roleState: status.roleState,
      table,
      host: { addresses, routes, sysctls },
      generation: status.generation,
      ...(problems ? { problems } : {}),
      ...(failover ? { failover } : {}),
      ...(behaviour.scripts ? { scripts: behaviour.scripts } : {}),
    };
  }

  /** What the role's doctor finds on the host now; undefined when the role has no doctor. */
  async doctor(): Promise<Problem[] | undefined> {
    const status = await this.parts.statusFile.read();
    return this.check(status.config, status.roleState === "running", heldSpec(status));
  }

  private async check(
    config: RoleConfig | undefined,
    running: boolean,
    spec: ClusterSpec | undefined,
  ): Promise<Problem[] | undefined> {
    const { behaviour, host, dataPlane } = this.parts;
    if (!behaviour.doctor) return undefined;
    const facts = await gatherFacts(host, dataPlane, behaviour.doctor.sysctls(config));
    return behaviour.doctor.check({ facts, config, running, spec });
  }

  /** Refuses a spec this host cannot take (a director: a script its allowlist lacks) before anything changes. */
  private admit(spec: ClusterSpec | undefined): void {
    const refused = spec ? blockingProblems(this.parts.behaviour.doctor?.spec?.(spec) ?? []) : [];
    if (refused.length > 0)
      throw new RpcError(
        GrpcStatus.FAILED_PRECONDITION,
        `host ${this.parts.info.host} refuses the cluster spec, nothing changed: ${describeProblems(refused)}`,
      );
  }

  private checkCluster(status: RoleStatus, cluster: string): void {
    if (status.cluster && status.cluster !== cluster && status.roleState === "running")
      throw new RpcError(
        GrpcStatus.FAILED_PRECONDITION,
        `host ${this.parts.info.host} serves cluster ${status.cluster}, not ${cluster}; stop it there first`,
      );
  }

  private requireDataPlane(): DataPlaneDriver {
    if (!this.parts.dataPlane)
      throw new RpcError(
        GrpcStatus.FAILED_PRECONDITION,
        `host ${this.parts.info.host} is a real server: it has no IPVS table`,
      );
    return this.parts.dataPlane;
  }

  /**
   * Plans and (unless dry) executes the move to the desired table, against the applied table (not a
   * read of the whole kernel); only lvsfleet's services may be removed.
   */
  private async reconcile(desired: IpvsTable, status: RoleStatus, dryRun: boolean) {
    const dataPlane = this.requireDataPlane();
    const managed = new Set(status.managedServices);
    const applied = await this.appliedTable();
    // The role extension's local overrides (health) apply on top of the operator's desired table.
    const effective = this.extension ? this.extension.effective(desired) : desired;
    const operations = plan(effective, applied, { isManaged: (key) => managed.has(key) });
    if (!dryRun) {
      await this.execute(dataPlane, operations);
      this.intended = effective;
    }
    return { operations, managedServices: desired.services.map(serviceKey) };
  }

  /** The table is the request's spec's (desiredTable), or its bare table (then the role keeps the spec it holds). */
  apply(request: ApplyRequest): Promise<ApplyResult> {
    const dryRun = request.dryRun === true;
    const desired = desiredStateTable(request);
    return this.serial.run(async () => {
      this.requireDataPlane();
      const status = await this.parts.statusFile.read();
      this.checkCluster(status, request.cluster);
      this.admit(request.spec);
      const stale = status.cluster === request.cluster && request.generation < status.generation;
      if (stale || status.roleState !== "running") {
        // A stale request never undoes a newer one; a stopped director keeps no table.
        const generation = stale ? status.generation : request.generation;
        if (!stale && !dryRun) await this.parts.statusFile.write({ ...status, cluster: request.cluster, generation });
        return { operations: [], observed: await this.appliedTable(), generation };
      }
      const spec = request.spec ?? status.spec;
      if (!dryRun && this.extension && status.config)
        await this.extension.configure({
          cluster: request.cluster,
          config: status.config,
          spec,
          desired,
        });
      const { operations, managedServices } = await this.reconcile(desired, status, dryRun);
      if (dryRun) return { operations, observed: await this.appliedTable(), generation: status.generation };
      await this.parts.statusFile.write({
        ...status,
        cluster: request.cluster,
        generation: request.generation,
        managedServices,
        // the desired table and spec: health re-plans and the periodic read-back (drift) go by them
        desired,
        ...(spec ? { spec } : {}),
      });
      if (operations.length > 0) this.publishTableChange(status.generation, request.generation, operations);
      return { operations, observed: await this.appliedTable(), generation: request.generation };
    });
  }

  private publishTableChange(from: number, to: number, operations: Operation[]): void {
    this.hub.publish({
      type: "state",
      subject: "table",
      from: `generation ${from}`,
      to: `generation ${to}`,
      detail: operations.map(describeOperation).join("; "),
    } as AgentEvent);
  }

  start(cluster: string, config: RoleConfig): Promise<RoleChangeResult> {
    return this.serial.run(async () => {
      const { behaviour, dataPlane, statusFile, log } = this.parts;
      const status = await statusFile.read();
      this.checkCluster(status, cluster);
      const intent = behaviour.intent(config, dataPlane);
      const spec = config.kind === "director" ? config.director.spec : undefined;
      // Preflight: what start cannot fix itself (a missing interface, a kernel without support, a
      // script the allowlist lacks) stops it here.
      const blocking = blockingProblems((await this.check(config, false, spec)) ?? []);
      if (blocking.length > 0)
        throw new RpcError(
          GrpcStatus.FAILED_PRECONDITION,
          `host ${this.parts.info.host} cannot take up its role: ${describeProblems(blocking)}`,
        );
      const changes: HostChange[] = await this.keeper.takeUp(intent);
      const table = behaviour.table(config);
      let next: RoleStatus = { ...status, cluster, roleState: "running", config };
      if (this.extension && table)
        changes.push(...(await this.extension.configure({ cluster, config, spec, desired: table.desired })));
      if (table) next = { ...next, desired: table.desired, spec };
      if (table && dataPlane) {
        const { operations, managedServices } = await this.reconcile(table.desired, status, false);
        changes.push(...operations.map((op) => ({ kind: op.op, description: describeOperation(op) })));
        next = { ...next, generation: Math.max(status.generation, table.generation), managedServices };
      }
      await statusFile.write(next);
      if (status.roleState !== "running") this.publishRole(status.roleState, "running", cluster);
      log.info({ cluster, changes: changes.length }, "role started");
      return { changes, state: await this.getState() };
    });
  }

  stop(cluster: string): Promise<RoleChangeResult> {
    return this.serial.run(async () => {
      const { dataPlane, statusFile, log } = this.parts;
      const status = await statusFile.read();
      if (status.cluster && status.cluster !== cluster)
        throw new RpcError(
          GrpcStatus.FAILED_PRECONDITION,
          `host ${this.parts.info.host} serves cluster ${status.cluster}, not ${cluster}`,
        );
      const changes: HostChange[] = [];
      // VRRP goes first: the VIPs move to another director before this one's table empties.
      if (this.extension) changes.push(...(await this.extension.stop()));
      if (dataPlane) {
        const { operations } = await this.reconcile({ services: [] }, status, false);
        changes.push(...operations.map((op) => ({ kind: op.op, description: describeOperation(op) })));
      }
      changes.push(...(await this.keeper.giveUp()));
      await statusFile.write({
        ...status,
        cluster,
        roleState: "stopped",
        managedServices: [],
        desired: undefined,
      });
      if (this.drift)
        // the drift reported stands no more: the table is gone and no longer watched
        this.hub.publish({
          type: "state",
          subject: "drift",
          from: "drifted",
          to: "unknown",
          detail: `the role stopped: its table of generation ${status.generation} is no longer watched`,
          operations: 0,
        } as AgentEvent);
      this.drift = undefined;
      if (status.roleState !== "stopped") this.publishRole(status.roleState, "stopped", cluster);
      log.info({ cluster, changes: changes.length }, "role stopped");
      return { changes, state: await this.getState() };
    });
  }

  private publishRole(from: RoleState, to: RoleState, cluster: string): void {
    this.hub.publish({ type: "state", subject: "role", from, to, detail: `cluster ${cluster}` } as AgentEvent);
  }

  /** Sim data planes only: changes the simulated client traffic; other drivers refuse (FAILED_PRECONDITION). */
  async setSimulatedTraffic(change: SimulatedTrafficRequest): Promise<SimulatedTraffic> {
    const dataPlane = this.requireDataPlane();
    if (!dataPlane.setSimulatedTraffic)
      throw new RpcError(
        GrpcStatus.FAILED_PRECONDITION,
        `host ${this.parts.info.host} runs the ${dataPlane.name} data plane: only the sim driver simulates client traffic`,
      );
    return dataPlane.setSimulatedTraffic(validate(SimulatedTrafficChange, change));
  }

  /** Sim data planes only: fails or restores a simulated real server's health checks. */
  async setSimulatedHealth(change: SimulatedHealthChange): Promise<RealServerHealth[]> {
    this.requireDataPlane();
    if (!this.extension?.setSimulatedHealth)
      throw new RpcError(
        GrpcStatus.FAILED_PRECONDITION,
        `host ${this.parts.info.host} runs the ${this.parts.dataPlane?.name} data plane: only the sim driver simulates health (real servers are checked for real)`,
      );
    return this.extension.setSimulatedHealth(change);
  }

  /**
   * Re-plans the data plane from the last desired table through the extension's overrides (after a
   * health change). Runs in turn with Apply/Start/Stop; a stopped role is left alone.
   */
  refresh(reason: string): Promise<void> {
    return this.serial
      .run(async () => {
        const status = await this.parts.statusFile.read();
        if (status.roleState !== "running" || !status.desired || !this.parts.dataPlane) return;
        const { operations } = await this.reconcile(status.desired, status, false);
        if (operations.length > 0)
          this.hub.publish({
            type: "state",
            subject: "table",
            from: `generation ${status.generation}`,
            to: `generation ${status.generation}`,
            detail: `${reason}: ${operations.map(describeOperation).join("; ")}`,
          } as AgentEvent);
      })
      .catch((error) => this.parts.log.error({ err: (error as Error).message, reason }, "health re-plan failed"));
  }

  /**
   * After a restart of the agent process: a running role's extension picks up where it was
   * (health checks start again, keepalived is adopted or started). Call once after construction.
   */
  resume(): Promise<void> {
    return this.serial.run(async () => {
      const status = await this.parts.statusFile.read();
      if (!this.extension || status.roleState !== "running" || !status.config || !status.cluster) return;
      const desired = status.desired ?? this.parts.behaviour.table(status.config)?.desired;
      if (!desired) return;
      try {
        await this.extension.configure({ cluster: status.cluster, config: status.config, spec: status.spec, desired });
      } catch (error) {
        // the agent serves all the same: its state says what is wrong, the next Start or Apply retries
        this.parts.log.error({ err: (error as Error).message }, "cannot resume health checks and VRRP");
      }
    });
  }

  /** Real servers with an allowlist: runs one of its actions by name; FAILED_PRECONDITION without one. */
  async runAction(name: string): Promise<RunActionResult> {
    if (!this.parts.runAction)
      throw new RpcError(
        GrpcStatus.FAILED_PRECONDITION,
        "this agent has no actions (start the real-server agent with --actions-file)",
      );
    return this.parts.runAction(name);
  }

  watchEvents(
    options: WatchEventsOptions,
    onEvent: (event: AgentEvent) => void,
    onEnd: (error: Error | undefined) => void,
  ): EventWatch {
    const controller = new AbortController();
    const end = () => {
      if (controller.signal.aborted) return;
      clearTimeout(deadline);
      controller.abort();
      onEnd(undefined);
    };
    const deadline = options.deadlineMs === undefined ? undefined : setTimeout(end, options.deadlineMs);
    this.hub.watch(options.heartbeatIntervalMs, onEvent, controller.signal);
    return { cancel: end };
  }

  /**
   * The periodic whole read-back (`--readback-interval`): the kernel is compared with the applied
   * table through the planner; a difference is drift, reported as a `state` event of subject `drift`
   * and, under the spec's `driftPolicy: "correct"`, repaired. Runs in turn with Apply/Start/Stop.
   */
  readBack(): Promise<void> {
    return this.serial
      .run(async () => {
        const { statusFile, behaviour, dataPlane } = this.parts;
        // only looked at: no copy of a held spec of thousands of services every period
        const status = await statusFile.peek();
        if (!dataPlane || status.roleState !== "running") return;
        const desired = status.desired ?? (status.config ? behaviour.table(status.config)?.desired : undefined);
        let observed: IpvsTable | undefined;
        let adopted = false;
        if (!this.intended && this.extension && desired) {
          // A restarted process does not know what it applied before: today's health overrides are not
          // settled yet (a server that was down reads as up until its checks fail again), so comparing
          // with them would report false drift — and under `correct` put a dead server back. The
          // kernel's table is taken as applied; the next Apply or health change plans against it.
          observed = this.intended = await this.readWhole();
          adopted = true;
        }
        // what this process last applied (or took as applied after a restart)
        const effective = this.intended ?? desired;
        if (!effective) return;
        observed ??= await this.readWhole();
        const managed = new Set(status.managedServices);
        const operations = plan(effective, observed, { isManaged: (key) => managed.has(key) });
        const policy = driftPolicyOf(heldSpec(status));
        const check: DriftCheck = { operations: operations.map(describeOperation), corrected: false };
        if (policy === "correct" && operations.length > 0) {
          await this.execute(dataPlane, operations);
          check.corrected = true;
        }
        const event = driftEvent(this.drift, check, status.generation, !this.driftChecked, adopted);
        this.driftChecked = true;
        this.drift = operations.length > 0 && !check.corrected ? check : undefined;
        if (event) {
          this.hub.publish(event as AgentEvent);
          this.parts.log[event.to === "in step" ? "info" : "warn"]({ drift: event.detail }, `table ${event.to}`);
        }
      })
      .catch((error) => this.parts.log.error({ err: (error as Error).message }, "read-back of the table failed"));
  }

  async close(): Promise<void> {
    clearInterval(this.readbackTimer);
    await this.extension?.close();
    await this.parts.dataPlane?.close();
  }
}

/** The spec a role holds: the latest an Apply carried, else its Start's. */
function heldSpec(status: RoleStatus): ClusterSpec | undefined {
  return status.spec ?? (status.config?.kind === "director" ? status.config.director.spec : undefined);
}

function withFailover<T>(beat: T | undefined): { failover?: T } {
  return beat === undefined ? {} : { failover: beat };
}
