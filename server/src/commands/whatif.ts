import type { LifetimeDistribution, Prediction, WhatIfAnswer, WhatIfChange } from "@lvsfleet/ipvs";
import {
  type AgentState,
  type ClusterSpec,
  desiredService,
  formatEndpoint,
  type IpvsService,
  Name,
  SCHEDULER_FLAGS,
  SCHEDULERS,
  serviceKey,
  ValidationError,
  type VirtualService,
  validate,
  Weight,
} from "@lvsfleet/model";
import { describeOperation } from "@lvsfleet/planner";
import { z } from "zod";
import type { Actor } from "../access/roles.ts";
import { checkWhatIfBudget, type WhatIfWork } from "../simulation/budget.ts";
import { canRead } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { AmbiguousError, NotFoundError } from "./errors.ts";
import { parseTarget } from "./weight.ts";

/** How to ask a smaller question, when one ran out of time or memory in the simulation pool. */
const SMALLER =
  "Ask a smaller question: a lower traffic.connectionsPerSecond, a shorter traffic.durationSeconds or traffic.drainHorizonSeconds, or traffic.persistence false.";

const ServerText = z
  .string({ error: "must be a real server, ADDRESS[:PORT]" })
  .min(1, { error: "must be a real server, ADDRESS[:PORT]" });

/** A change, as the API's mutations make it: a weight, a drain (weight 0), a removal, a scheduler. */
export const WhatIfChangeInput = z.discriminatedUnion(
  "kind",
  [
    z.strictObject({ kind: z.literal("weight"), server: ServerText, weight: Weight }),
    z.strictObject({ kind: z.literal("drain"), server: ServerText }),
    z.strictObject({ kind: z.literal("remove"), server: ServerText }),
    z.strictObject({
      kind: z.literal("scheduler"),
      scheduler: z.enum(SCHEDULERS),
      schedulerFlags: z.array(z.enum(SCHEDULER_FLAGS)).default([]),
    }),
  ],
  { error: "must be a change: kind weight, drain, remove or scheduler" },
);
export type WhatIfChangeInput = z.output<typeof WhatIfChangeInput>;

const seconds = (max: number) =>
  z
    .number({ error: "must be a number of seconds" })
    .gt(0, { error: "must be greater than 0" })
    .max(max, { error: `must be at most ${max}` });

/** The clients of the prediction; anything left out comes from the live table or a default. */
export const TrafficProfile = z.strictObject({
  /** New connections per second (default: the rate the director measures, else 10). */
  connectionsPerSecond: z
    .number({ error: "must be a number" })
    .gt(0, { error: "must be greater than 0" })
    .max(10_000, { error: "must be at most 10000" })
    .optional(),
  /** Lifetime distribution (default: exponential, mean ActiveConn / rate from the live table, else 30 s). */
  lifetime: z
    .discriminatedUnion(
      "kind",
      [
        z.strictObject({ kind: z.literal("exponential"), meanSeconds: seconds(86_400) }),
        z.strictObject({ kind: z.literal("fixed"), seconds: seconds(86_400) }),
      ],
      { error: "must be {kind: exponential, meanSeconds} or {kind: fixed, seconds}" },
    )
    .optional(),
  /** Distinct client addresses (default 1000). */
  clients: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be at least 1" })
    .max(65_536, { error: "must be at most 65536" })
    .default(1000),
  /** Persistence: true as configured (360 s, ipvsadm's -p, when the service has none), false off, or these settings. */
  persistence: z
    .union([
      z.boolean(),
      z.strictObject({
        timeout: z.number().int({ error: "must be an integer" }).min(1).max(31_536_000),
        netmask: z.number().int({ error: "must be an integer" }).min(0).max(128).optional(),
      }),
    ])
    .optional(),
  /** How long to predict (default 300 s). */
  durationSeconds: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(10, { error: "must be at least 10" })
    .max(86_400, { error: "must be at most 86400" })
    .default(300),
  /** How long past the change to wait for a drained or removed server to empty (default 3600 s). */
  drainHorizonSeconds: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(0, { error: "must be 0 or more" })
    .max(86_400, { error: "must be at most 86400" })
    .default(3600),
});

export const WhatIfRequest = z.strictObject({
  /** The cluster's service, by name (default: its only service). */
  service: Name.optional(),
  change: z.union([WhatIfChangeInput, z.array(WhatIfChangeInput).min(1).max(16)], {
    error: "must be a change or a list of changes",
  }),
  traffic: TrafficProfile.default({ clients: 1000, durationSeconds: 300, drainHorizonSeconds: 3600 }),
  /** Same question, same seed: same answer (default 1). */
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31)
    .default(1),
});
export type WhatIfRequest = z.input<typeof WhatIfRequest>;

