import {
  destinationConfigOf,
  type IpvsDestination,
  type IpvsService,
  type IpvsTable,
  type Operation,
  type Scheduler,
  type SchedulerFlag,
  serviceConfigOf,
} from "@lvsfleet/model";
import { SeededRandom } from "./random.ts";
import { type SimSysctls, Simulator, type Timeouts } from "./simulator.ts";
import { clientAddress, TrafficGenerator, type Workload } from "./traffic.ts";

/** A real server of the service the question is about: address, and port when it is ambiguous. */
export interface ServerRef {
  address: string;
  port?: number;
}

/** A proposed change, in an operator's words, or raw planner operations. */
export type WhatIfChange =
  | { kind: "weight"; server: ServerRef; weight: number }
  | { kind: "drain"; server: ServerRef }
  | { kind: "remove"; server: ServerRef }
  | { kind: "scheduler"; scheduler: Scheduler; schedulerFlags?: SchedulerFlag[] }
  | { kind: "operations"; operations: Operation[] };

/** How long connections live: exponential with a mean (memoryless), or all the same. */
export type LifetimeDistribution = { kind: "exponential"; meanSeconds: number } | { kind: "fixed"; seconds: number };

export interface WhatIfWorkload {
  connectionsPerSecond: number;
  /** Mean connection lifetime in seconds (exponential; default 30). */
  meanLifetimeSeconds?: number;
  /** The lifetime distribution; overrides meanLifetimeSeconds. */
  lifetime?: LifetimeDistribution;
  /** How long past the duration to keep watching drained servers until they are empty (default 3600 s). */
  drainHorizonSeconds?: number;
  /** Distinct client addresses (default 1000). */
  clients?: number;
  /** How long to predict, in seconds (default 300). */
  durationSeconds?: number;
  /** Timeline resolution in seconds (default: 30 samples over the duration). */
  sampleEverySeconds?: number;
  /** Persistence for the prediction: as configured (default), off, or these settings. */
  persistence?: "as-configured" | "off" | { timeout: number; netmask?: number };
}

export interface WhatIfQuestion {
  /** The table as it is now, connection counts included (they become existing connections). */
  table: IpvsTable;
  /** The service the workload hits; default: the table's only (or first) service. */
  service?: { protocol?: string; address?: string; port?: number; fwmark?: number };
  change: WhatIfChange | WhatIfChange[];
  workload: WhatIfWorkload;
  timeouts?: Partial<Timeouts>;
  sysctls?: Partial<SimSysctls>;
  /** Same seed, same question → same answer (default 1). */
  seed?: number;
}

export interface ServerPrediction {
  address: string;
  port: number;
  weight: number;
  /** Whether it is in the table in this branch. */
  present: boolean;
  newConnections: number;
  /** Fraction of all new connections in the run, 0..1. */
  share: number;
}

export interface TimelinePoint {
  /** Seconds since the change. */
  t: number;
  servers: { address: string; port: number; activeConns: number; inactConns: number }[];
}

export interface Prediction {
  servers: ServerPrediction[];
  timeline: TimelinePoint[];
  /** New connections no server would take ("no destination available"). */
  refused: number;
  /**
   * For each server that takes no new connections in this branch (weight 0, or removed): the
   * seconds until it holds no connection at all, or null if that does not happen within the
   * drain horizon (1 h, or the duration if longer).
   */
  drained: { address: string; port: number; emptyAfterSeconds: number | null }[];
}

export interface WhatIfAnswer {
  service: string;
  before: Prediction;
  after: Prediction;
  /** The operations the change became. */
  operations: Operation[];
}

/**
 * Predicts what a change does before anyone makes it: the same table, existing connections
 * and seeded workload run twice through the simulator, without and with the change.
 * Pure and deterministic: the same question always gets the same answer.
 */
export function whatIf(question: WhatIfQuestion): WhatIfAnswer {
  const service = pickService(question);
  const operations = (Array.isArray(question.change) ? question.change : [question.change]).flatMap((c) =>
    changeToOperations(service, c),
  );
  return {
    service: describeService(service),
    before: predict(question, service, []),
    after: predict(question, service, operations),
    operations,
  };
}

function describeService(s: IpvsService): string {
  return s.protocol === "fwmark" ? `fwmark ${s.fwmark}` : `${s.protocol} ${s.address}:${s.port}`;
}

function pickService(question: WhatIfQuestion): IpvsService {
  const want = question.service;
  const found = question.table.services.find(
    (s) =>
      !want ||
      ((want.protocol === undefined || s.protocol === want.protocol) &&
        (want.address === undefined || s.address === want.address) &&
        (want.port === undefined || s.port === want.port) &&
        (want.fwmark === undefined || s.fwmark === want.fwmark)),
  );
  if (!found)
    throw new RangeError(want ? `service: no service matches ${JSON.stringify(want)}` : "table: has no service");
  return found;
}

