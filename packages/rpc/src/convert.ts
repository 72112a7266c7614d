import type {
  AgentEvent,
  AgentInfo,
  AgentState,
  DesiredState,
  DirectorRoleConfig,
  ForwardingMethod,
  HostChange,
  HostState,
  IpvsDestination,
  IpvsDestinationConfig,
  IpvsRates,
  IpvsService,
  IpvsServiceConfig,
  IpvsStats,
  IpvsTable,
  IpvsTunnel,
  Operation,
  Protocol,
  RealServerRoleConfig,
  RoleState,
  Scheduler,
  SchedulerFlag,
  SimulatedTraffic,
} from "@lvsfleet/model";
import type { SimulatedLoadInput, SimulatedTrafficRequest } from "./agent-api.ts";
import {
  failoverBeatFromWire,
  failoverBeatToWire,
  failoverFromWire,
  failoverToWire,
  specToJson,
} from "./convert-failover.ts";
import type {
  AgentInfo as WireAgentInfo,
  AgentInfo__Output as WireAgentInfo__Output,
} from "./generated/lvsfleet/v1/AgentInfo.ts";
import type {
  AgentState as WireAgentState,
  AgentState__Output as WireAgentState__Output,
} from "./generated/lvsfleet/v1/AgentState.ts";
import type {
  Destination as WireDestination,
  Destination__Output as WireDestination__Output,
} from "./generated/lvsfleet/v1/Destination.ts";
import type { DirectorConfig as WireDirectorConfig } from "./generated/lvsfleet/v1/DirectorConfig.ts";
import type { Event as WireEvent, Event__Output as WireEvent__Output } from "./generated/lvsfleet/v1/Event.ts";
import type { Forwarding__Output as WireForwarding } from "./generated/lvsfleet/v1/Forwarding.ts";
import type { HostChange as WireHostChange } from "./generated/lvsfleet/v1/HostChange.ts";
import type {
  HostState as WireHostState,
  HostState__Output as WireHostState__Output,
} from "./generated/lvsfleet/v1/HostState.ts";
import type {
  Operation as WireOperation,
  Operation__Output as WireOperation__Output,
  _lvsfleet_v1_Operation_Kind__Output as WireOperationKind,
} from "./generated/lvsfleet/v1/Operation.ts";
import type { Protocol__Output as WireProtocol } from "./generated/lvsfleet/v1/Protocol.ts";
import type { Rates as WireRates, Rates__Output as WireRates__Output } from "./generated/lvsfleet/v1/Rates.ts";
import type { RealServerConfig as WireRealServerConfig } from "./generated/lvsfleet/v1/RealServerConfig.ts";
import type {
  Service as WireService,
  Service__Output as WireService__Output,
} from "./generated/lvsfleet/v1/Service.ts";
import type {
  SetSimulatedTrafficRequest as WireSetSimulatedTrafficRequest,
  SetSimulatedTrafficRequest__Output as WireSetSimulatedTrafficRequest__Output,
} from "./generated/lvsfleet/v1/SetSimulatedTrafficRequest.ts";
import type {
  SimulatedLoad as WireSimulatedLoad,
  SimulatedLoad__Output as WireSimulatedLoad__Output,
} from "./generated/lvsfleet/v1/SimulatedLoad.ts";
import type {
  SimulatedTraffic as WireSimulatedTraffic,
  SimulatedTraffic__Output as WireSimulatedTraffic__Output,
} from "./generated/lvsfleet/v1/SimulatedTraffic.ts";
import type { Stats as WireStats, Stats__Output as WireStats__Output } from "./generated/lvsfleet/v1/Stats.ts";
import type { Table as WireTable, Table__Output as WireTable__Output } from "./generated/lvsfleet/v1/Table.ts";
import type { Tunnel as WireTunnel, Tunnel__Output as WireTunnel__Output } from "./generated/lvsfleet/v1/Tunnel.ts";

/** Raised when a message from the other side does not make sense (an unset enum, a missing field). */
export class WireError extends Error {
  override name = "WireError";
}

