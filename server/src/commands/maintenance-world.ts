import { type AgentState, type ClusterSpec, desiredService, serviceKey } from "@lvsfleet/model";
import type { Fleet } from "../agents/fleet.ts";
import type { ActionOutcome, ConnectionCount, MaintenanceEffects } from "../maintenance/effects.ts";
import type { HealthVerdict, HealthView } from "../maintenance/health.ts";
import { refKey, type ServerRef } from "../maintenance/types.ts";
import type { ClusterApplier } from "../queue/applier.ts";
import { changeRoles } from "../queue/host-roles.ts";
import type { HostOutcome } from "../queue/jobs.ts";
import type { AgentRegistry } from "../store/agents.ts";
import type { ClusterWriter, SpecChange } from "../store/cluster-writer.ts";
import type { ClusterStore } from "../store/clusters.ts";

/**
 * What a maintenance job does to the world, done by the command layer: spec reads and writes
 * through the group-commit writer, applies through the command queue's applier, director start/stop
 * and actions and state reads through the Fleet. The jobs (server/src/maintenance) see only the
 * MaintenanceEffects and HealthView interfaces; the server wires these implementations in.
 */
export class AgentEffects implements MaintenanceEffects {
  constructor(
    private readonly clusters: ClusterStore,
    private readonly writer: ClusterWriter,
    private readonly applier: ClusterApplier,
    private readonly fleet: Fleet,
    readonly health: HealthView,
  ) {}

  spec(cluster: string) {
    return this.clusters.get(cluster);
  }

  updateSpec<T>(cluster: string, change: SpecChange<T>) {
    return this.writer.update(cluster, change);
  }

  async apply(cluster: string, generation: number): Promise<HostOutcome[]> {
    return (await this.applier.ensureApplied(cluster, generation)).hosts;
  }

  async connections(spec: ClusterSpec, servers: ServerRef[]): Promise<ConnectionCount> {
    const keys = new Map(spec.services.map((s) => [s.name, serviceKey(desiredService(s))] as const));
    const perServer = new Map(servers.map((s) => [refKey(s), { active: 0, inactive: 0 }]));
    const unreadable: string[] = [];
    const readings = await this.fleet.states(
      spec.name,
      spec.directors.map((d) => d.host),
    );
    for (const reading of readings) {
      if (!reading.ok) {
        unreadable.push(reading.host);
        continue;
      }
      const state = reading.state;
      for (const server of servers) {
        const service = state.table.services.find((s) => serviceKey(s) === keys.get(server.service));
        const destination = service?.destinations.find((x) => x.address === server.address && x.port === server.port);
        const count = perServer.get(refKey(server))!;
        count.active += destination?.activeConns ?? 0;
        count.inactive += destination?.inactConns ?? 0;
      }
    }
    return { perServer, unreadable };
  }

  runAction(cluster: string, host: string, name: string): Promise<ActionOutcome> {
    return this.fleet.runAction(cluster, host, name);
  }

  directorState(cluster: string, host: string): Promise<AgentState> {
    return this.fleet.state(cluster, host);
  }

  changeDirector(spec: ClusterSpec, generation: number, host: string, action: "start" | "stop") {
    return changeRoles(this.fleet, spec, generation, action, [host]);
  }
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
