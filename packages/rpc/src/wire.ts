import type { WireFailover, WireFailoverBeat, WireHealthWeights } from "./wire-failover.ts";

/**
 * The messages of proto/lvsfleet/v1/agent.proto as proto-loader hands them over
 * (camelCase, enums as strings, 64-bit integers as numbers, defaults filled in).
 */
export type WireRole = "ROLE_UNSPECIFIED" | "DIRECTOR" | "REAL_SERVER";
export type WireProtocol = "PROTOCOL_UNSPECIFIED" | "TCP" | "UDP" | "SCTP" | "FWMARK";
export type WireFamily = "FAMILY_UNSPECIFIED" | "INET" | "INET6";
export type WireForwarding = "FORWARDING_UNSPECIFIED" | "DR" | "NAT" | "TUN";

export interface WireDestination {
  address: string;
  port: number;
  forwarding: WireForwarding;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  activeConns: number;
  inactConns: number;
  persistConns: number;
  tunnel?: WireTunnel | null;
  stats?: WireStats | null;
  rates?: WireRates | null;
}

export interface WireTunnel {
  type: string;
  port: number;
  checksum: string;
}

export interface WireStats {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

export interface WireRates {
  cps: number;
  inPps: number;
  outPps: number;
  inBps: number;
  outBps: number;
}

export interface WireService {
  protocol: WireProtocol;
  address: string;
  port: number;
  fwmark: number;
  family: WireFamily;
  scheduler: string;
  schedulerFlags: string[];
  persistence: { timeout: number; netmask: number } | null;
  destinations: WireDestination[];
  onePacket?: boolean;
  stats?: WireStats | null;
  rates?: WireRates | null;
}

export interface WireTable {
  services: WireService[];
}

export type WireOperationKind =
  | "KIND_UNSPECIFIED"
  | "ADD_SERVICE"
  | "EDIT_SERVICE"
  | "DELETE_SERVICE"
  | "ADD_DESTINATION"
  | "EDIT_DESTINATION"
  | "DELETE_DESTINATION";

export interface WireOperation {
  kind: WireOperationKind;
  service: WireService | null;
  destination: WireDestination | null;
}

export interface WireAgentInfo {
  host: string;
  role: WireRole;
  driver: string;
  version: string;
  startedAtMs: number;
}

export interface WireApplyRequest {
  cluster: string;
  generation: number;
  desired: WireTable | null;
  dryRun: boolean;
  specJson?: string;
}

export interface WireApplyResponse {
  operations: WireOperation[];
  observed: WireTable | null;
  generation: number;
}

export interface WireHostAddress {
  address: string;
  prefixLength: number;
  interface: string;
  label: string;
}

export interface WireHostRoute {
  destination: string;
  interface: string;
  via: string;
  table: string;
}

export interface WireHostState {
  addresses: WireHostAddress[];
  routes: WireHostRoute[];
  sysctls: Record<string, string>;
}

export interface WireProblem {
  code: string;
  severity: string;
  subject: string;
  message: string;
  fix: string;
}

export interface WireAgentState {
  info: WireAgentInfo | null;
  cluster: string;
  roleState: string;
  table: WireTable | null;
  host: WireHostState | null;
  generation: number;
  problems: WireProblem[];
  failover?: WireFailover | null;
  scripts?: WireScriptAllowlist | null;
}

export interface WireScriptAllowlist {
  file: string;
  scripts: { name: string; placeholders: string[] }[];
}

export interface WireDirectorConfig {
  vips: string[];
  interface: string;
  desired: WireTable | null;
  generation: number;
  specJson?: string;
}

export interface WireRealServerConfig {
  vips: { address: string; forwarding: WireForwarding[] }[];
  natGateway: string;
}

export interface WireStartRequest {
  cluster: string;
  director?: WireDirectorConfig | null;
  realServer?: WireRealServerConfig | null;
  config?: "director" | "realServer";
}

export interface WireHostChange {
  kind: string;
  description: string;
}

export interface WireStartResponse {
  changes: WireHostChange[];
  state: WireAgentState | null;
}

export interface WireStopRequest {
  cluster: string;
}

export interface WireWatchEventsRequest {
  heartbeatIntervalMs: number;
}

export interface WireHeartbeat {
  roleState: string;
  generation: number;
  services: number;
  destinations: number;
  activeConns: number;
  inactConns: number;
  failover?: WireFailoverBeat | null;
}

export interface WireStateChange {
  subject: string;
  from: string;
  to: string;
  detail: string;
}

export interface WireHealthChange {
  service: string;
  address: string;
  port: number;
  from: string;
  to: string;
  reason: string;
  action?: string;
  weights?: WireHealthWeights | null;
}

export interface WireEvent {
  timeMs: number;
  host: string;
  heartbeat?: WireHeartbeat | null;
  stateChange?: WireStateChange | null;
  healthChange?: WireHealthChange | null;
  kind?: "heartbeat" | "stateChange" | "healthChange";
}

export interface WireSimulatedLoad {
  connectionsPerSecond: number;
  meanLifetimeSeconds: number;
  clients: number;
}

export interface WireHeldConnections {
  address: string;
  port: number;
  count: number;
  lifetimeSeconds: number;
}

export interface WireSetSimulatedTrafficRequest {
  load: WireSimulatedLoad | null;
  hold: WireHeldConnections[];
  releaseHeld: boolean;
}

export interface WireSimulatedTraffic {
  load: WireSimulatedLoad | null;
  opened: number;
  refused: number;
  held: number;
  connections: number;
}