function lookup<K extends string, V>(map: Record<K, V>, key: string, what: string): V {
  if (!(key in map)) throw new WireError(`unknown ${what}: ${key}`);
  return map[key as K];
}

function invert<K extends string, V extends string>(map: Record<K, V>): Record<V, K> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [v, k])) as Record<V, K>;
}

const PROTOCOL_TO_WIRE: Record<Protocol, WireProtocol> = { tcp: "TCP", udp: "UDP", sctp: "SCTP", fwmark: "FWMARK" };
export const PROTOCOL_FROM_WIRE = invert(PROTOCOL_TO_WIRE);
const FORWARDING_TO_WIRE: Record<ForwardingMethod, WireForwarding> = { dr: "DR", nat: "NAT", tun: "TUN" };
export const FORWARDING_FROM_WIRE = invert(FORWARDING_TO_WIRE);
export const FAMILY_FROM_WIRE = { INET: "inet", INET6: "inet6" } as const;
const OPERATION_TO_WIRE: Record<Operation["op"], WireOperationKind> = {
  "add-service": "ADD_SERVICE",
  "edit-service": "EDIT_SERVICE",
  "delete-service": "DELETE_SERVICE",
  "add-destination": "ADD_DESTINATION",
  "edit-destination": "EDIT_DESTINATION",
  "delete-destination": "DELETE_DESTINATION",
};
const OPERATION_FROM_WIRE = invert(OPERATION_TO_WIRE);

const TUNNEL_TYPES = { ipip: "ipip", gue: "gue", gre: "gre" } as const;
const CHECKSUMS = { nocsum: "nocsum", csum: "csum", remcsum: "remcsum" } as const;

function tunnelToWire(t: IpvsTunnel): WireTunnel {
  return { type: t.type, port: t.port ?? 0, checksum: t.checksum ?? "" };
}

function tunnelFromWire(t: WireTunnel__Output): IpvsTunnel {
  const type = lookup(TUNNEL_TYPES, t.type, "tunnel type");
  return {
    type,
    ...(type === "gue" ? { port: t.port } : {}),
    ...(t.checksum ? { checksum: lookup(CHECKSUMS, t.checksum, "tunnel checksum") } : {}),
  };
}

const statsOf = (s: IpvsStats): WireStats => ({ ...s });
const ratesOf = (r: IpvsRates): WireRates => ({ ...r });

/** Counters and rates travel only when the source reports them (absent on the wire: absent here). */
function countersFromWire(x: { stats?: WireStats__Output | null; rates?: WireRates__Output | null }): {
  stats?: IpvsStats;
  rates?: IpvsRates;
} {
  return {
    ...(x.stats
      ? {
          stats: {
            conns: x.stats.conns,
            inPkts: x.stats.inPkts,
            outPkts: x.stats.outPkts,
            inBytes: x.stats.inBytes,
            outBytes: x.stats.outBytes,
          },
        }
      : {}),
    ...(x.rates
      ? {
          rates: {
            cps: x.rates.cps,
            inPps: x.rates.inPps,
            outPps: x.rates.outPps,
            inBps: x.rates.inBps,
            outBps: x.rates.outBps,
          },
        }
      : {}),
  };
}

export function destinationToWire(d: IpvsDestinationConfig & Partial<IpvsDestination>): WireDestination {
  return {
    address: d.address,
    port: d.port,
    forwarding: FORWARDING_TO_WIRE[d.forwarding],
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
    activeConns: d.activeConns ?? 0,
    inactConns: d.inactConns ?? 0,
    persistConns: d.persistConns ?? 0,
    ...(d.tunnel ? { tunnel: tunnelToWire(d.tunnel) } : {}),
    ...(d.stats ? { stats: statsOf(d.stats) } : {}),
    ...(d.rates ? { rates: ratesOf(d.rates) } : {}),
  };
}

