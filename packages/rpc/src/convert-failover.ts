import {
  type CheckStatus,
  ClusterSpec,
  type FailoverBeat,
  type FailoverReport,
  type HealthAction,
  type HealthState,
  type RealServerHealth,
  type ServiceHealth,
  VRRP_STATES,
  type VrrpState,
  type VrrpStatus,
  validate,
} from "@lvsfleet/model";
import type {
  CheckStatus as WireCheckStatus,
  CheckStatus__Output as WireCheckStatus__Output,
} from "./generated/lvsfleet/v1/CheckStatus.ts";
import type {
  Failover as WireFailover,
  Failover__Output as WireFailover__Output,
} from "./generated/lvsfleet/v1/Failover.ts";
import type {
  FailoverBeat as WireFailoverBeat,
  FailoverBeat__Output as WireFailoverBeat__Output,
} from "./generated/lvsfleet/v1/FailoverBeat.ts";
import type {
  RealServerHealth as WireRealServerHealth,
  RealServerHealth__Output as WireRealServerHealth__Output,
} from "./generated/lvsfleet/v1/RealServerHealth.ts";
import type {
  ServiceHealth as WireServiceHealth,
  ServiceHealth__Output as WireServiceHealth__Output,
} from "./generated/lvsfleet/v1/ServiceHealth.ts";
import type {
  VrrpStatus as WireVrrpStatus,
  VrrpStatus__Output as WireVrrpStatus__Output,
} from "./generated/lvsfleet/v1/VrrpStatus.ts";

const HEALTH_STATES: readonly HealthState[] = ["up", "down", "unknown"];
const ACTIONS: readonly HealthAction[] = [
  "none",
  "inhibited",
  "removed",
  "slow-start",
  "dynamic",
  "quorum-lost",
  "sorry",
];
const PROCESSES: readonly VrrpStatus["process"][] = ["running", "starting", "restarting", "stopped", "simulated"];

const oneOf = <T extends string>(values: readonly T[], value: string, fallback: T): T =>
  (values as readonly string[]).includes(value) ? (value as T) : fallback;

export const healthStateFromWire = (s: string): HealthState => oneOf(HEALTH_STATES, s, "unknown");
export const vrrpStateFromWire = (s: string): VrrpState => oneOf(VRRP_STATES, s, "UNKNOWN");

/** Each spec's JSON, once: a stored spec is shared read-only, and one change sends it to every director. */
const specJson = new WeakMap<ClusterSpec, string>();

/** The spec travels as JSON and is validated by the agent with the same schema as the server's. */
export function specToJson(spec: ClusterSpec | undefined): string {
  if (!spec) return "";
  let json = specJson.get(spec);
  if (json === undefined) {
    json = JSON.stringify(spec);
    specJson.set(spec, json);
  }
  return json;
}

/** Parses and validates a spec_json field; throws a ValidationError (or SyntaxError) when it is bad. */
export function specFromJson(json: string): ClusterSpec | undefined {
  if (json === "") return undefined;
  return validate(ClusterSpec, JSON.parse(json), ["spec"]);
}

function checkToWire(c: CheckStatus): WireCheckStatus {
  return { type: c.type, state: c.state, detail: c.detail, lastRoundMs: c.lastRound ?? 0, lastMs: c.lastMs ?? 0 };
}

function checkFromWire(c: WireCheckStatus__Output): CheckStatus {
  return {
    type: c.type,
    state: healthStateFromWire(c.state),
    detail: c.detail,
    ...(c.lastRoundMs ? { lastRound: c.lastRoundMs, lastMs: c.lastMs } : {}),
  };
}

export function realServerHealthToWire(h: RealServerHealth): WireRealServerHealth {
  return {
    service: h.service,
    address: h.address,
    port: h.port,
    state: h.state,
    desiredWeight: h.desiredWeight,
    effectiveWeight: h.effectiveWeight ?? -1,
    action: h.action,
    reason: h.reason,
    sinceMs: h.since,
    checks: h.checks.map(checkToWire),
  };
}

export function realServerHealthFromWire(h: WireRealServerHealth__Output): RealServerHealth {
  return {
    service: h.service,
    address: h.address,
    port: h.port,
    state: healthStateFromWire(h.state),
    desiredWeight: h.desiredWeight,
    effectiveWeight: h.effectiveWeight < 0 ? undefined : h.effectiveWeight,
    action: oneOf(ACTIONS, h.action, "none"),
    reason: h.reason,
    since: h.sinceMs,
    checks: h.checks.map(checkFromWire),
  };
}

function serviceHealthToWire(s: ServiceHealth): WireServiceHealth {
  return {
    service: s.service,
    healthyWeight: s.healthyWeight,
    quorum: s.quorum,
    quorumState: s.quorumState,
    sorryServer: s.sorryServer ?? "",
  };
}

function serviceHealthFromWire(s: WireServiceHealth__Output): ServiceHealth {
  return {
    service: s.service,
    healthyWeight: s.healthyWeight,
    quorum: s.quorum,
    quorumState: s.quorumState === "down" ? "down" : "up",
    ...(s.sorryServer === "active" || s.sorryServer === "standby" ? { sorryServer: s.sorryServer } : {}),
  };
}

function vrrpToWire(v: VrrpStatus): WireVrrpStatus {
  return {
    instance: v.instance,
    state: v.state,
    sinceMs: v.since,
    vips: [...v.vips],
    priority: v.priority,
    process: v.process,
    detail: v.detail ?? "",
  };
}

function vrrpFromWire(v: WireVrrpStatus__Output): VrrpStatus {
  return {
    instance: v.instance,
    state: vrrpStateFromWire(v.state),
    since: v.sinceMs,
    vips: [...v.vips],
    priority: v.priority,
    process: oneOf(PROCESSES, v.process, "stopped"),
    ...(v.detail ? { detail: v.detail } : {}),
  };
}

export function failoverToWire(report: FailoverReport): WireFailover {
  return {
    realServers: report.realServers.map(realServerHealthToWire),
    services: report.services.map(serviceHealthToWire),
    vrrp: report.vrrp.map(vrrpToWire),
    vipsHeld: [...report.vipsHeld],
  };
}

export function failoverFromWire(report: WireFailover__Output): FailoverReport {
  return {
    realServers: report.realServers.map(realServerHealthFromWire),
    services: report.services.map(serviceHealthFromWire),
    vrrp: report.vrrp.map(vrrpFromWire),
    vipsHeld: [...report.vipsHeld],
  };
}

export function failoverBeatToWire(beat: FailoverBeat): WireFailoverBeat {
  return {
    vipsHeld: [...beat.vipsHeld],
    vrrp: beat.vrrp.map((v) => ({ instance: v.instance, state: v.state })),
    realServersDown: beat.realServersDown,
  };
}

export function failoverBeatFromWire(beat: WireFailoverBeat__Output): FailoverBeat {
  return {
    vipsHeld: [...beat.vipsHeld],
    vrrp: beat.vrrp.map((v) => ({ instance: v.instance, state: vrrpStateFromWire(v.state) })),
    realServersDown: beat.realServersDown,
  };
}