/** Where the starting table came from. */
export type WhatIfSource =
  | { kind: "director"; host: string; generation: number; activeConns: number; inactConns: number }
  | { kind: "desired"; reason: string };

/** One real server, before and after the change. */
export interface ServerComparison {
  server: string;
  address: string;
  port: number;
  weight: { before: number; after: number };
  present: { before: boolean; after: boolean };
  /** Fraction (0..1) of the new connections it receives over the duration. */
  share: { before: number; after: number };
  newConnections: { before: number; after: number };
  /** ActiveConn at the start and at the end of the duration. */
  activeConns: { now: number; before: number; after: number };
  /**
   * Seconds until it holds no connection, for a server that takes no new ones in that branch
   * (weight 0 or removed): null when that does not happen within the drain horizon. Absent for a
   * server that takes new connections.
   */
  emptyAfterSeconds: { before?: number | null; after?: number | null };
}

export interface WhatIfReport {
  cluster: string;
  service: string;
  /** `TCP 192.168.1.229:80`, `FWM 1` */
  virtualService: string;
  /** The change in words. */
  changes: string[];
  /** The table operations it becomes (what a job would run on each director). */
  operations: string[];
  source: WhatIfSource;
  traffic: {
    connectionsPerSecond: number;
    /** given, observed (the director's --rate) or default */
    connectionsPerSecondFrom: "given" | "observed" | "default";
    lifetime: LifetimeDistribution;
    lifetimeFrom: "given" | "estimated" | "default";
    clients: number;
    persistence: { timeout: number; netmask: number } | null;
    durationSeconds: number;
    drainHorizonSeconds: number;
  };
  servers: ServerComparison[];
  before: Prediction;
  after: Prediction;
}

/**
 * What a change would do, before anyone makes it: the cluster's service as a director holds it now
 * (its live connections become the simulation's existing ones; the desired table when no director
 * answers), the change, and a traffic profile run through the kernel-faithful simulator twice,
 * without and with the change. Nothing is stored, queued, audited or sent to an agent but
 * GetState. The simulation runs in the simulation pool, after a budget check, never on the event
 * loop; a full pool refuses before anything is asked of an agent. Viewer.
 */
export async function simulateChange(
  ctx: CommandContext,
  actor: Actor,
  cluster: string,
  body: unknown,
): Promise<WhatIfReport> {
  canRead(actor, cluster);
  const request = validate(WhatIfRequest, body);
  ctx.simulations.admit();
  const stored = await ctx.clusters.get(cluster);
  if (!stored) throw new NotFoundError(`no cluster named ${cluster}`);
  const service = pickService(stored.spec, request.service);
  const key = serviceKey(desiredService(service));
  const changes = Array.isArray(request.change) ? request.change : [request.change];
  const located = changes.map((change, i) => locateChange(stored.spec, service, change, i, changes.length));

  const live = await liveService(ctx, stored.spec, key);
  const table = live?.service ?? desiredService(service);
  const source: WhatIfSource = live
    ? { kind: "director", ...live.source }
    : {
        kind: "desired",
        reason:
          "no director answered with this service: predicted from the desired table, without existing connections",
      };
  const traffic = trafficOf(request.traffic, table, live !== undefined);
  const persistence =
    request.traffic.persistence === undefined
      ? "as-configured"
      : request.traffic.persistence === false
        ? "off"
        : request.traffic.persistence === true
          ? table.persistence
            ? "as-configured"
            : { timeout: 360 }
          : request.traffic.persistence;

  checkWhatIfBudget(
    workOf(
      table,
      changes,
      traffic,
      persistence === "off" ? false : persistence === "as-configured" ? !!table.persistence : true,
    ),
    ctx.simulations.budgetMs,
    {
      service: `${stored.spec.name}/${service.name}`,
      rateGiven: traffic.connectionsPerSecondFrom === "given",
      schedulerField: schedulerField(changes),
    },
  );

  let answer: WhatIfAnswer;
  try {
    answer = await ctx.simulations.run(
      {
        kind: "whatif",
        question: {
          table: { services: [table] },
          change: located.map((l) => l.change),
          workload: {
            connectionsPerSecond: traffic.connectionsPerSecond,
            lifetime: traffic.lifetime,
            clients: traffic.clients,
            durationSeconds: traffic.durationSeconds,
            drainHorizonSeconds: traffic.drainHorizonSeconds,
            persistence,
          },
          ...(live ? { sysctls: live.sysctls } : {}),
          seed: request.seed,
        },
      },
      SMALLER,
    );
  } catch (error) {
    if (error instanceof RangeError) {
      const [field, ...rest] = error.message.split(": ");
      // the live table differs from the spec (e.g. a server out of the table after a failed health check)
      throw new ValidationError([
        { field: field === "server" ? "change.server" : (field ?? "(body)"), message: rest.join(": ") },
      ]);
    }
    throw error;
  }
  return {
    cluster,
    service: service.name,
    virtualService: answer.service.toUpperCase().replace(/^FWMARK/, "FWM"),
    changes: located.map((l) => l.description(table)),
    operations: answer.operations.map(describeOperation),
    source,
    traffic: {
      ...traffic,
      persistence:
        persistence === "off"
          ? null
          : persistence === "as-configured"
            ? (table.persistence ?? null)
            : { timeout: persistence.timeout, netmask: persistence.netmask ?? (table.family === "inet6" ? 128 : 32) },
    },
    servers: compare(table, answer.before, answer.after),
    before: answer.before,
    after: answer.after,
  };
}