export function destinationFromWire(d: WireDestination__Output): IpvsDestination {
  return {
    address: d.address,
    port: d.port,
    forwarding: lookup(FORWARDING_FROM_WIRE, d.forwarding, "forwarding method"),
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
    activeConns: d.activeConns,
    inactConns: d.inactConns,
    persistConns: d.persistConns,
    ...(d.tunnel ? { tunnel: tunnelFromWire(d.tunnel) } : {}),
    ...countersFromWire(d),
  };
}

export function serviceToWire(
  s: IpvsServiceConfig & Partial<Pick<IpvsService, "destinations" | "stats" | "rates">>,
): WireService {
  return {
    protocol: PROTOCOL_TO_WIRE[s.protocol],
    address: s.address ?? "",
    port: s.port ?? 0,
    fwmark: s.fwmark ?? 0,
    family: s.family === "inet6" ? "INET6" : "INET",
    scheduler: s.scheduler,
    schedulerFlags: [...s.schedulerFlags],
    persistence: s.persistence ? { ...s.persistence } : null,
    destinations: (s.destinations ?? []).map(destinationToWire),
    onePacket: !!s.onePacket,
    ...(s.stats ? { stats: statsOf(s.stats) } : {}),
    ...(s.rates ? { rates: ratesOf(s.rates) } : {}),
  };
}

export function serviceFromWire(s: WireService__Output): IpvsService {
  const protocol = lookup(PROTOCOL_FROM_WIRE, s.protocol, "protocol");
  const fwmark = protocol === "fwmark";
  return {
    protocol,
    address: fwmark ? undefined : s.address,
    port: fwmark ? undefined : s.port,
    fwmark: fwmark ? s.fwmark : undefined,
    family: s.family === "INET6" ? "inet6" : "inet",
    scheduler: s.scheduler as Scheduler,
    schedulerFlags: s.schedulerFlags as SchedulerFlag[],
    persistence: s.persistence ? { timeout: s.persistence.timeout, netmask: s.persistence.netmask } : undefined,
    ...(s.onePacket ? { onePacket: true } : {}),
    destinations: s.destinations.map(destinationFromWire),
    ...countersFromWire(s),
  };
}

export function tableToWire(table: IpvsTable): WireTable {
  return { services: table.services.map(serviceToWire) };
}

/**
 * A table as an agent reports it (observed, applied). What an agent receives is not read with this:
 * agent-input.ts validates it with the model's schemas.
 */
export function tableFromWire(table: WireTable__Output | null | undefined): IpvsTable {
  return { services: (table?.services ?? []).map(serviceFromWire) };
}

export function operationToWire(op: Operation): WireOperation {
  return {
    kind: OPERATION_TO_WIRE[op.op],
    service: serviceToWire(op.service),
    destination: "destination" in op ? destinationToWire(op.destination) : null,
  };
}

export function operationFromWire(op: WireOperation__Output): Operation {
  const kind = lookup(OPERATION_FROM_WIRE, op.kind, "operation kind");
  if (!op.service) throw new WireError(`${kind} without a service`);
  const { destinations: _, stats: _s, rates: _r, ...service } = serviceFromWire(op.service);
  if (kind === "add-service" || kind === "edit-service" || kind === "delete-service") return { op: kind, service };
  if (!op.destination) throw new WireError(`${kind} without a destination`);
  const {
    activeConns: _a,
    inactConns: _i,
    persistConns: _p,
    stats: _ds,
    rates: _dr,
    ...destination
  } = destinationFromWire(op.destination);
  return { op: kind, service, destination };
}

export function infoToWire(info: AgentInfo): WireAgentInfo {
  return {
    host: info.host,
    role: info.role === "director" ? "DIRECTOR" : "REAL_SERVER",
    driver: info.driver,
    version: info.version,
    startedAtMs: info.startedAt,
  };
}

export function infoFromWire(info: WireAgentInfo__Output | null): AgentInfo {
  if (!info) throw new WireError("agent info missing");
  return {
    host: info.host,
    role: info.role === "DIRECTOR" ? "director" : "real-server",
    driver: info.driver,
    version: info.version,
    startedAt: info.startedAtMs,
  };
}