function findServer(service: IpvsService, ref: ServerRef): IpvsDestination {
  const matches = service.destinations.filter(
    (d) => d.address === ref.address && (ref.port === undefined || d.port === ref.port),
  );
  if (matches.length === 0)
    throw new RangeError(
      `server: ${ref.address}${ref.port ? `:${ref.port}` : ""} is not a real server of ${describeService(service)}`,
    );
  if (matches.length > 1)
    throw new RangeError(`server: ${ref.address} has several ports in ${describeService(service)}; give the port`);
  return matches[0]!;
}

function changeToOperations(service: IpvsService, change: WhatIfChange): Operation[] {
  const config = serviceConfigOf(service);
  switch (change.kind) {
    case "weight":
    case "drain": {
      const d = findServer(service, change.server);
      const weight = change.kind === "drain" ? 0 : change.weight;
      if (!Number.isInteger(weight) || weight < 0 || weight > 65535)
        throw new RangeError("weight: must be an integer from 0 to 65535");
      return [{ op: "edit-destination", service: config, destination: { ...destinationConfigOf(d), weight } }];
    }
    case "remove":
      return [
        {
          op: "delete-destination",
          service: config,
          destination: destinationConfigOf(findServer(service, change.server)),
        },
      ];
    case "scheduler":
      return [
        {
          op: "edit-service",
          service: { ...config, scheduler: change.scheduler, schedulerFlags: change.schedulerFlags ?? [] },
        },
      ];
    case "operations":
      return change.operations;
  }
}

function predict(question: WhatIfQuestion, service: IpvsService, operations: Operation[]): Prediction {
  const w = question.workload;
  if (!(w.connectionsPerSecond > 0)) throw new RangeError("workload.connectionsPerSecond: must be greater than 0");
  const seed = question.seed ?? 1;
  const duration = (w.durationSeconds ?? 300) * 1000;
  const sampleEvery = (w.sampleEverySeconds ?? Math.max(1, Math.round((w.durationSeconds ?? 300) / 30))) * 1000;
  const lifetime = lifetimeOf(w);
  const sim = new Simulator({ seed, timeouts: question.timeouts, sysctls: question.sysctls });

  // the table as it is, with the workload's persistence choice
  const table: IpvsTable = {
    services: question.table.services.map((s) => (s === service ? withPersistence(s, w.persistence) : s)),
  };
  sim.load(table);
  const target = table.services[question.table.services.indexOf(service)]!;
  seedExisting(sim, target, lifetime, seed, w.clients ?? 1000);

  // the workload's persistence choice holds in both branches, whatever the operations say
  const overridden = w.persistence !== undefined && w.persistence !== "as-configured";
  sim.applyOperations(
    operations.map((op) =>
      overridden && sameService(op.service, target)
        ? { ...op, service: { ...op.service, persistence: target.persistence } }
        : op,
    ),
  );

  const workload: Workload = {
    target: {
      address: target.address ?? (target.family === "inet6" ? "2001:db8::" : "0.0.0.0"),
      port: target.port ?? 80,
      protocol: target.protocol === "fwmark" ? "tcp" : target.protocol,
      ...(target.fwmark !== undefined ? { fwmark: target.fwmark } : {}),
    },
    connectionsPerSecond: w.connectionsPerSecond,
    lifetime,
    clients: w.clients ?? 1000,
    seed: seed + 1,
  };
  const traffic = new TrafficGenerator(sim, workload);
  traffic.start();

  const watched = drainWatch(service, operations);
  const emptyAt = new Map<string, number>();
  const load = (d: { address: string; port: number }) => sim.destinationLoad(target, d);
  const check = () => {
    for (const d of watched) {
      const l = load(d);
      const k = `${d.address}:${d.port}`;
      if (l.activeConns + l.inactConns === 0) {
        if (!emptyAt.has(k)) emptyAt.set(k, sim.now() / 1000);
      } else emptyAt.delete(k);
    }
  };
  const timeline: TimelinePoint[] = [];
  const sample = () => {
    const s = currentService(sim, target);
    const present = s?.destinations ?? [];
    const gone = watched.filter((d) => !present.some((x) => x.address === d.address && x.port === d.port));
    timeline.push({
      t: Math.round(sim.now() / 1000),
      servers: [
        ...present.map((d) => ({
          address: d.address,
          port: d.port,
          activeConns: d.activeConns,
          inactConns: d.inactConns,
        })),
        ...gone.map((d) => ({ address: d.address, port: d.port, ...pick(load(d)) })),
      ],
    });
  };
  sample();
  check();
  for (let t = 1000; t <= duration; t += 1000) {
    sim.tick(1000);
    check();
    if (t % sampleEvery === 0) sample();
  }
  const counts = { ...traffic.counts, byDestination: new Map(traffic.counts.byDestination) };
  // keep the load running past the duration until every drained server is empty (or the horizon)
  const horizon = Math.max(duration, (w.drainHorizonSeconds ?? DRAIN_HORIZON_S) * 1000);
  while (sim.now() < horizon && watched.some((d) => !emptyAt.has(`${d.address}:${d.port}`))) {
    sim.tick(1000);
    check();
  }
  traffic.stop();

  const after = currentService(sim, target);
  const total = counts.opened;
  const share = (d: { address: string; port: number }) => {
    const n = counts.byDestination.get(`${d.address}:${d.port}`) ?? 0;
    return { newConnections: n, share: total ? n / total : 0 };
  };
  const servers: ServerPrediction[] = service.destinations.map((d) => {
    const now = after?.destinations.find((x) => x.address === d.address && x.port === d.port);
    return { address: d.address, port: d.port, weight: now?.weight ?? 0, present: !!now, ...share(d) };
  });
  for (const d of after?.destinations ?? [])
    if (!servers.some((s) => s.address === d.address && s.port === d.port))
      servers.push({ address: d.address, port: d.port, weight: d.weight, present: true, ...share(d) });
  return {
    servers,
    timeline,
    refused: counts.refused,
    drained: watched.map((d) => ({
      address: d.address,
      port: d.port,
      emptyAfterSeconds: emptyAt.get(`${d.address}:${d.port}`) ?? null,
    })),
  };
}