/** The named service, or the cluster's only one. */
function pickService(spec: ClusterSpec, name: string | undefined): VirtualService {
  const names = spec.services.map((s) => s.name);
  if (name !== undefined) {
    const found = spec.services.find((s) => s.name === name);
    if (!found)
      throw new NotFoundError(`no service ${name} in cluster ${spec.name}; services: ${names.join(", ") || "none"}`);
    return found;
  }
  if (spec.services.length === 1) return spec.services[0]!;
  if (spec.services.length === 0) throw new NotFoundError(`cluster ${spec.name} has no services`);
  throw new AmbiguousError(`cluster ${spec.name} has ${spec.services.length} services; say which (service)`, names);
}

/** The change as the simulator takes it, checked against the spec (unknown servers are a 404 with the list). */
function locateChange(
  spec: ClusterSpec,
  service: VirtualService,
  change: WhatIfChangeInput,
  index: number,
  count: number,
): { change: WhatIfChange; description: (table: IpvsService) => string } {
  const at = count > 1 ? `change[${index}]` : "change";
  if (change.kind === "scheduler")
    return {
      change: { kind: "scheduler", scheduler: change.scheduler, schedulerFlags: change.schedulerFlags },
      description: (t) =>
        `scheduler ${t.scheduler} → ${change.scheduler}${change.schedulerFlags.length ? ` (${change.schedulerFlags.join(",")})` : ""}`,
    };
  const target = parseTarget(change.server, `${at}.server`);
  const candidates = service.realServers.filter(
    (r) => r.address === target.address && (target.port === undefined || r.port === target.port),
  );
  const listed = service.realServers.map((r) => formatEndpoint(r.address, r.port));
  if (candidates.length === 0)
    throw new NotFoundError(
      `no real server ${change.server} in ${spec.name}/${service.name}; real servers: ${listed.join(", ") || "none"}`,
    );
  if (candidates.length > 1)
    throw new AmbiguousError(
      `${target.address} serves ${service.name} on ${candidates.length} ports; give the port`,
      listed,
    );
  const rs = candidates[0]!;
  const server = { address: rs.address, port: rs.port };
  const name = formatEndpoint(rs.address, rs.port);
  const weightNow = (t: IpvsService) =>
    t.destinations.find((d) => d.address === rs.address && d.port === rs.port)?.weight ?? rs.weight;
  switch (change.kind) {
    case "weight":
      return {
        change: { kind: "weight", server, weight: change.weight },
        description: (t) => `weight ${name} ${weightNow(t)} → ${change.weight}`,
      };
    case "drain":
      return { change: { kind: "drain", server }, description: (t) => `drain ${name} (weight ${weightNow(t)} → 0)` };
    case "remove":
      return { change: { kind: "remove", server }, description: () => `remove ${name} from ${service.name}` };
  }
}

/**
 * The service as a director holds it now: of the running directors that have it, the one with the
 * most connections on it (the one the clients reach), with the IPVS sysctls it reports.
 */
async function liveService(
  ctx: CommandContext,
  spec: ClusterSpec,
  key: string,
): Promise<
  | {
      service: IpvsService;
      source: { host: string; generation: number; activeConns: number; inactConns: number };
      sysctls: { expireQuiescentTemplate: boolean; expireNodestConn: boolean };
    }
  | undefined
> {
  // only this cluster's own directors (the fleet reads no other)
  const readings = await ctx.fleet.states(
    spec.name,
    spec.directors.map((d) => d.host),
    { deadline: "status" },
  );
  const states = readings.map((r) => (r.ok ? r.state : undefined));
  let best: { state: AgentState; service: IpvsService; connections: number } | undefined;
  for (const state of states) {
    if (state?.roleState !== "running") continue;
    const service = state.table.services.find((s) => serviceKey(s) === key);
    if (!service) continue;
    const connections = service.destinations.reduce((n, d) => n + d.activeConns + d.inactConns, 0);
    if (!best || connections > best.connections) best = { state, service, connections };
  }
  if (!best) return undefined;
  const { state, service } = best;
  const sysctl = (name: string) => state.host.sysctls[`net.ipv4.vs.${name}`] === "1";
  return {
    service,
    source: {
      host: state.info.host,
      generation: state.generation,
      activeConns: service.destinations.reduce((n, d) => n + d.activeConns, 0),
      inactConns: service.destinations.reduce((n, d) => n + d.inactConns, 0),
    },
    sysctls: {
      expireQuiescentTemplate: sysctl("expire_quiescent_template"),
      expireNodestConn: sysctl("expire_nodest_conn"),
    },
  };
}

