import {
  type ClusterSpec,
  desiredService,
  type HealthCheck,
  type IpvsDestinationConfig,
  serviceKey,
} from "@lvsfleet/model";
import { type CheckTiming, checkTiming } from "./timing.ts";

/** One check of one real server, ready to run. */
export interface CheckPolicy {
  /** Stable while the check and its server do not change: a changed check starts afresh. */
  id: string;
  check: HealthCheck;
  timing: CheckTiming;
  /** Where a network check connects (connect_ip/connect_port, else the real server's). */
  address: string;
  port: number;
}

export interface RealServerPolicy {
  address: string;
  port: number;
  inhibitOnFailure: boolean;
  slowStartMs: number;
  checks: CheckPolicy[];
}

export interface ServicePolicy {
  /** The spec's name. */
  name: string;
  /** serviceKey of the service's table entry: how the desired table is matched. */
  key: string;
  alpha: boolean;
  quorum: number;
  hysteresis: number;
  quorumUp?: string | undefined;
  quorumDown?: string | undefined;
  sorry?: (IpvsDestinationConfig & { inhibit: boolean }) | undefined;
  realServers: RealServerPolicy[];
}

/** What the spec says about health, service by service; services without checks, quorum or sorry server too. */
export function healthPolicies(spec: ClusterSpec | undefined): ServicePolicy[] {
  if (!spec) return [];
  return spec.services.map((service) => {
    const key = serviceKey(desiredService(service));
    const sorry = service.sorryServer;
    return {
      name: service.name,
      key,
      alpha: service.alpha ?? false,
      quorum: service.quorum?.weight ?? 1,
      hysteresis: service.quorum?.hysteresis ?? 0,
      quorumUp: service.quorum?.up,
      quorumDown: service.quorum?.down,
      sorry: sorry && {
        address: sorry.address,
        port: sorry.port ?? service.port ?? 0,
        forwarding: sorry.forwarding ?? service.forwarding,
        weight: 1,
        upperThreshold: 0,
        lowerThreshold: 0,
        inhibit: sorry.inhibit ?? false,
      },
      realServers: service.realServers.map((rs) => ({
        address: rs.address,
        port: rs.port,
        inhibitOnFailure: rs.inhibitOnFailure ?? service.inhibitOnFailure,
        slowStartMs: Math.round((rs.slowStart ?? service.slowStart ?? 0) * 1_000),
        checks: (rs.healthChecks ?? []).map((check, i) => ({
          id: `${key}|${rs.address}|${rs.port}|${i}|${JSON.stringify(check)}|${JSON.stringify(checkTiming(check, service))}`,
          check,
          timing: checkTiming(check, service),
          address: check.type === "misc" ? rs.address : (check.connectIp ?? rs.address),
          port: check.type === "misc" ? rs.port : (check.connectPort ?? rs.port),
        })),
      })),
    };
  });
}

/** True when the spec asks for anything health-related at all. */
export function hasHealthPolicy(policies: readonly ServicePolicy[]): boolean {
  return policies.some((s) => s.sorry !== undefined || s.alpha || s.realServers.some((rs) => rs.checks.length > 0));
}
