import * as grpc from "@grpc/grpc-js";
import {
  type ClusterSpec,
  type DesiredState,
  DesiredTable,
  DirectorStartConfig,
  type FieldError,
  Generation,
  Name,
  RealServerStartConfig,
  type RoleConfig,
  ValidationError,
  validate,
} from "@lvsfleet/model";
import type { ApplyRequest } from "./agent-api.ts";
import { FAMILY_FROM_WIRE, FORWARDING_FROM_WIRE, PROTOCOL_FROM_WIRE } from "./convert.ts";
import { specFromJson } from "./convert-failover.ts";
import { RpcError } from "./errors.ts";
import type { ApplyRequest__Output as WireApplyRequest } from "./generated/lvsfleet/v1/ApplyRequest.ts";
import type { Destination__Output as WireDestination } from "./generated/lvsfleet/v1/Destination.ts";
import type { RealServerConfig__Output as WireRealServerConfig } from "./generated/lvsfleet/v1/RealServerConfig.ts";
import type { Service__Output as WireService } from "./generated/lvsfleet/v1/Service.ts";
import type { StartRequest__Output as WireStartRequest } from "./generated/lvsfleet/v1/StartRequest.ts";
import type { StopRequest__Output as WireStopRequest } from "./generated/lvsfleet/v1/StopRequest.ts";
import type { Table__Output as WireTable } from "./generated/lvsfleet/v1/Table.ts";
import type { Tunnel__Output as WireTunnel } from "./generated/lvsfleet/v1/Tunnel.ts";

/**
 * What an agent accepts. Every request that carries something the agent renders or executes (the
 * IPVS table it turns into `ipvsadm -R` input or an nft script, the VIPs and interface it gives to
 * iproute2, the spec it turns into keepalived.conf) is checked here with the model's own schemas —
 * the rules a ClusterSpec obeys — before any handler runs, whoever sent it (mutual TLS says who
 * asked, not that the values are sound). A bad value is INVALID_ARGUMENT naming the field as the
 * request spells it (`desired.services[0].scheduler`, `director.interface`); nothing has changed.
 *
 * The wire form is first turned into plain values without trusting any of it (an enum the model
 * does not know stays as sent, so the schema names it), then validated.
 */

/** Longest error text sent back: a refusal echoes the bad value, which the caller may have made huge. */
const MAX_DETAIL = 1_000;