export function hostStateToWire(host: HostState): WireHostState {
  return {
    addresses: host.addresses.map((a) => ({ ...a, label: a.label ?? "" })),
    routes: host.routes.map((r) => ({
      destination: r.destination,
      interface: r.interface ?? "",
      via: r.via ?? "",
      table: r.table ?? "",
    })),
    sysctls: { ...host.sysctls },
  };
}

export function hostStateFromWire(host: WireHostState__Output | null): HostState {
  const optional = (s: string) => (s === "" ? undefined : s);
  return {
    addresses: (host?.addresses ?? []).map((a) => ({ ...a, label: optional(a.label) })),
    routes: (host?.routes ?? []).map((r) => ({
      destination: r.destination,
      interface: optional(r.interface),
      via: optional(r.via),
      table: optional(r.table),
    })),
    sysctls: { ...(host?.sysctls ?? {}) },
  };
}

export function stateToWire(state: AgentState): WireAgentState {
  return {
    info: infoToWire(state.info),
    cluster: state.cluster ?? "",
    roleState: state.roleState,
    table: tableToWire(state.table),
    host: hostStateToWire(state.host),
    generation: state.generation,
    problems: (state.problems ?? []).map((p) => ({ ...p })),
    ...(state.failover ? { failover: failoverToWire(state.failover) } : {}),
    ...(state.scripts
      ? {
          scripts: {
            file: state.scripts.file ?? "",
            scripts: state.scripts.scripts.map((s) => ({ name: s.name, placeholders: [...s.placeholders] })),
          },
        }
      : {}),
  };
}

export function stateFromWire(state: WireAgentState__Output | null): AgentState {
  if (!state) throw new WireError("agent state missing");
  return {
    info: infoFromWire(state.info),
    cluster: state.cluster || undefined,
    roleState: state.roleState === "running" ? "running" : "stopped",
    table: tableFromWire(state.table),
    host: hostStateFromWire(state.host),
    generation: state.generation,
    // An agent that did not check its host sends none; one that checked and found nothing, too.
    problems: (state.problems ?? []).map((p) => ({ ...p, severity: p.severity === "error" ? "error" : "warning" })),
    ...(state.failover ? { failover: failoverFromWire(state.failover) } : {}),
    ...(state.scripts
      ? {
          scripts: {
            ...(state.scripts.file ? { file: state.scripts.file } : {}),
            scripts: (state.scripts.scripts ?? []).map((s) => ({
              name: s.name,
              placeholders: [...(s.placeholders ?? [])],
            })),
          },
        }
      : {}),
  };
}

export function changesToWire(changes: HostChange[]): WireHostChange[] {
  return changes.map((c) => ({ kind: c.kind, description: c.description }));
}

/** The desired state in its one form on the wire: spec_json, or the bare table. */
export function desiredStateToWire(state: DesiredState): { specJson: string } | { desired: WireTable } {
  return state.spec ? { specJson: specToJson(state.spec) } : { desired: tableToWire(state.desired) };
}

export function directorConfigToWire(config: DirectorRoleConfig): WireDirectorConfig {
  return {
    vips: config.vips,
    interface: config.interface,
    generation: config.generation,
    ...desiredStateToWire(config),
  };
}

export function realServerConfigToWire(config: RealServerRoleConfig): WireRealServerConfig {
  return {
    vips: config.vips.map((v) => ({ address: v.address, forwarding: v.forwarding.map((f) => FORWARDING_TO_WIRE[f]) })),
    natGateway: config.natGateway ?? "",
  };
}

export function eventToWire(event: AgentEvent): WireEvent {
  const base = { timeMs: event.time, host: event.host };
  switch (event.type) {
    case "heartbeat": {
      const { type: _t, time: _time, host: _h, failover, ...heartbeat } = event;
      return { ...base, heartbeat: { ...heartbeat, ...(failover ? { failover: failoverBeatToWire(failover) } : {}) } };
    }
    case "state": {
      const { subject, from, to, detail, operations } = event;
      return {
        ...base,
        stateChange: { subject, from, to, detail, ...(operations === undefined ? {} : { operations }) },
      };
    }
    case "health": {
      const { service, address, port, from, to, reason, action, desiredWeight, effectiveWeight } = event;
      const weights =
        desiredWeight !== undefined ? { desired: desiredWeight, effective: effectiveWeight ?? -1 } : undefined;
      return {
        ...base,
        healthChange: {
          service,
          address,
          port,
          from,
          to,
          reason,
          action: action ?? "",
          ...(weights ? { weights } : {}),
        },
      };
    }
  }
}

