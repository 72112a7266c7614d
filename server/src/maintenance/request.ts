import {
  type ClusterSpec,
  formatEndpoint,
  parseEndpoint,
  SCRIPT_NAME,
  ValidationError,
  validate,
} from "@lvsfleet/model";
import { z } from "zod";
import { parseDuration } from "./duration.ts";
import { JOB_KINDS, type JobPlanOptions, type RollingAction, type ServerRef } from "./types.ts";

/** POST /v1/clusters/{cluster}/jobs. */
export const JobRequest = z.strictObject({
  kind: z.enum(JOB_KINDS),
  /** drain/maintenance/undrain: real servers; rolling: services, hosts or real servers ("all" or absent: all); switchover: none. */
  targets: z.unknown().optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  /** Run once at this time (ISO 8601; without an offset, in timeZone). */
  runAt: z.string().optional(),
  /** Run on this cron schedule (5 fields, or 6 with seconds), in timeZone. */
  cron: z.string().optional(),
  timeZone: z.string().optional(),
  /** The same key again (for this cluster) returns the first job instead of queueing another. */
  idempotencyKey: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, { error: "must be 1-128 letters, digits or . _ : -" })
    .optional(),
});
export type JobRequest = z.output<typeof JobRequest>;

const Duration = (field: string) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    try {
      return parseDuration(value, field);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as ValidationError).errors[0]?.message ?? "invalid duration" });
      return z.NEVER;
    }
  });

const drainFields = {
  /** Give up waiting for connections to end after this long (default 10m). */
  timeout: Duration("timeout").optional(),
  includeInactive: z.boolean().optional(),
  onTimeout: z.enum(["fail", "proceed"]).optional(),
  onRestart: z.enum(["resume", "restore"]).optional(),
};

const OPTION_SCHEMAS = {
  drain: z.strictObject({ ...drainFields, remove: z.boolean().optional() }),
  maintenance: z.strictObject({ ...drainFields, for: Duration("for").optional() }),
  undrain: z.strictObject({ onRestart: z.enum(["resume", "restore"]).optional() }),
  rolling: z.strictObject({
    ...drainFields,
    batch: z.number().int().min(1, { error: "must be at least 1" }).max(1000).optional(),
    minCapacity: z
      .number()
      .min(0, { error: "must be a percentage from 0 to 100" })
      .max(100, { error: "must be a percentage from 0 to 100" })
      .optional(),
    /** `{ "pause": "30s" }` or `{ "command": "restart-web" }` (a name from the real-server agent's allowlist). */
    action: z
      .union([
        z.strictObject({ pause: Duration("action.pause") }),
        z.strictObject({
          command: z.string().regex(SCRIPT_NAME, {
            error: "must be an action name from the agent's allowlist (lowercase letters, digits, - and _)",
          }),
        }),
      ])
      .optional(),
    healthTimeout: Duration("healthTimeout").optional(),
  }),
  switchover: z.strictObject({
    from: z.string().optional(),
    to: z.string().optional(),
    method: z.enum(["stop", "priority"]).optional(),
    verifyTimeout: Duration("verifyTimeout").optional(),
    verifyTraffic: z.boolean().optional(),
    moveBackAfter: Duration("moveBackAfter").optional(),
    onRestart: z.enum(["resume", "restore"]).optional(),
  }),
} as const;

export const DEFAULTS = {
  drainTimeoutSeconds: 600,
  healthTimeoutSeconds: 120,
  verifyTimeoutSeconds: 30,
  batch: 1,
  minCapacity: 50,
} as const;

/** A target as given: `192.168.1.220[:80]`, `{address, port?, service?}`, or for rolling a service or host name. */
const ServerTarget = z.union([
  z.string(),
  z.strictObject({
    service: z.string().optional(),
    address: z.string(),
    port: z.number().int().min(0).max(65535).optional(),
  }),
]);
const RollingTarget = z.union([
  z.string(),
  z.strictObject({ service: z.string() }),
  z.strictObject({ host: z.string() }),
  z.strictObject({
    service: z.string().optional(),
    address: z.string(),
    port: z.number().int().min(0).max(65535).optional(),
  }),
]);

const fail = (field: string, message: string) => new ValidationError([{ field, message }]);

