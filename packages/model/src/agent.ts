import type { FailoverBeat, FailoverReport } from "./failover.ts";
import type { ForwardingMethod } from "./forwarding.ts";
import type { ScriptAllowlistReport } from "./script-allowlist.ts";
import type { ClusterSpec } from "./spec.ts";
import type { IpvsTable } from "./table.ts";

export type AgentRole = "director" | "real-server";

export interface AgentInfo {
  host: string;
  role: AgentRole;
  /** Data-plane/host driver: sim, nftables or ipvs. */
  driver: string;
  version: string;
  startedAt: number;
}

/** An address on a host interface, as `ip -j addr` reports it. */
export interface HostAddress {
  address: string;
  prefixLength: number;
  interface: string;
  /** The alias label (`eth0:1`, `lo:0`), if any. */
  label?: string | undefined;
}

export interface HostRoute {
  /** `192.168.1.229` (a host route), `default`, or a prefix. */
  destination: string;
  interface?: string | undefined;
  via?: string | undefined;
  table?: string | undefined;
}

/** What a host really has: addresses, routes and the sysctls lvsfleet cares about. */
export interface HostState {
  addresses: HostAddress[];
  routes: HostRoute[];
  sysctls: Record<string, string>;
}

export type RoleState = "running" | "stopped";

export interface AgentState {
  info: AgentInfo;
  cluster?: string | undefined;
  roleState: RoleState;
  table: IpvsTable;
  host: HostState;
  generation: number;
  /** What the agent's preflight check (doctor) found wrong with the host for its role; absent when not checked. */
  problems?: Problem[] | undefined;
  /** Directors: health checks, their local decisions, VRRP and the VIPs held (see failover.ts). */
  failover?: FailoverReport | undefined;
  /** Directors: the scripts their allowlist holds (a spec may name only those); absent: not reported. */
  scripts?: ScriptAllowlistReport | undefined;
}

/** Something a host lacks for its role, found by the agent's doctor, with the fix. */
export interface Problem {
  /** Stable identifier, e.g. `arp-ignore`, `vip-missing`, `no-ip-vs`. */
  code: string;
  /** `error`: the role does not work (or start would fail); `warning`: it works, but not as it should. */
  severity: "error" | "warning";
  /** What the problem is about: a sysctl key, an address, an interface, the data plane. */
  subject: string;
  message: string;
  /** What to run or change to fix it. */
  fix: string;
}

/** One change an agent made to its host, in words (`add 192.168.1.229/32 dev eth0 label eth0:1`). */
export interface HostChange {
  kind: string;
  description: string;
}

/**
 * A director's desired state, given once, in one of two forms: the cluster spec — its table is the
 * spec's (`desiredTable(spec)`, what `desiredStateTable` returns), and its health checks, quorum,
 * sorry servers, slow start, VRRP and scripts follow it — or a bare table (previews, tests), which
 * changes none of those.
 */
export type DesiredState = { spec: ClusterSpec; desired?: undefined } | { desired: IpvsTable; spec?: undefined };

/** What a director needs to take up its role (lvsdr.sh start). */
export type DirectorRoleConfig = {
  vips: string[];
  interface: string;
  generation: number;
} & DesiredState;

/** What a real server needs to take up its role (realdr.sh start). */
export interface RealServerRoleConfig {
  vips: { address: string; forwarding: ForwardingMethod[] }[];
  natGateway?: string | undefined;
}

export type RoleConfig =
  | { kind: "director"; director: DirectorRoleConfig }
  | { kind: "real-server"; realServer: RealServerRoleConfig };

interface EventBase {
  time: number;
  host: string;
}

export interface HeartbeatEvent extends EventBase {
  type: "heartbeat";
  roleState: RoleState;
  generation: number;
  services: number;
  destinations: number;
  activeConns: number;
  inactConns: number;
  /** Directors with health checks or VRRP: the VIPs held, VRRP states, real servers down. */
  failover?: FailoverBeat | undefined;
}

export interface StateChangeEvent extends EventBase {
  type: "state";
  /** What changed: `role`, `table`, `vrrp:<instance>`, `vip:<address>`, `quorum:<service>`, `drift`. */
  subject: string;
  from: string;
  to: string;
  detail: string;
  /** Subject `drift`: how many operations the read-back found (0 when the table is in step again). */
  operations?: number | undefined;
}

export interface HealthChangeEvent extends EventBase {
  type: "health";
  service: string;
  address: string;
  port: number;
  from: string;
  to: string;
  reason: string;
  /** What the agent did about it (`weight 3 -> 0 (inhibit_on_failure)`, `removed from the table`). */
  action?: string | undefined;
  /** The operator's weight, and the weight the data plane has now (-1: out of the table). */
  desiredWeight?: number | undefined;
  effectiveWeight?: number | undefined;
}

export type AgentEvent = HeartbeatEvent | StateChangeEvent | HealthChangeEvent;
