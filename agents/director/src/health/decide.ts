import {
  destinationKey,
  type HealthAction,
  type HealthState,
  type IpvsDestination,
  type IpvsTable,
  NO_CONNECTIONS,
  type ServiceHealth,
  serviceKey,
} from "@lvsfleet/model";
import type { RealServerPolicy, ServicePolicy } from "./policy.ts";
import { nextQuorumState } from "./quorum.ts";
import { slowStartWeight } from "./slow-start.ts";

/** What the checks say about one real server now. */
export interface ServerHealth {
  state: HealthState;
  reason: string;
  /** When it came back up after being down (slow start counts from here); absent: never was down. */
  recoveredAt?: number | undefined;
  /** A MISC_CHECK with misc_dynamic set this weight. */
  dynamicWeight?: number | undefined;
}

export interface ServerDecision {
  service: string;
  address: string;
  port: number;
  state: HealthState;
  reason: string;
  desiredWeight: number;
  /** undefined: out of the table. */
  effectiveWeight: number | undefined;
  action: HealthAction;
}

export interface Decisions {
  /** desired ⊕ the local overrides: what the data plane gets. */
  table: IpvsTable;
  realServers: ServerDecision[];
  services: ServiceHealth[];
  /** Each service's quorum state, to pass to the next call (hysteresis). */
  quorum: Map<string, "up" | "down">;
}

const UP: ServerHealth = { state: "up", reason: "no health checks" };

/**
 * Applies what the agent decided locally to the operator's desired table, keepalived's way:
 * a failed real server is removed, or kept at weight 0 with inhibit_on_failure; a recovered one gets
 * its weight back (ramping over slow start); a MISC_CHECK with misc_dynamic sets the weight; when
 * the healthy weight falls below the quorum and there is a sorry server, every real server leaves
 * (or is inhibited) and the sorry server takes the traffic. The desired weights are never changed:
 * they are read from `desired`, which this function does not modify. Pure.
 */
export function decide(
  desired: IpvsTable,
  policies: readonly ServicePolicy[],
  health: (service: ServicePolicy, server: RealServerPolicy) => ServerHealth,
  previousQuorum: ReadonlyMap<string, "up" | "down">,
  now: number,
): Decisions {
  const byKey = new Map(policies.map((p) => [p.key, p]));
  const realServers: ServerDecision[] = [];
  const services: ServiceHealth[] = [];
  const quorum = new Map<string, "up" | "down">();
  const table: IpvsTable = {
    services: desired.services.map((service) => {
      const policy = byKey.get(serviceKey(service));
      if (!policy) return service;
      const servers = new Map(policy.realServers.map((rs) => [destinationKey(rs), rs]));
      const rows = service.destinations.map((d) => {
        const rs = servers.get(destinationKey(d));
        const h = rs ? health(policy, rs) : UP;
        return { d, rs, h, base: h.state === "up" ? (h.dynamicWeight ?? d.weight) : 0 };
      });
      const healthyWeight = rows.reduce((sum, r) => sum + r.base, 0);
      const quorumState = nextQuorumState(
        previousQuorum.get(policy.key),
        healthyWeight,
        policy.quorum,
        policy.hysteresis,
      );
      quorum.set(policy.key, quorumState);
      const sorryActive = policy.sorry !== undefined && quorumState === "down";
      const destinations: IpvsDestination[] = [];
      for (const { d, rs, h, base } of rows) {
        const inhibit = rs?.inhibitOnFailure ?? false;
        let weight: number | undefined = base;
        let action: HealthAction = "none";
        if (sorryActive) {
          weight = inhibit ? 0 : undefined;
          action = "quorum-lost";
        } else if (h.state !== "up") {
          weight = inhibit ? 0 : undefined;
          action = inhibit ? "inhibited" : "removed";
        } else {
          if (h.dynamicWeight !== undefined && h.dynamicWeight !== d.weight) action = "dynamic";
          const ramp = rs?.slowStartMs ?? 0;
          if (h.recoveredAt !== undefined && ramp > 0 && now - h.recoveredAt < ramp) {
            const ramped = slowStartWeight(base, now - h.recoveredAt, ramp);
            if (ramped !== base) {
              weight = ramped;
              action = "slow-start";
            }
          }
        }
        if (weight !== undefined) destinations.push({ ...d, weight });
        realServers.push({
          service: policy.name,
          address: d.address,
          port: d.port,
          state: h.state,
          reason: h.reason,
          desiredWeight: d.weight,
          effectiveWeight: weight,
          action,
        });
      }
      const sorry = policy.sorry;
      if (sorry && (sorryActive || sorry.inhibit)) {
        const { inhibit: _, ...config } = sorry;
        const existing = destinations.findIndex((x) => destinationKey(x) === destinationKey(sorry));
        const entry = { ...config, ...NO_CONNECTIONS, weight: sorryActive ? 1 : 0 };
        if (existing >= 0)
          destinations[existing] = { ...(destinations[existing] as IpvsDestination), weight: entry.weight };
        else destinations.push(entry);
        realServers.push({
          service: policy.name,
          address: sorry.address,
          port: sorry.port,
          state: "up",
          reason: sorryActive ? "quorum lost: the sorry server takes the traffic" : "sorry server, standing by",
          desiredWeight: 0,
          effectiveWeight: entry.weight,
          action: "sorry",
        });
      }
      services.push({
        service: policy.name,
        healthyWeight,
        quorum: policy.quorum,
        quorumState,
        ...(sorry ? { sorryServer: sorryActive ? "active" : "standby" } : {}),
      });
      return { ...service, destinations };
    }),
  };
  return { table, realServers, services, quorum };
}
