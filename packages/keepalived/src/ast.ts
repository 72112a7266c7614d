import type { SourceLocation } from "./diagnostics.ts";

/**
 * The parts of a keepalived.conf that describe LVS, as the parser understands them. Values are
 * keepalived's (its keywords, units and defaults); the mapping to lvsfleet's ClusterSpec is
 * to-spec.ts. Statements the grammar accepts but does not interpret are kept in `extra` so that
 * nothing is silently dropped and the renderer can write them back.
 */
export interface KeepalivedConfig {
  globalDefs?: GlobalDefs | undefined;
  vrrpSyncGroups: VrrpSyncGroupNode[];
  vrrpInstances: VrrpInstanceNode[];
  virtualServerGroups: VirtualServerGroupNode[];
  virtualServers: VirtualServerNode[];
  extra: RawStatement[];
}

/** A statement kept as written: keyword, arguments and block. */
export interface RawStatement {
  keyword: string;
  args: string[];
  block?: RawStatement[] | undefined;
  at?: SourceLocation | undefined;
}

export interface GlobalDefs {
  routerId?: string | undefined;
  extra: RawStatement[];
  at?: SourceLocation | undefined;
}

/** A script and the user/group keepalived runs it as. */
export interface ScriptNode {
  command: string;
  user?: string | undefined;
  group?: string | undefined;
}

export interface NotifyNodes {
  master?: ScriptNode | undefined;
  backup?: ScriptNode | undefined;
  fault?: ScriptNode | undefined;
  stop?: ScriptNode | undefined;
  any?: ScriptNode | undefined;
}

export interface VrrpSyncGroupNode {
  name: string;
  instances: string[];
  notify: NotifyNodes;
  extra: RawStatement[];
  at?: SourceLocation | undefined;
}

export interface VirtualIpAddressNode {
  address: string;
  prefix?: number | undefined;
  /** dev, label, brd, scope and the other `ip address add` options, as written. */
  options: string[];
  at?: SourceLocation | undefined;
}

export interface UnicastPeerNode {
  address: string;
  options: string[];
}

export interface VrrpInstanceNode {
  name: string;
  state?: "MASTER" | "BACKUP" | undefined;
  interface?: string | undefined;
  virtualRouterId?: number | undefined;
  priority?: number | undefined;
  advertInt?: number | undefined;
  version?: 2 | 3 | undefined;
  authentication?: { type?: "PASS" | "AH" | undefined; password?: string | undefined } | undefined;
  virtualIpAddresses: VirtualIpAddressNode[];
  mcastSrcIp?: string | undefined;
  unicastSrcIp?: string | undefined;
  unicastPeers: UnicastPeerNode[];
  nopreempt: boolean;
  preemptDelay?: number | undefined;
  /** garp_master_repeat, garp_master_delay, garp_master_refresh, garp_master_refresh_repeat. */
  garp?: { repeat?: number; delay?: number; refresh?: number; refreshRepeat?: number } | undefined;
  notify: NotifyNodes;
  extra: RawStatement[];
  at?: SourceLocation | undefined;
}

export type VirtualServerGroupEntry =
  | {
      kind: "address";
      /** First address of the range (or the only one). */
      address: string;
      /** Last address of an a.b.c.d-e or a-b range, inclusive. */
      last?: string | undefined;
      /** a.b.c.d/nn range. */
      prefix?: number | undefined;
      port?: number | undefined;
      at?: SourceLocation | undefined;
    }
  | { kind: "fwmark"; mark: number; family?: "inet" | "inet6" | undefined; at?: SourceLocation | undefined };

export interface VirtualServerGroupNode {
  name: string;
  entries: VirtualServerGroupEntry[];
  at?: SourceLocation | undefined;
}

export type ForwardingNode = { kind: "NAT" | "DR" } | { kind: "TUN"; options: string[] };