const DRAIN_HORIZON_S = 3600;

function lifetimeOf(w: WhatIfWorkload): LifetimeDistribution {
  const l = w.lifetime ?? { kind: "exponential", meanSeconds: w.meanLifetimeSeconds ?? 30 };
  const value = l.kind === "fixed" ? l.seconds : l.meanSeconds;
  if (!(value > 0)) throw new RangeError("workload.lifetime: must be greater than 0 seconds");
  return l;
}

const pick = (l: { activeConns: number; inactConns: number }) => ({
  activeConns: l.activeConns,
  inactConns: l.inactConns,
});

/** The servers that take no new connections once the operations are applied: weight 0 or removed. */
function drainWatch(service: IpvsService, operations: Operation[]): { address: string; port: number }[] {
  const state = new Map(
    service.destinations.map((d) => [
      `${d.address}:${d.port}`,
      { address: d.address, port: d.port, weight: d.weight, present: true },
    ]),
  );
  for (const op of operations) {
    if (!sameService(op.service, service)) continue;
    if (op.op === "edit-destination" || op.op === "add-destination")
      state.set(`${op.destination.address}:${op.destination.port}`, {
        address: op.destination.address,
        port: op.destination.port,
        weight: op.destination.weight,
        present: true,
      });
    if (op.op === "delete-destination") {
      const k = `${op.destination.address}:${op.destination.port}`;
      const s = state.get(k);
      if (s) s.present = false;
    }
    if (op.op === "delete-service") for (const s of state.values()) s.present = false;
  }
  return [...state.values()]
    .filter((s) => !s.present || s.weight === 0)
    .map(({ address, port }) => ({ address, port }));
}

function sameService(a: Operation["service"], b: IpvsService): boolean {
  return a.protocol === b.protocol && a.address === b.address && a.port === b.port && a.fwmark === b.fwmark;
}

function withPersistence(s: IpvsService, persistence: WhatIfWorkload["persistence"]): IpvsService {
  if (!persistence || persistence === "as-configured") return s;
  if (persistence === "off") return { ...s, persistence: undefined };
  return {
    ...s,
    persistence: { timeout: persistence.timeout, netmask: persistence.netmask ?? (s.family === "inet" ? 32 : 128) },
  };
}

function currentService(sim: Simulator, target: IpvsService): IpvsService | undefined {
  return sim.table().services.find((s) => sameService(s, target));
}

/**
 * Existing connections from the snapshot's counts: active ones end after their remaining lifetime
 * (exponential: memoryless, the same distribution; fixed L: uniform in [0, L], the residual life of
 * connections opened at a steady rate), inactive ones within tcpfin.
 */
function seedExisting(
  sim: Simulator,
  service: IpvsService,
  lifetime: LifetimeDistribution,
  seed: number,
  clients: number,
): void {
  const random = new SeededRandom(seed + 2);
  const timeouts = sim.timeouts();
  // existing clients come from the workload's own client pool, so their persistence templates
  // (if the service is persistent) send them back to the server they are on
  let n = 0;
  const client = () => clientAddress(service, n++ % clients);
  for (const d of service.destinations) {
    for (let i = 0; i < d.activeConns; i++)
      sim.seedConnection({
        service,
        destination: d,
        client: client(),
        clientPort: 40000,
        active: true,
        remainingSeconds:
          lifetime.kind === "fixed" ? random.next() * lifetime.seconds : random.exponential(lifetime.meanSeconds),
      });
    for (let i = 0; i < d.inactConns; i++)
      sim.seedConnection({
        service,
        destination: d,
        client: client(),
        clientPort: 40000,
        active: false,
        remainingSeconds: random.next() * (service.protocol === "udp" ? timeouts.udp : timeouts.tcpfin),
      });
  }
}
