import {
  type ClusterSpec,
  type ClusterSpecInput,
  clusterHosts,
  ClusterSpec as SpecSchema,
  validate,
} from "@lvsfleet/model";
import type { Redis } from "ioredis";
import pino from "pino";
import { SYSTEM } from "../../src/access/roles.ts";
import { AgentEffects, AgentHealthView } from "../../src/commands/maintenance-world.ts";
import { ClusterLock } from "../../src/maintenance/lock.ts";
import { type RunOutcome, runMaintenanceJob } from "../../src/maintenance/runner.ts";
import { MaintenanceStore, maintenanceKeys } from "../../src/maintenance/store.ts";
import type { JobEvent, JobPlanOptions, MaintenanceJob, ServerRef } from "../../src/maintenance/types.ts";
import { ClusterApplier } from "../../src/queue/applier.ts";
import { changeRoles } from "../../src/queue/host-roles.ts";
import { AgentRegistry } from "../../src/store/agents.ts";
import { ClusterWriter } from "../../src/store/cluster-writer.ts";
import { ClusterStore } from "../../src/store/clusters.ts";
import { HostOwners } from "../../src/store/host-owners.ts";
import { keys } from "../../src/store/keys.ts";
import { type FakeAction, FakeFleet } from "../support/fake-fleet.ts";
import type { PrivateRedis } from "../support/redis.ts";

/** Two directors and three real servers (each with its agent), one service on one VIP. */
export const CLUSTER: ClusterSpecInput = {
  name: "web",
  vips: ["198.18.0.100"],
  directors: [
    { host: "lb1", address: "198.18.0.2", role: "master", priority: 100, interface: "eth0" },
    { host: "lb2", address: "198.18.0.3", role: "backup", priority: 90, interface: "eth0" },
  ],
  services: [
    {
      name: "http",
      protocol: "tcp",
      address: "198.18.0.100",
      port: 80,
      scheduler: "wrr",
      forwarding: "dr",
      realServers: [
        { address: "198.18.1.1", port: 80, weight: 2, host: "web1" },
        { address: "198.18.1.2", port: 80, weight: 1, host: "web2" },
        { address: "198.18.1.3", port: 80, weight: 1, host: "web3" },
      ],
    },
  ],
};

export const server = (n: 1 | 2 | 3): ServerRef => ({
  service: "http",
  address: `198.18.1.${n}`,
  port: 80,
  host: `web${n}`,
});

let worlds = 0;

/**
 * One server's maintenance machinery on a private Redis (store, lock, cluster store and writer,
 * host owners and registry) over a fake fleet of in-process agents, with the cluster stored and
 * every host started. Each world has its own key prefix.
 */
export class World {
  readonly prefix = `unit${process.pid}-${++worlds}`;
  readonly fleet: FakeFleet;
  readonly clusters: ClusterStore;
  readonly registry: AgentRegistry;
  readonly owners: HostOwners;
  readonly events: JobEvent[] = [];
  private seq = 0;

  private constructor(
    private readonly redis: PrivateRedis,
    private readonly connection: Redis,
  ) {
    const k = keys(this.prefix);
    this.clusters = new ClusterStore(connection, k);
    this.registry = new AgentRegistry(connection, k);
    this.owners = new HostOwners(connection, k);
    this.fleet = new FakeFleet({ owners: this.owners, registry: this.registry });
  }

  static async create(
    redis: PrivateRedis,
    options: { spec?: ClusterSpecInput; actions?: Record<string, FakeAction> } = {},
  ): Promise<World> {
    const world = new World(redis, redis.connect());
    const spec = validate(SpecSchema, options.spec ?? CLUSTER);
    for (const h of clusterHosts(spec)) {
      if (h.kind === "director")
        await world.fleet.director(h.host, { cluster: spec.name, address: h.director.address });
      else await world.fleet.realServer(h.host, { cluster: spec.name, actions: options.actions ?? {} });
      await world.registry.setLiveness(h.host, { reachable: true, roleState: "running", since: Date.now() });
    }
    const generation = await world.clusters.put(spec, 0);
    await changeRoles(world.fleet, spec, generation, "start", undefined);
    return world;
  }