export const describeServer = (r: ServerRef, cluster?: string) =>
  `${formatEndpoint(r.address, r.port)} in ${cluster ? `${cluster}/` : ""}${r.service}`;

function allServers(spec: ClusterSpec): ServerRef[] {
  return spec.services.flatMap((s) =>
    s.realServers.map((r) => ({ service: s.name, address: r.address, port: r.port, host: r.host })),
  );
}

function endpointOf(text: string, field: string): { address: string; port: number | undefined } {
  const endpoint = parseEndpoint(text);
  if (!endpoint)
    throw fail(field, `${JSON.stringify(text)} is not ADDRESS[:PORT] (e.g. 192.168.1.220:80 or [2001:db8::1]:80)`);
  return endpoint;
}

/** Real servers matching one target; every service that has the address, unless the target names one. */
function matchServers(
  candidates: ServerRef[],
  query: { service?: string | undefined; address: string; port?: number | undefined },
  field: string,
  spec: ClusterSpec,
): ServerRef[] {
  const { address, port } = endpointOf(
    query.port === undefined ? query.address : formatEndpoint(query.address, query.port),
    field,
  );
  if (query.service !== undefined && !spec.services.some((s) => s.name === query.service))
    throw fail(
      field,
      `no service ${query.service} in cluster ${spec.name}; services: ${spec.services.map((s) => s.name).join(", ") || "none"}`,
    );
  const found = candidates.filter(
    (c) =>
      c.address === address &&
      (port === undefined || c.port === port) &&
      (query.service === undefined || c.service === query.service),
  );
  if (found.length === 0)
    throw fail(
      field,
      `no real server ${port === undefined ? address : formatEndpoint(address, port)}${query.service ? ` in service ${query.service}` : ""} in cluster ${spec.name}; real servers: ${
        candidates.map((c) => describeServer(c)).join(", ") || "none"
      }`,
    );
  return found;
}