export function eventFromWire(event: WireEvent__Output): AgentEvent {
  const base = { time: event.timeMs, host: event.host };
  if (event.heartbeat) {
    const { failover, ...heartbeat } = event.heartbeat;
    return {
      ...base,
      type: "heartbeat",
      ...heartbeat,
      roleState: heartbeat.roleState as RoleState,
      ...(failover ? { failover: failoverBeatFromWire(failover) } : {}),
    };
  }
  if (event.stateChange) {
    // the count means something for drift only (proto3 sends 0 for every other subject)
    const { operations, ...change } = event.stateChange;
    return { ...base, type: "state", ...change, ...(change.subject === "drift" ? { operations } : {}) };
  }
  if (event.healthChange) {
    const { action, weights, ...change } = event.healthChange;
    return {
      ...base,
      type: "health",
      ...change,
      ...(action ? { action } : {}),
      ...(weights ? { desiredWeight: weights.desired, effectiveWeight: weights.effective } : {}),
    };
  }
  throw new WireError("event without a kind");
}

export function simulatedLoadToWire(load: SimulatedLoadInput): WireSimulatedLoad {
  return {
    connectionsPerSecond: load.connectionsPerSecond,
    meanLifetimeSeconds: load.meanLifetimeSeconds ?? 0,
    clients: load.clients ?? 0,
  };
}

/** The wire's zeros mean "the default" for the lifetime and the client pool (proto3 has no absent numbers). */
export function simulatedLoadFromWire(load: WireSimulatedLoad__Output): unknown {
  return {
    connectionsPerSecond: load.connectionsPerSecond,
    ...(load.meanLifetimeSeconds ? { meanLifetimeSeconds: load.meanLifetimeSeconds } : {}),
    ...(load.clients ? { clients: load.clients } : {}),
  };
}

export function simulatedTrafficChangeToWire(change: SimulatedTrafficRequest): WireSetSimulatedTrafficRequest {
  return {
    load: change.load ? simulatedLoadToWire(change.load) : null,
    hold: (change.hold ?? []).map((h) => ({
      address: h.address,
      port: h.port,
      count: h.count,
      lifetimeSeconds: h.lifetimeSeconds ?? 0,
    })),
    releaseHeld: change.releaseHeld ?? false,
  };
}

/** The request as the agent validates it (with SimulatedTrafficChange): unknown input, not yet trusted. */
export function simulatedTrafficChangeFromWire(request: WireSetSimulatedTrafficRequest__Output): unknown {
  return {
    ...(request.load ? { load: simulatedLoadFromWire(request.load) } : {}),
    hold: request.hold.map((h) => ({
      address: h.address,
      port: h.port,
      count: h.count,
      lifetimeSeconds: h.lifetimeSeconds,
    })),
    releaseHeld: request.releaseHeld,
  };
}

export function simulatedTrafficToWire(traffic: SimulatedTraffic): WireSimulatedTraffic {
  return {
    load: simulatedLoadToWire(traffic.load),
    opened: traffic.opened,
    refused: traffic.refused,
    held: traffic.held,
    connections: traffic.connections,
  };
}

export function simulatedTrafficFromWire(traffic: WireSimulatedTraffic__Output): SimulatedTraffic {
  const load = traffic.load ?? { connectionsPerSecond: 0, meanLifetimeSeconds: 0, clients: 0 };
  return {
    load: {
      connectionsPerSecond: load.connectionsPerSecond,
      meanLifetimeSeconds: load.meanLifetimeSeconds,
      clients: load.clients,
    },
    opened: traffic.opened,
    refused: traffic.refused,
    held: traffic.held,
    connections: traffic.connections,
  };
}
