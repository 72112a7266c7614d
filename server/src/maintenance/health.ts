import type { ClusterSpec } from "@lvsfleet/model";
import type { Fleet } from "../agents/fleet.ts";
import type { AgentRegistry } from "../store/agents.ts";
import { refKey, type ServerRef } from "./types.ts";

export interface HealthVerdict {
  healthy: boolean;
  /** What decided, in words (`lb-master: tcp check up`, `agent web1 unreachable`). */
  detail: string;
}

/**
 * Whether real servers pass their health checks now. Rolling jobs wait on it after each server's
 * action, and check it before draining the next batch (min capacity counts healthy servers only).
 */
export interface HealthView {
  check(cluster: string, spec: ClusterSpec, servers: ServerRef[]): Promise<Map<string, HealthVerdict>>;
}

/**
 * Health as the agents see it. A real server is healthy when both hold:
 * 1. every reachable director that reports health checks for it (AgentState.failover, the
 *    director's TCP/HTTP/MISC checkers) says `up` — none saying `down` or `unknown`; a director
 *    without health checks for it (no checks configured, or an agent without health support)
 *    has no say;
 * 2. when the spec names the server's agent host, that agent is reachable (heartbeats) and its
 *    role is running (realdr started: VIP on lo, ARP suppressed).
 * A server with neither checks nor an agent counts as healthy (as keepalived treats a real server
 * without checks).
 */
export class AgentHealthView implements HealthView {
  constructor(
    private readonly fleet: Fleet,
    private readonly registry: AgentRegistry,
  ) {}

  async check(cluster: string, spec: ClusterSpec, servers: ServerRef[]): Promise<Map<string, HealthVerdict>> {
    const readings = await this.fleet.states(
      cluster,
      spec.directors.map((d) => d.host),
      { deadline: "status" },
    );
    const verdicts = new Map<string, HealthVerdict>();
    for (const server of servers) {
      const reasons: string[] = [];
      let healthy = true;
      for (const reading of readings) {
        if (!reading.ok) continue;
        const { host } = reading;
        const report = reading.state.failover;
        const seen = report?.realServers?.find(
          (r) => r.service === server.service && r.address === server.address && r.port === server.port,
        );
        if (!seen) continue;
        if (seen.state !== "up") healthy = false;
        reasons.push(`${host}: ${seen.state}${seen.reason ? ` (${seen.reason})` : ""}`);
      }
      if (server.host) {
        const liveness = await this.registry.liveness(server.host);
        const up = liveness?.reachable === true && liveness.roleState === "running";
        if (!up) healthy = false;
        reasons.push(
          `agent ${server.host} ${liveness?.reachable ? `reachable, role ${liveness.roleState ?? "unknown"}` : `unreachable${liveness?.lastError ? ` (${liveness.lastError})` : ""}`}`,
        );
      }
      verdicts.set(refKey(server), {
        healthy,
        detail: reasons.join("; ") || "no health checks and no agent: assumed up",
      });
    }
    return verdicts;
  }
}