function unique(refs: ServerRef[]): ServerRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const key = `${r.service}|${r.address}|${r.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** drain/maintenance/undrain targets: a list (or one) of real servers. `candidates` are the servers one may name. */
export function resolveServerTargets(spec: ClusterSpec, targets: unknown, candidates = allServers(spec)): ServerRef[] {
  if (targets === undefined || (Array.isArray(targets) && targets.length === 0))
    throw fail("targets", 'name at least one real server, e.g. ["192.168.1.220:80"]');
  const list = validate(z.array(ServerTarget).max(1000), Array.isArray(targets) ? targets : [targets], ["targets"]);
  return unique(
    list.flatMap((t, i) => matchServers(candidates, typeof t === "string" ? { address: t } : t, `targets[${i}]`, spec)),
  );
}

/** rolling targets: "all" (or nothing), or services, hosts (agent host names) and real servers. */
export function resolveRollingTargets(spec: ClusterSpec, targets: unknown): ServerRef[] {
  const everything = allServers(spec);
  if (targets === undefined || targets === "all" || (Array.isArray(targets) && targets.length === 0)) {
    if (everything.length === 0) throw fail("targets", `cluster ${spec.name} has no real servers`);
    return everything;
  }
  const list = validate(z.array(RollingTarget).max(1000), Array.isArray(targets) ? targets : [targets], ["targets"]);
  return unique(
    list.flatMap((t, i): ServerRef[] => {
      const field = `targets[${i}]`;
      if (typeof t === "string") {
        const service = everything.filter((s) => s.service === t);
        if (service.length > 0) return service;
        const host = everything.filter((s) => s.host === t);
        if (host.length > 0) return host;
        if (parseEndpoint(t)) return matchServers(everything, { address: t }, field, spec);
        throw fail(field, `${JSON.stringify(t)} is no service, real-server host or address of cluster ${spec.name}`);
      }
      if ("host" in t) {
        const host = everything.filter((s) => s.host === t.host);
        if (host.length === 0) throw fail(field, `no real server of cluster ${spec.name} runs on host ${t.host}`);
        return host;
      }
      if ("address" in t) return matchServers(everything, t, field, spec);
      const service = everything.filter((s) => s.service === t.service);
      if (!spec.services.some((s) => s.name === t.service))
        throw fail(field, `no service ${t.service} in cluster ${spec.name}`);
      return service;
    }),
  );
}

function drainPart(options: { timeout?: number; includeInactive?: boolean; onTimeout?: "fail" | "proceed" }) {
  return {
    timeoutSeconds: options.timeout ?? DEFAULTS.drainTimeoutSeconds,
    includeInactive: options.includeInactive ?? false,
    onTimeout: options.onTimeout ?? "fail",
  };
}

/** The director a switchover moves the VIPs away from (the master) and the one it moves them to. */
function switchoverHosts(spec: ClusterSpec, from: string | undefined, to: string | undefined) {
  const names = spec.directors.map((d) => d.host);
  if (spec.directors.length < 2)
    throw fail("options.to", `cluster ${spec.name} has ${spec.directors.length} director(s); a switchover needs two`);
  for (const [field, host] of [
    ["options.from", from],
    ["options.to", to],
  ] as const)
    if (host !== undefined && !names.includes(host))
      throw fail(field, `no director ${host} in cluster ${spec.name}; directors: ${names.join(", ")}`);
  const byPriority = [...spec.directors].sort(
    (a, b) => (b.role === "master" ? 1 : 0) - (a.role === "master" ? 1 : 0) || b.priority - a.priority,
  );
  const source = from ?? byPriority.find((d) => d.host !== to)?.host ?? (names[0] as string);
  const target = to ?? byPriority.find((d) => d.host !== source)?.host ?? (names[1] as string);
  if (source === target) throw fail("options.to", "must be another director than options.from");
  return { from: source, to: target };
}

/** Validates a job's options for its kind and resolves them against the spec: what the job will do. */
export function planOptions(
  spec: ClusterSpec,
  kind: JobRequest["kind"],
  input: unknown,
): { plan: JobPlanOptions; onRestart: "resume" | "restore" } {
  const raw = input ?? {};
  switch (kind) {
    case "drain": {
      const o = validate(OPTION_SCHEMAS.drain, raw, ["options"]);
      return { plan: { kind, remove: o.remove ?? false, ...drainPart(o) }, onRestart: o.onRestart ?? "resume" };
    }
    case "maintenance": {
      const o = validate(OPTION_SCHEMAS.maintenance, raw, ["options"]);
      return { plan: { kind, holdSeconds: o.for, ...drainPart(o) }, onRestart: o.onRestart ?? "resume" };
    }
    case "undrain": {
      const o = validate(OPTION_SCHEMAS.undrain, raw, ["options"]);
      return { plan: { kind }, onRestart: o.onRestart ?? "resume" };
    }
    case "rolling": {
      const o = validate(OPTION_SCHEMAS.rolling, raw, ["options"]);
      const action: RollingAction =
        o.action === undefined
          ? { kind: "pause", seconds: 0 }
          : "pause" in o.action
            ? { kind: "pause", seconds: o.action.pause }
            : { kind: "command", name: o.action.command };
      return {
        plan: {
          kind,
          batch: o.batch ?? DEFAULTS.batch,
          minCapacity: o.minCapacity ?? DEFAULTS.minCapacity,
          action,
          healthTimeoutSeconds: o.healthTimeout ?? DEFAULTS.healthTimeoutSeconds,
          ...drainPart(o),
        },
        onRestart: o.onRestart ?? "resume",
      };
    }
    case "switchover": {
      const o = validate(OPTION_SCHEMAS.switchover, raw, ["options"]);
      const { from, to } = switchoverHosts(spec, o.from, o.to);
      const method = o.method ?? (spec.vrrp ? "priority" : "stop");
      if (method === "priority" && !spec.vrrp)
        throw fail(
          "options.method",
          "priority needs VRRP in the cluster spec (vrrp.instances); without it use stop (the default)",
        );
      return {
        plan: {
          kind,
          from,
          to,
          method,
          verifyTimeoutSeconds: o.verifyTimeout ?? DEFAULTS.verifyTimeoutSeconds,
          verifyTraffic: o.verifyTraffic ?? false,
          moveBackSeconds: o.moveBackAfter,
        },
        onRestart: o.onRestart ?? "resume",
      };
    }
  }
}
