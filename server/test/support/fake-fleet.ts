import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  EMPTY_LEDGER,
  HostAgent,
  type HostIntent,
  type HostLedger,
  INITIAL_STATUS,
  type RoleBehaviour,
  type RoleStatus,
  SimDataPlane,
  SimHostDriver,
  StateFile,
  stockSimHost,
} from "@lvsfleet/agent-runtime";
import {
  type AgentState,
  addressFamily,
  desiredStateTable,
  type IpvsTable,
  type RoleConfig,
  type SimulatedTraffic,
  type SimulatedTrafficChange,
} from "@lvsfleet/model";
import { AgentCallError, GrpcStatus, RpcError, type RunActionResult } from "@lvsfleet/rpc";
import pino from "pino";
import { type AgentCalls, AgentFleet } from "../../src/agents/fleet.ts";
import { AgentRefusedError } from "../../src/agents/pool.ts";
import type { AgentRegistration } from "../../src/store/agents.ts";

/** Who owns which host (HostOwners in Redis, or a map). */
export interface OwnerBook {
  ownersOf(hosts: readonly string[]): Promise<Map<string, string>>;
  reserve(host: string, cluster: string): Promise<unknown>;
}

/** Which agents registered (AgentRegistry in Redis, or a map). */
export interface RegistrationBook {
  get(host: string): Promise<AgentRegistration | undefined>;
  register(registration: AgentRegistration): Promise<unknown>;
}

/** An allowlisted action of a fake real server: what it does on `host`, and what it answers. */
export type FakeAction = (host: string) => Promise<Partial<RunActionResult>> | Partial<RunActionResult>;

interface FakeHost {
  agent: HostAgent;
  dataPlane?: SimDataPlane | undefined;
  actions: Record<string, FakeAction>;
  /** Set: every call fails as an agent that does not answer (UNAVAILABLE). */
  down?: string | undefined;
}

/**
 * The fleet with in-process agents: real HostAgents (the agents' own reconcile, start and stop,
 * state files) on the simulated host driver and, for directors, the simulated IPVS data plane.
 * Ownership, registration and revocation go through the same AgentFleet the server uses over gRPC;
 * only the wire is left out. Errors come back as AgentClient raises them (AgentCallError).
 */
export class FakeFleet extends AgentFleet {
  private readonly hosts = new Map<string, FakeHost>();
  private readonly revoked = new Map<string, string>();
  readonly owners: OwnerBook;
  readonly registry: RegistrationBook;
  private readonly dir = mkdtempSync(join(tmpdir(), "lvsfleet-fake-fleet-"));
  /** Every call the server made, in order: `GetState web1`, `Apply lb-master`, … */
  readonly calls: string[] = [];

  constructor(books: { owners?: OwnerBook; registry?: RegistrationBook } = {}) {
    const owners = books.owners ?? new MemoryOwners();
    const registry = books.registry ?? new MemoryRegistry();
    super({
      owners,
      registry,
      dial: (registration) => this!.dial(registration),
      deadlines: { statusMs: 1_500, actionMs: 60_000 },
    });
    this.owners = owners;
    this.registry = registry;
  }

  /** A director agent on `host` (simulated host and IPVS), registered and owned by `cluster` unless told otherwise. */
  async director(host: string, options: { cluster?: string | undefined; address?: string } = {}): Promise<void> {
    const address = options.address ?? `198.18.0.${this.hosts.size + 10}`;
    const dataPlane = new SimDataPlane(new StateFile<IpvsTable>(this.file(host, "ipvs"), () => ({ services: [] })));
    await dataPlane.init();
    this.add(host, "director", directorBehaviour(), address, dataPlane, {});
    await this.enroll(host, "director", options.cluster);
  }

  /** A real-server agent on `host` with these allowlisted actions. */
  async realServer(
    host: string,
    options: { cluster?: string | undefined; address?: string; actions?: Record<string, FakeAction> } = {},
  ): Promise<void> {
    const address = options.address ?? `198.18.1.${this.hosts.size + 10}`;
    this.add(host, "real-server", realServerBehaviour(), address, undefined, options.actions ?? {});
    await this.enroll(host, "real-server", options.cluster);
  }