/** The traffic profile with its gaps filled from the live table (the director's rate, Little's law) or defaults. */
function trafficOf(
  given: z.output<typeof TrafficProfile>,
  service: IpvsService,
  live: boolean,
): WhatIfReport["traffic"] {
  const observed = live ? (service.rates?.cps ?? 0) : 0;
  const active = service.destinations.reduce((n, d) => n + d.activeConns, 0);
  const connectionsPerSecond = given.connectionsPerSecond ?? (observed > 0 ? observed : 10);
  const estimated =
    observed > 0 && active > 0 ? Math.min(86_400, Math.max(1, Math.round(active / observed))) : undefined;
  const lifetime: LifetimeDistribution = given.lifetime ?? { kind: "exponential", meanSeconds: estimated ?? 30 };
  return {
    connectionsPerSecond,
    connectionsPerSecondFrom:
      given.connectionsPerSecond !== undefined ? "given" : observed > 0 ? "observed" : "default",
    lifetime,
    lifetimeFrom: given.lifetime ? "given" : estimated !== undefined ? "estimated" : "default",
    clients: given.clients,
    persistence: null,
    durationSeconds: given.durationSeconds,
    drainHorizonSeconds: given.drainHorizonSeconds,
  };
}

/** What the question makes the simulator do, for the budget. */
function workOf(
  table: IpvsService,
  changes: WhatIfChangeInput[],
  traffic: WhatIfReport["traffic"],
  persistent: boolean,
): WhatIfWork {
  const scheduler = changes.reduce((s, c) => (c.kind === "scheduler" ? c.scheduler : s), table.scheduler);
  // a branch watches a server that takes no new connections until it is empty (up to the horizon)
  const idleNow = table.destinations.some((d) => d.weight === 0);
  const drains = changes.some(
    (c) => c.kind === "drain" || c.kind === "remove" || (c.kind === "weight" && c.weight === 0),
  );
  return {
    realServers: table.destinations.length,
    existingConnections: table.destinations.reduce((n, d) => n + d.activeConns + d.inactConns, 0),
    connectionsPerSecond: traffic.connectionsPerSecond,
    lifetime: traffic.lifetime,
    durationSeconds: traffic.durationSeconds,
    drainHorizonSeconds: traffic.drainHorizonSeconds,
    persistent,
    schedulers: { before: table.scheduler, after: scheduler },
    waitsForDrain: { before: idleNow, after: idleNow || drains },
  };
}

/** The request path of the scheduler change that decides the new scheduler, if any. */
function schedulerField(changes: WhatIfChangeInput[]): string | undefined {
  const last = changes.findLastIndex((c) => c.kind === "scheduler");
  if (last < 0) return undefined;
  return changes.length > 1 ? `change[${last}].scheduler` : "change.scheduler";
}

function compare(table: IpvsService, before: Prediction, after: Prediction): ServerComparison[] {
  const keyOf = (d: { address: string; port: number }) => `${d.address}|${d.port}`;
  const servers = new Map<string, { address: string; port: number }>();
  for (const s of [...before.servers, ...after.servers]) servers.set(keyOf(s), { address: s.address, port: s.port });
  const lastActive = (p: Prediction, k: string) =>
    p.timeline.at(-1)?.servers.find((s) => keyOf(s) === k)?.activeConns ?? 0;
  const drained = (p: Prediction, k: string) => p.drained.find((d) => keyOf(d) === k);
  return [...servers.entries()].map(([k, { address, port }]) => {
    const b = before.servers.find((s) => keyOf(s) === k);
    const a = after.servers.find((s) => keyOf(s) === k);
    const db = drained(before, k);
    const da = drained(after, k);
    return {
      server: formatEndpoint(address, port),
      address,
      port,
      weight: { before: b?.weight ?? 0, after: a?.weight ?? 0 },
      present: { before: b?.present ?? false, after: a?.present ?? false },
      share: { before: b?.share ?? 0, after: a?.share ?? 0 },
      newConnections: { before: b?.newConnections ?? 0, after: a?.newConnections ?? 0 },
      activeConns: {
        now: table.destinations.find((d) => keyOf(d) === k)?.activeConns ?? 0,
        before: lastActive(before, k),
        after: lastActive(after, k),
      },
      emptyAfterSeconds: {
        ...(db ? { before: db.emptyAfterSeconds } : {}),
        ...(da ? { after: da.emptyAfterSeconds } : {}),
      },
    };
  });
}
