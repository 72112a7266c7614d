import type {
  IpvsDestinationConfig,
  IpvsRates,
  IpvsServiceConfig,
  IpvsStats,
  IpvsTunnel,
  Protocol,
} from "@lvsfleet/model";

/** Cumulative counters plus the estimator state (net/netfilter/ipvs/ip_vs_est.c). */
export interface Counters extends IpvsStats {
  est: Estimator;
}

/** ip_vs_est.c's scaled averages and the counters at the previous 2-second sample. */
export interface Estimator {
  last: IpvsStats;
  cps: number;
  inpps: number;
  outpps: number;
  inbps: number;
  outbps: number;
}

/** A real server as the kernel's struct ip_vs_dest holds it. */
export interface SimDestination {
  address: string;
  port: number;
  forwarding: IpvsDestinationConfig["forwarding"];
  tunnel?: IpvsTunnel | undefined;
  weight: number;
  /** The latest non-zero weight (mh keeps a quiesced server's table slots with it). */
  lastWeight: number;
  upperThreshold: number;
  lowerThreshold: number;
  /** IP_VS_DEST_F_AVAILABLE: in its service's list (cleared when removed; connections may still point here). */
  available: boolean;
  /** IP_VS_DEST_F_OVERLOAD: the upper threshold was reached. */
  overloaded: boolean;
  activeConns: number;
  inactConns: number;
  persistConns: number;
  counters: Counters;
  /** Connections and templates still bound to this destination (its refcount, less the list's). */
  refs: number;
  /** Its address and port as open results give them (made once). */
  endpoint?: Readonly<{ address: string; port: number }> | undefined;
}

/** A virtual service: its settings, its destinations in the kernel's list order (newest first). */
export interface SimService {
  config: IpvsServiceConfig;
  destinations: SimDestination[];
  counters: Counters;
  scheduler: SchedulerState;
  /** The persistence templates this service used last (the simulator's lookup shortcut). */
  lastTemplateGroup?: { protocol: string; vaddr: string; vport: number; family: string; group: Map<string, unknown> };
}

/** What a scheduler sees of a new connection's first packet. */
export interface FirstPacket {
  protocol: Exclude<Protocol, "fwmark">;
  client: string;
  clientPort: number;
  virtualAddress: string;
  virtualPort: number;
}

/** The kernel's struct ip_vs_scheduler: a schedule function and the hooks for table changes. */
export interface SchedulerState {
  schedule(service: SimService, packet: FirstPacket, now: number): SimDestination | undefined;
  /** add_dest / del_dest / upd_dest, called after the list changed. */
  destinationsChanged?(
    service: SimService,
    change: "add" | "delete" | "update",
    destination: SimDestination,
    formerIndex?: number,
  ): void;
  /** A periodic timer the scheduler runs (lblc/lblcr expire their tables); returns the next due time. */
  timer?(service: SimService, now: number): number;
  readonly timerDue?: number;
}

export type { IpvsRates };