  private add(
    host: string,
    role: "director" | "real-server",
    behaviour: RoleBehaviour,
    address: string,
    dataPlane: SimDataPlane | undefined,
    actions: Record<string, FakeAction>,
  ): void {
    const agent = new HostAgent({
      info: { host, role, driver: "sim", version: "test", startedAt: Date.now() },
      behaviour,
      host: new SimHostDriver(new StateFile(this.file(host, "host"), () => stockSimHost(address, 24))),
      dataPlane,
      statusFile: new StateFile<RoleStatus>(this.file(host, "role"), () => INITIAL_STATUS),
      ledgerFile: new StateFile<HostLedger>(this.file(host, "ledger"), () => EMPTY_LEDGER),
      log: pino({ level: "silent" }),
    });
    this.hosts.set(host, { agent, dataPlane, actions });
  }

  private async enroll(host: string, role: "director" | "real-server", cluster: string | undefined): Promise<void> {
    await this.registry.register({
      host,
      role,
      endpoint: `${host}.fake:7100`,
      driver: "sim",
      registeredAt: Date.now(),
    });
    if (cluster !== undefined) await this.owners.reserve(host, cluster);
  }

  private file(host: string, name: string): string {
    return join(this.dir, host, `${name}.json`);
  }

  /** The same agents through other books (another server's Redis connection, say). */
  through(books: { owners: OwnerBook; registry: RegistrationBook }): AgentFleet {
    return new AgentFleet({
      owners: books.owners,
      registry: books.registry,
      dial: (registration) => this.dial(registration),
      deadlines: { statusMs: 1_500, actionMs: 60_000 },
    });
  }

  /** The agent on a host, to read or change it directly (as its operator would). */
  agent(host: string): HostAgent {
    return this.host(host).agent;
  }

  /** Simulated clients on a director: hold connections on real servers, or run a load. */
  traffic(host: string, change: Partial<SimulatedTrafficChange>): Promise<SimulatedTraffic> {
    const dataPlane = this.host(host).dataPlane;
    if (!dataPlane?.setSimulatedTraffic) throw new Error(`${host} is not a director`);
    return dataPlane.setSimulatedTraffic({ hold: [], releaseHeld: false, ...change });
  }

  /** The agent stops answering (reason given) or answers again (undefined). */
  down(host: string, reason: string | undefined): void {
    this.host(host).down = reason;
  }

  /** The host is revoked (reason) or reinstated (undefined): the fleet refuses to call it. */
  revoke(host: string, reason: string | undefined): void {
    if (reason === undefined) this.revoked.delete(host);
    else this.revoked.set(host, reason);
  }