  /** A server's runner parts on its own Redis connection (stop it by closing that connection). */
  engine(options: { lockMs?: number; pollMs?: number; onEvent?: (event: JobEvent) => void } = {}) {
    const connection = this.redis.connect();
    const k = keys(this.prefix);
    const clusters = new ClusterStore(connection, k);
    const registry = new AgentRegistry(connection, k);
    const owners = new HostOwners(connection, k);
    const fleet = this.fleet.through({ owners, registry });
    const applier = new ClusterApplier(clusters, fleet);
    const store = new MaintenanceStore(connection, maintenanceKeys(this.prefix), { count: 100, seconds: 3_600 });
    const lock = new ClusterLock(connection, maintenanceKeys(this.prefix), options.lockMs ?? 2_000);
    const effects = new AgentEffects(
      clusters,
      new ClusterWriter(clusters),
      applier,
      fleet,
      new AgentHealthView(fleet, registry),
    );
    const deps = {
      store,
      lock,
      effects,
      log: pino({ level: "silent" }),
      pollMs: options.pollMs ?? 20,
      onEvent: (_job: MaintenanceJob, event: JobEvent) => {
        this.events.push(event);
        options.onEvent?.(event);
      },
    };
    return {
      store,
      lock,
      run: (id: string): Promise<RunOutcome> => runMaintenanceJob(deps, id),
      /** The server dies: every later call of this engine to Redis fails. */
      kill: () => connection.disconnect(),
    };
  }

  /** A new job, as a command would store it (not started). */
  async submit(
    plan: JobPlanOptions,
    servers: ServerRef[],
    options: { onRestart?: "resume" | "restore" } = {},
  ): Promise<MaintenanceJob> {
    const store = new MaintenanceStore(this.connection, maintenanceKeys(this.prefix), { count: 100, seconds: 3_600 });
    const job: MaintenanceJob = {
      id: `job-${++this.seq}`,
      seq: await store.nextSeq(),
      kind: plan.kind,
      cluster: "web",
      command: `${plan.kind} (test)`,
      request: { targets: servers, options: {} },
      plan,
      servers,
      actor: { ...SYSTEM, name: "test" },
      onRestart: options.onRestart ?? "resume",
      state: "queued",
      steps: [],
      stepIndex: 0,
      changed: [],
      runs: 0,
      createdAt: Date.now(),
    };
    return (await store.create(job)).job;
  }

  /** Runs a job with an engine until it finishes (waiting its turn as the service would). */
  async finish(engine: ReturnType<World["engine"]>, id: string): Promise<MaintenanceJob> {
    for (;;) {
      const outcome = await engine.run(id);
      if (outcome.kind === "finished") return outcome.job;
      if (outcome.kind === "lost") throw new Error(`job ${id} lost its cluster`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async job(id: string): Promise<MaintenanceJob> {
    const store = new MaintenanceStore(this.connection, maintenanceKeys(this.prefix), { count: 100, seconds: 3_600 });
    return (await store.get(id))!;
  }

  /** What a command does to a running job: cancel, pause, end (a hold), or resume (the control cleared). */
  async control(id: string, control: "cancel" | "pause" | "end" | "resume"): Promise<void> {
    const store = new MaintenanceStore(this.connection, maintenanceKeys(this.prefix), { count: 100, seconds: 3_600 });
    await store.update(id, (j) => ({ ...j, control: control === "resume" ? undefined : control }));
  }

  async marks(): Promise<string[]> {
    const store = new MaintenanceStore(this.connection, maintenanceKeys(this.prefix), { count: 100, seconds: 3_600 });
    return [...(await store.marks("web")).keys()].sort();
  }

  async spec(): Promise<ClusterSpec> {
    return (await this.clusters.get("web"))!.spec;
  }

  /** Each real server's weight in the stored spec and in each director's table. */
  async weights(): Promise<{ spec: Record<string, number>; lb1: Record<string, number>; lb2: Record<string, number> }> {
    const spec = Object.fromEntries(
      (await this.spec()).services.flatMap((s) => s.realServers.map((r) => [r.address, r.weight])),
    );
    const table = async (host: string) =>
      Object.fromEntries(
        (await this.fleet.state("web", host)).table.services.flatMap((s) =>
          s.destinations.map((d) => [d.address, d.weight]),
        ),
      );
    return { spec, lb1: await table("lb1"), lb2: await table("lb2") };
  }

  async close(): Promise<void> {
    await this.fleet.close();
  }
}
