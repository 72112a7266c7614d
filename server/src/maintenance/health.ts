import type { AgentState, ClusterSpec } from "@lvsfleet/model";
import type { AgentPool } from "../agents/pool.ts";
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

/** The part of a director's AgentState.failover this view reads (reported by directors with health checks). */
interface ReportedHealth {
  realServers?: { service: string; address: string; port: number; state: string; reason?: string }[];
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
    private readonly pool: AgentPool,
    private readonly registry: AgentRegistry,
    private readonly deadlineMs: number,
  ) {}

  async check(cluster: string, spec: ClusterSpec, servers: ServerRef[]): Promise<Map<string, HealthVerdict>> {
    const states = await Promise.all(
      spec.directors.map(async (d) => {
        try {
          const client = await this.pool.clientIn(cluster, d.host);
          return { host: d.host, state: await client.getState(this.deadlineMs) };
        } catch {
          return { host: d.host, state: undefined as AgentState | undefined };
        }
      }),
    );
    const verdicts = new Map<string, HealthVerdict>();
    for (const server of servers) {
      const reasons: string[] = [];
      let healthy = true;
      for (const { host, state } of states) {
        const report = (state as (AgentState & { failover?: ReportedHealth }) | undefined)?.failover;
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