  private host(name: string): FakeHost {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no fake agent on ${name}`);
    return host;
  }

  private dial(registration: AgentRegistration): AgentCalls {
    const reason = this.revoked.get(registration.host);
    if (reason) throw new AgentRefusedError(registration.host, reason);
    const { host: name, endpoint } = registration;
    const call = async <T>(rpc: string, run: (host: FakeHost) => Promise<T> | T): Promise<T> => {
      this.calls.push(`${rpc} ${name}`);
      const host = this.hosts.get(name);
      if (!host || host.down !== undefined)
        throw new AgentCallError(name, endpoint, rpc, GrpcStatus.UNAVAILABLE, host?.down ?? "no agent listens there");
      try {
        return await run(host);
      } catch (error) {
        if (error instanceof RpcError) throw new AgentCallError(name, endpoint, rpc, error.code, error.message);
        throw error;
      }
    };
    return {
      getState: () => call<AgentState>("GetState", (h) => h.agent.getState()),
      apply: (request) => call("Apply", (h) => h.agent.apply({ ...request, dryRun: request.dryRun ?? false })),
      start: (cluster, config: RoleConfig) => call("Start", (h) => h.agent.start(cluster, config)),
      stop: (cluster) => call("Stop", (h) => h.agent.stop(cluster)),
      runAction: (action) =>
        call("RunAction", async (h) => {
          const run = h.actions[action];
          if (!run) throw new RpcError(GrpcStatus.NOT_FOUND, `no action named ${action} in the allowlist`);
          const started = Date.now();
          const result = await run(name);
          return { exitCode: 0, output: "", durationMs: Date.now() - started, timedOut: false, ...result };
        }),
      watchEvents: (options, onEvent, onEnd) => {
        const host = this.hosts.get(name);
        if (!host || host.down !== undefined) {
          queueMicrotask(() =>
            onEnd(new AgentCallError(name, endpoint, "WatchEvents", GrpcStatus.UNAVAILABLE, host?.down ?? "no agent")),
          );
          return { cancel: () => {} };
        }
        return host.agent.watchEvents(options, onEvent, onEnd);
      },
    };
  }

  async close(): Promise<void> {
    for (const host of this.hosts.values()) await host.agent.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** lvsdr start, as the director agent does it: each VIP on the director's interface, the table. */
function directorBehaviour(): RoleBehaviour {
  return {
    intent(config, dataPlane) {
      if (config.kind !== "director") throw new RpcError(GrpcStatus.INVALID_ARGUMENT, "this host runs a director");
      const { vips, interface: iface } = config.director;
      return vipsOn(vips, iface, dataPlane?.requiredSysctls(desiredStateTable(config.director)) ?? {});
    },
    table: (config) =>
      config.kind === "director"
        ? { desired: desiredStateTable(config.director), generation: config.director.generation }
        : undefined,
    reportedSysctls: ["net.ipv4.ip_forward", "net.ipv4.vs.expire_nodest_conn", "net.ipv4.vs.expire_quiescent_template"],
  };
}

/** realdr start: each DR/TUN VIP on lo, ARP suppressed. */
function realServerBehaviour(): RoleBehaviour {
  return {
    intent(config) {
      if (config.kind !== "real-server")
        throw new RpcError(GrpcStatus.INVALID_ARGUMENT, "this host runs a real server");
      const onLo = config.realServer.vips.filter((v) => v.forwarding.some((f) => f === "dr" || f === "tun"));
      return vipsOn(
        onLo.map((v) => v.address),
        "lo",
        onLo.length > 0 ? { "net.ipv4.conf.all.arp_ignore": "1", "net.ipv4.conf.all.arp_announce": "2" } : {},
      );
    },
    table: () => undefined,
    reportedSysctls: ["net.ipv4.conf.all.arp_ignore", "net.ipv4.conf.all.arp_announce"],
  };
}

function vipsOn(vips: string[], iface: string, sysctls: Record<string, string>): HostIntent {
  return {
    addresses: vips.map((vip) => ({
      address: vip,
      prefixLength: addressFamily(vip) === "inet" ? 32 : 128,
      interface: iface,
    })),
    routes: [],
    sysctls,
  };
}

/** Host owners in memory: the first cluster to reserve a host owns it. */
export class MemoryOwners implements OwnerBook {
  readonly owners = new Map<string, string>();

  async ownersOf(hosts: readonly string[]): Promise<Map<string, string>> {
    return new Map(hosts.flatMap((h) => (this.owners.has(h) ? [[h, this.owners.get(h)!] as const] : [])));
  }

  async reserve(host: string, cluster: string): Promise<void> {
    if (!this.owners.has(host)) this.owners.set(host, cluster);
  }
}

/** Registrations in memory. */
export class MemoryRegistry implements RegistrationBook {
  readonly registrations = new Map<string, AgentRegistration>();

  async get(host: string): Promise<AgentRegistration | undefined> {
    return this.registrations.get(host);
  }

  async register(registration: AgentRegistration): Promise<void> {
    this.registrations.set(registration.host, registration);
  }
}
