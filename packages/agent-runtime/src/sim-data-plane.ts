import { Simulator } from "@lvsfleet/ipvs";
import {
  destinationConfigOf,
  formatEndpoint,
  type IpvsTable,
  NO_CONNECTIONS,
  NO_SIMULATED_LOAD,
  type Operation,
  type SimulatedLoad,
  type SimulatedTraffic,
  type SimulatedTrafficChange,
  serviceConfigOf,
} from "@lvsfleet/model";
import { applyOperations } from "@lvsfleet/planner";
import { GrpcStatus, RpcError } from "@lvsfleet/rpc";
import type { DataPlaneDriver } from "./drivers.ts";
import { SimulatedClients } from "./sim-clients.ts";
import type { StateFile } from "./state-file.ts";

export interface SimDataPlaneOptions {
  /** The synthetic client load to run from the start (default: none). */
  load?: SimulatedLoad | undefined;
  /** The wall clock the simulation follows (ms); tests pass a fake one. */
  now?: () => number;
  /** Advance the simulation every this many ms in the background while it has traffic (0: only when observed). */
  backgroundTickMs?: number;
}

/** More than this much wall time at once (a suspended process) passes without client arrivals. */
const MAX_CATCH_UP_MS = 10 * 60_000;

/**
 * The director's data plane as an in-memory IPVS: the kernel-faithful simulator of @lvsfleet/ipvs
 * (every scheduler, connection accounting, persistence, counters and rates), following the wall
 * clock, with optional simulated clients (SimulatedClients) so that the table's counts move.
 *
 * Only the configuration is saved in the agent's state directory, so a restarted agent finds its
 * "kernel" table as it left it (a real director keeps its table when the agent dies); connections
 * and counters start again from zero, as after a reboot. Refuses what the kernel refuses, all or
 * nothing: a plan is checked with the planner's applyOperations before the simulator runs it.
 */
export class SimDataPlane implements DataPlaneDriver {
  readonly name = "sim";
  private readonly sim = new Simulator({ seed: 1 });
  private readonly clients = new SimulatedClients(this.sim);
  private readonly now: () => number;
  private config: IpvsTable = { services: [] };
  private last: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: StateFile<IpvsTable>,
    private readonly options: SimDataPlaneOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.last = this.now();
  }

  async init(): Promise<void> {
    this.config = configOnly(await this.file.read());
    this.sim.load(this.config);
    this.clients.setLoad(this.options.load ?? NO_SIMULATED_LOAD, this.config);
    this.last = this.now();
    this.scheduleBackgroundTicks();
  }

  /** Brings the simulation up to the wall clock. */
  private advance(): void {
    const now = this.now();
    const elapsed = now - this.last;
    this.last = Math.max(this.last, now);
    if (elapsed <= 0) return;
    if (elapsed <= MAX_CATCH_UP_MS) {
      this.sim.tick(elapsed);
      return;
    }
    // a long gap: timers run, but no clients arrived meanwhile (simulating hours of arrivals would stall the agent)
    const load = this.clients.status().load;
    this.clients.setLoad(NO_SIMULATED_LOAD, this.config);
    this.sim.tick(elapsed);
    this.clients.setLoad(load, this.config);
  }

  private scheduleBackgroundTicks(): void {
    const every = this.options.backgroundTickMs ?? 0;
    if (every <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      if (this.clients.busy()) this.advance();
    }, every);
    this.timer.unref();
  }

  async observe(): Promise<IpvsTable> {
    this.advance();
    return this.sim.table();
  }

  async execute(operations: readonly Operation[]): Promise<void> {
    if (operations.length === 0) return;
    this.advance();
    // the planner refuses what the kernel refuses, without changing anything: then the simulator runs it
    const next = configOnly(applyOperations(this.config, operations));
    this.sim.applyOperations(operations);
    this.config = next;
    await this.file.write(next);
    this.clients.sync(next);
  }

  /** As kernel IPVS: NAT needs the director to forward (replies pass through it). */
  requiredSysctls(table: IpvsTable): Record<string, string> {
    const nat = (family: string) =>
      table.services.some((s) => s.family === family && s.destinations.some((d) => d.forwarding === "nat"));
    return {
      ...(nat("inet") ? { "net.ipv4.ip_forward": "1" } : {}),
      ...(nat("inet6") ? { "net.ipv6.conf.all.forwarding": "1" } : {}),
    };
  }

  /** Changes the simulated clients: release held connections, then the load, then new held connections. */
  async setSimulatedTraffic(change: SimulatedTrafficChange): Promise<SimulatedTraffic> {
    this.advance();
    const missing = change.hold.find(
      (h) =>
        !this.config.services.some((s) => s.destinations.some((d) => d.address === h.address && d.port === h.port)),
    );
    if (missing)
      throw new RpcError(
        GrpcStatus.NOT_FOUND,
        `no virtual service has the real server ${formatEndpoint(missing.address, missing.port)}; nothing changed`,
      );
    if (change.releaseHeld) this.clients.releaseHeld();
    if (change.load) this.clients.setLoad(change.load, this.config);
    for (const hold of change.hold) this.clients.hold(hold, this.config);
    return this.clients.status();
  }

  /** What the simulated clients are doing, without changing anything. */
  traffic(): SimulatedTraffic {
    this.advance();
    return this.clients.status();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The table's configuration only (what the state file keeps): no counts, counters or rates. */
function configOnly(table: IpvsTable): IpvsTable {
  return {
    services: table.services.map((s) => ({
      ...serviceConfigOf(s),
      destinations: s.destinations.map((d) => ({ ...destinationConfigOf(d), ...NO_CONNECTIONS })),
    })),
  };
}