/** `schedulerFlags` → `scheduler_flags`: the request's fields as the proto names them. */
function wireField(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function refusalText(errors: FieldError[]): string {
  const [first] = errors;
  const text = first ? `${first.field}: ${first.message}` : "invalid request";
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  return text.length + more.length > MAX_DETAIL
    ? `${text.slice(0, MAX_DETAIL - more.length - 1)}…${more}`
    : text + more;
}

/** A refusal: INVALID_ARGUMENT with the field and the reason. */
function invalidArgument(errors: FieldError[]): RpcError {
  return new RpcError(grpc.status.INVALID_ARGUMENT, refusalText(errors));
}

/** Runs a validation of plain values made from the wire; a ValidationError becomes a refusal in proto spelling. */
function checked<T>(validation: () => T): T {
  try {
    return validation();
  } catch (error) {
    if (error instanceof ValidationError)
      throw invalidArgument(error.errors.map((e) => ({ field: wireField(e.field), message: e.message })));
    throw error;
  }
}

/** A spec_json field: JSON, then a ClusterSpec (its fields keep the spec's own spelling). */
function specOf(json: string | undefined, field: string): ClusterSpec | undefined {
  try {
    return specFromJson(json ?? "");
  } catch (error) {
    if (error instanceof ValidationError)
      throw invalidArgument(error.errors.map((e) => ({ field: `${field}: ${e.field}`, message: e.message })));
    if (error instanceof SyntaxError) throw invalidArgument([{ field, message: error.message }]);
    throw error;
  }
}

/** A wire enum name in the model's spelling; anything else (unspecified, a number) stays as sent, for the schema to refuse. */
function fromWire(map: Readonly<Record<string, string>>, value: unknown): unknown {
  return typeof value === "string" && Object.hasOwn(map, value) ? map[value] : value;
}

function tunnelInput(t: WireTunnel): unknown {
  return {
    type: t.type,
    ...(t.type === "gue" ? { port: t.port } : {}),
    ...(t.checksum !== "" ? { checksum: t.checksum } : {}),
  };
}

/** A desired real server; connection counts, stats and rates are what a data plane observes: not read. */
function destinationInput(d: WireDestination): unknown {
  return {
    address: d.address,
    port: d.port,
    forwarding: fromWire(FORWARDING_FROM_WIRE, d.forwarding),
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
    ...(d.tunnel ? { tunnel: tunnelInput(d.tunnel) } : {}),
  };
}

/** proto3 cannot leave out a string or a number: empty and 0 mean absent where the protocol allows it. */
function serviceInput(s: WireService): unknown {
  const protocol = fromWire(PROTOCOL_FROM_WIRE, s.protocol);
  const endpoint =
    protocol === "fwmark"
      ? {
          fwmark: s.fwmark,
          ...(s.address !== "" ? { address: s.address } : {}),
          ...(s.port !== 0 ? { port: s.port } : {}),
        }
      : { address: s.address, port: s.port, ...(s.fwmark !== 0 ? { fwmark: s.fwmark } : {}) };
  return {
    protocol,
    ...endpoint,
    family: fromWire(FAMILY_FROM_WIRE, s.family),
    scheduler: s.scheduler,
    schedulerFlags: s.schedulerFlags,
    ...(s.persistence ? { persistence: { timeout: s.persistence.timeout, netmask: s.persistence.netmask } } : {}),
    ...(s.onePacket ? { onePacket: true } : {}),
    destinations: s.destinations.map(destinationInput),
  };
}

/** A desired table as plain values; absent stays absent (a table is required where one is expected). */
function tableInput(table: WireTable | null | undefined): unknown {
  return table ? { services: table.services.map(serviceInput) } : undefined;
}

/**
 * The desired state in the one form it was sent in: the spec (spec_json), else the bare table,
 * which is then required (`field` names it).
 */
function desiredStateOf(
  sent: { specJson?: string | undefined; desired?: WireTable | null | undefined },
  path: string[],
): DesiredState {
  const spec = sent.specJson ? specOf(sent.specJson, [...path, "spec_json"].join(".")) : undefined;
  if (spec) return { spec };
  return { desired: checked(() => validate(DesiredTable, tableInput(sent.desired), [...path, "desired"])) };
}

/** An Apply, validated: the cluster, the generation and the desired state (the spec, or a bare table). */
export function applyRequestFromWire(request: WireApplyRequest): ApplyRequest {
  const cluster = checked(() => validate(Name, request.cluster, ["cluster"]));
  const generation = checked(() => validate(Generation, request.generation, ["generation"]));
  return { cluster, generation, dryRun: request.dryRun === true, ...desiredStateOf(request, []) };
}

function realServerInput(config: WireRealServerConfig): unknown {
  return {
    vips: config.vips.map((v) => ({
      address: v.address,
      forwarding: v.forwarding.map((f) => fromWire(FORWARDING_FROM_WIRE, f)),
    })),
    ...(config.natGateway !== "" ? { natGateway: config.natGateway } : {}),
  };
}

/** A Start, validated: the cluster and the role's config (a director's VIPs, interface and desired state; a real server's VIPs). */
export function startRequestFromWire(request: WireStartRequest): { cluster: string; config: RoleConfig } {
  const cluster = checked(() => validate(Name, request.cluster, ["cluster"]));
  const { director, realServer } = request;
  if (director) {
    const input = { vips: director.vips, interface: director.interface, generation: director.generation };
    const { desired: _none, ...config } = checked(() => validate(DirectorStartConfig, input, ["director"]));
    return {
      cluster,
      config: { kind: "director", director: { ...config, ...desiredStateOf(director, ["director"]) } },
    };
  }
  if (realServer) {
    const config = checked(() => validate(RealServerStartConfig, realServerInput(realServer), ["real_server"]));
    return { cluster, config: { kind: "real-server", realServer: config } };
  }
  throw new RpcError(grpc.status.INVALID_ARGUMENT, "start needs a director or real_server config");
}

/** A Stop, validated: the cluster. */
export function stopRequestFromWire(request: WireStopRequest): { cluster: string } {
  return { cluster: checked(() => validate(Name, request.cluster, ["cluster"])) };
}
