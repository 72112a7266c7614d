import { z } from "zod";
import { canonicalIp, isIpAddress } from "./address.ts";
import { Name } from "./spec.ts";

/**
 * What a director's agent reports about health checks and VRRP: its local decisions (which real
 * servers it took out of the table or inhibited, which it is ramping up), each virtual service's
 * quorum, each VRRP instance's state, and the VIPs the host holds now. The operator's desired
 * weights are never changed by these decisions: `desiredWeight` is the spec's, `effectiveWeight`
 * is what the data plane has because of health.
 */

/** up: every check passes; down: one failed `fall` rounds in a row; unknown: no verdict yet (alpha). */
export type HealthState = "up" | "down" | "unknown";

/** One checker's view of one real server. */
export interface CheckStatus {
  /** tcp, http, https, misc or sim. */
  type: string;
  state: HealthState;
  /** The last attempt's result in words (`connected in 1.2 ms`, `connect ECONNREFUSED`). */
  detail: string;
  /** When the last round ended (ms since the epoch); absent before the first. */
  lastRound?: number | undefined;
  /** How long the last attempt took, in ms. */
  lastMs?: number | undefined;
}

/**
 * What the agent does to a real server because of health:
 * none (desired weight), inhibited (weight 0, inhibit_on_failure), removed (out of the table),
 * slow-start (ramping to the desired weight), dynamic (a MISC_CHECK with misc_dynamic set the weight),
 * quorum-lost (out of the table, or at weight 0, while the sorry server takes the traffic),
 * sorry (the sorry server itself, added while the quorum is lost).
 */
export type HealthAction = "none" | "inhibited" | "removed" | "slow-start" | "dynamic" | "quorum-lost" | "sorry";

export interface RealServerHealth {
  /** The virtual service's name in the spec. */
  service: string;
  address: string;
  port: number;
  state: HealthState;
  /** The operator's weight (the spec's); never changed by health. */
  desiredWeight: number;
  /** The weight the data plane gets; undefined when the server is out of the table. */
  effectiveWeight?: number | undefined;
  action: HealthAction;
  /** Why the server is in this state (the check that decided). */
  reason: string;
  /** When the state last changed (ms since the epoch). */
  since: number;
  checks: CheckStatus[];
}

export interface ServiceHealth {
  service: string;
  /** Sum of the desired weights of the healthy real servers. */
  healthyWeight: number;
  /** keepalived quorum (default 1). */
  quorum: number;
  quorumState: "up" | "down";
  /** absent: no sorry server; active: it takes the traffic; standby: not needed. */
  sorryServer?: "active" | "standby" | undefined;
}

/** keepalived's VRRP states, and UNKNOWN before keepalived said anything. */
export const VRRP_STATES = ["MASTER", "BACKUP", "FAULT", "STOP", "UNKNOWN"] as const;
export type VrrpState = (typeof VRRP_STATES)[number];

export interface VrrpStatus {
  instance: string;
  state: VrrpState;
  /** When the state last changed (ms since the epoch). */
  since: number;
  /** The VIPs the instance carries. */
  vips: string[];
  priority: number;
  /** The keepalived process: running, starting, restarting (it died), stopped, simulated (sim driver). */
  process: "running" | "starting" | "restarting" | "stopped" | "simulated";
  detail?: string | undefined;
}

/** The director's health and fail-over report (AgentState.failover). */
export interface FailoverReport {
  realServers: RealServerHealth[];
  services: ServiceHealth[];
  vrrp: VrrpStatus[];
  /** The cluster's VIPs this host has on an interface now. */
  vipsHeld: string[];
}

/** What a heartbeat carries of it: enough for the server to check VIP ownership continuously. */
export interface FailoverBeat {
  vipsHeld: string[];
  vrrp: { instance: string; state: VrrpState }[];
  realServersDown: number;
}

const Address = z
  .string()
  .refine(isIpAddress, { error: (issue) => `${JSON.stringify(issue.input)} is not an IPv4 or IPv6 address` })
  .transform(canonicalIp);

/**
 * Sim driver only: fail or restore a simulated real server's health (the demo and tests do this
 * instead of stopping a web server). `service` narrows it to one virtual service.
 */
export const SimulatedHealthChange = z.strictObject({
  address: Address,
  port: z.number().int().min(0).max(65535),
  healthy: z.boolean(),
  /** A virtual service's name, as the spec names it. */
  service: Name.optional(),
});
export type SimulatedHealthChange = z.output<typeof SimulatedHealthChange>;