/** Timing a virtual server or real server passes down to its checkers. */
export interface CheckerDefaults {
  connectTimeout?: number | undefined;
  retry?: number | undefined;
  delayBeforeRetry?: number | undefined;
  delayLoop?: number | undefined;
  warmup?: number | undefined;
}

export type VirtualServerTarget =
  | { kind: "address"; address: string; port?: number | undefined }
  | { kind: "fwmark"; mark: number }
  | { kind: "group"; name: string };

export interface VirtualServerNode {
  target: VirtualServerTarget;
  /** snmp_name: free text identifying the service; lvsfleet writes the service's name there. */
  name?: string | undefined;
  /** lvs_sched (lb_algo). */
  scheduler?: string | undefined;
  /** flag-1, flag-2, sh-port, sh-fallback, mh-port, mh-fallback, ops. */
  flags: string[];
  /** lvs_method (lb_kind). */
  forwarding?: ForwardingNode | undefined;
  protocol?: "TCP" | "UDP" | "SCTP" | undefined;
  /** persistence_timeout; without a value keepalived uses 360. */
  persistenceTimeout?: number | undefined;
  /** persistence_granularity as a prefix length. */
  persistenceGranularity?: number | undefined;
  ipFamily?: "inet" | "inet6" | undefined;
  inhibitOnFailure?: boolean | undefined;
  alpha: boolean;
  omega: boolean;
  quorum?: number | undefined;
  hysteresis?: number | undefined;
  quorumUp?: ScriptNode | undefined;
  quorumDown?: ScriptNode | undefined;
  sorryServer?: { address: string; port?: number | undefined; at?: SourceLocation | undefined } | undefined;
  sorryServerInhibit: boolean;
  sorryServerForwarding?: ForwardingNode | undefined;
  virtualhost?: string | undefined;
  /** delay_loop, connect_timeout, retry, delay_before_retry, warmup at virtual_server level. */
  checkerDefaults: CheckerDefaults;
  realServers: RealServerNode[];
  extra: RawStatement[];
  at?: SourceLocation | undefined;
}

export interface RealServerNode {
  address: string;
  port?: number | undefined;
  weight?: number | undefined;
  forwarding?: ForwardingNode | undefined;
  inhibitOnFailure?: boolean | undefined;
  upperThreshold?: number | undefined;
  lowerThreshold?: number | undefined;
  virtualhost?: string | undefined;
  checkerDefaults: CheckerDefaults;
  checkers: CheckerNode[];
  extra: RawStatement[];
  at?: SourceLocation | undefined;
}

interface CheckerCommon extends CheckerDefaults {
  connectIp?: string | undefined;
  connectPort?: number | undefined;
  bindTo?: string | undefined;
  extra: RawStatement[];
  at?: SourceLocation | undefined;
}

export interface TcpCheckNode extends CheckerCommon {
  type: "TCP_CHECK";
}

export interface UrlNode {
  path?: string | undefined;
  digest?: string | undefined;
  statusCodes?: string[] | undefined;
  virtualhost?: string | undefined;
  extra: RawStatement[];
  at?: SourceLocation | undefined;
}

export interface HttpCheckNode extends CheckerCommon {
  type: "HTTP_GET" | "SSL_GET";
  urls: UrlNode[];
  virtualhost?: string | undefined;
  enableSni: boolean;
}

export interface MiscCheckNode extends CheckerCommon {
  type: "MISC_CHECK";
  path?: ScriptNode | undefined;
  timeout?: number | undefined;
  dynamic: boolean;
}

/** SMTP_CHECK, DNS_CHECK, UDP_CHECK, PING_CHECK, BFD_CHECK, FILE_CHECK: kept as written. */
export interface OtherCheckNode {
  type: "OTHER";
  statement: RawStatement;
  at?: SourceLocation | undefined;
}

export type CheckerNode = TcpCheckNode | HttpCheckNode | MiscCheckNode | OtherCheckNode;

export function emptyConfig(): KeepalivedConfig {
  return { vrrpSyncGroups: [], vrrpInstances: [], virtualServerGroups: [], virtualServers: [], extra: [] };
}
