import type { ExtensionHost } from "@lvsfleet/agent-runtime";
import {
  type CheckStatus,
  type ClusterSpec,
  formatEndpoint,
  type HealthState,
  type IpvsTable,
  type RealServerHealth,
  type ServiceHealth,
  serviceKey,
} from "@lvsfleet/model";
import type { Logger } from "pino";
import { CheckLoop, type RoundResult } from "./check-loop.ts";
import { type Decisions, decide, type ServerDecision, type ServerHealth } from "./decide.ts";
import { healthPolicies, type RealServerPolicy, type ServicePolicy } from "./policy.ts";
import type { Prober } from "./probe.ts";
import { nextSlowStartStep } from "./slow-start.ts";
import { combinedState, initialVerdict, nextVerdict, type Verdict } from "./verdict.ts";

interface RunningCheck {
  loop: CheckLoop;
  serverKey: string;
  verdict: Verdict;
  status: CheckStatus;
  /** misc_dynamic: the weight of the last successful round. */
  weight?: number | undefined;
}

interface ServerRecord {
  service: string;
  address: string;
  port: number;
  state: HealthState;
  reason: string;
  since: number;
  recoveredAt?: number | undefined;
  dynamicWeight?: number | undefined;
  slowStartTimer?: NodeJS.Timeout | undefined;
}

export interface HealthMonitorOptions {
  prober: Prober;
  host: ExtensionHost;
  log: Logger;
  /** Runs a quorum up/down script by name, with {service} and {state} (real drivers); absent: not run (sim). */
  runScript?: ((name: string, values: Record<string, string>) => void) | undefined;
  now?: () => number;
  random?: () => number;
}

const serverKeyOf = (service: ServicePolicy, rs: Pick<RealServerPolicy, "address" | "port">) =>
  `${service.key}|${rs.address}|${rs.port}`;

/**
 * The director's health checks and what it decides locally, without the server: it runs every
 * check of the spec (CheckLoop), turns rounds into a verdict per check (rise/fall) and per real
 * server (all checks up), and when a server's verdict changes asks the agent to re-plan the data
 * plane through `effective()`, which overlays the decisions (decide.ts) on the operator's desired
 * table. Each transition is streamed as a health event with what was done about it.
 */
export class HealthMonitor {
  private policies: ServicePolicy[] = [];
  private readonly checks = new Map<string, RunningCheck>();
  private readonly servers = new Map<string, ServerRecord>();
  private quorum = new Map<string, "up" | "down">();
  private desired: IpvsTable = { services: [] };
  private readonly now: () => number;

  constructor(private readonly options: HealthMonitorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Follows the spec: new checks start (after their warmup), removed ones stop, unchanged ones keep their verdict. */
  configure(spec: ClusterSpec | undefined, desired: IpvsTable): void {
    this.desired = desired;
    this.policies = healthPolicies(spec);
    const wantedChecks = new Map<string, { service: ServicePolicy; rs: RealServerPolicy }>();
    const wantedServers = new Set<string>();
    for (const service of this.policies)
      for (const rs of service.realServers) {
        const key = serverKeyOf(service, rs);
        wantedServers.add(key);
        if (!this.servers.has(key))
          this.servers.set(key, {
            service: service.name,
            address: rs.address,
            port: rs.port,
            state: rs.checks.length === 0 ? "up" : initialVerdict(service.alpha).state,
            reason:
              rs.checks.length === 0
                ? "no health checks"
                : service.alpha
                  ? "alpha: waiting for the first check"
                  : "no check yet",
            since: this.now(),
          });
        for (const check of rs.checks) wantedChecks.set(check.id, { service, rs });
      }
    for (const [id, running] of this.checks)
      if (!wantedChecks.has(id)) {
        running.loop.stop();
        this.checks.delete(id);
      }
    for (const [key, record] of this.servers)
      if (!wantedServers.has(key)) {
        clearTimeout(record.slowStartTimer);
        this.servers.delete(key);
      }
    for (const [id, { service, rs }] of wantedChecks) {
      if (this.checks.has(id)) continue;
      const policy = rs.checks.find((c) => c.id === id);
      if (!policy) continue;
      const serverKey = serverKeyOf(service, rs);
      const verdict = initialVerdict(service.alpha);
      const running: RunningCheck = {
        serverKey,
        verdict,
        status: { type: policy.check.type, state: verdict.state, detail: "no round yet" },
        loop: new CheckLoop(
          policy,
          { service: service.name, address: rs.address, port: rs.port },
          this.options.prober,
          () => this.checks.get(id)?.verdict.state === "up",
          (result) => this.onRound(id, result),
          this.options.random,
        ),
      };
      this.checks.set(id, running);
      running.loop.start();
    }
    // a server whose checks were removed is up again; one whose checks changed keeps its state until they decide
    for (const record of this.servers.values()) {
      const own = [...this.checks.values()].filter((c) => c.serverKey === this.keyOf(record));
      if (own.length === 0 && record.state !== "up") this.transition(record, "up", "no health checks");
    }
  }

  private keyOf(record: ServerRecord): string {
    const service = this.policies.find((p) => p.name === record.service);
    return service ? serverKeyOf(service, record) : "";
  }

  /** Stops every check and forgets every verdict (the role was given up). */
  stop(): void {
    for (const running of this.checks.values()) running.loop.stop();
    this.checks.clear();
    for (const record of this.servers.values()) clearTimeout(record.slowStartTimer);
    this.servers.clear();
    this.quorum.clear();
    this.policies = [];
  }

  private onRound(id: string, result: RoundResult): void {
    const running = this.checks.get(id);
    if (!running) return;
    const policy = this.policies.flatMap((s) => s.realServers.flatMap((rs) => rs.checks)).find((c) => c.id === id);
    if (!policy) return;
    running.verdict = nextVerdict(running.verdict, result.ok, policy.timing);
    running.status = {
      type: policy.check.type,
      state: running.verdict.state,
      detail: `${result.detail}${result.attempts > 1 ? ` (after ${result.attempts} attempts)` : ""}`,
      lastRound: result.at,
      lastMs: result.ms,
    };
    if (result.ok && result.weight !== undefined) running.weight = result.weight;
    const record = this.servers.get(running.serverKey);
    if (!record) return;
    const own = [...this.checks.values()].filter((c) => c.serverKey === running.serverKey);
    const state = combinedState(own.map((c) => c.verdict.state));
    const dynamicWeight = own.find((c) => c.weight !== undefined && c.verdict.state === "up")?.weight;
    const deciding = own.find((c) => c.verdict.state === state) ?? running;
    const reason = `${deciding.status.type}: ${deciding.status.detail}`;
    if (state !== record.state) this.transition(record, state, reason);
    else {
      record.reason = reason;
      if (dynamicWeight !== record.dynamicWeight) {
        record.dynamicWeight = dynamicWeight;
        void this.options.host.refresh(`misc_dynamic weight of ${formatEndpoint(record.address, record.port)}`);
      }
    }
    record.dynamicWeight = dynamicWeight;
  }

  private transition(record: ServerRecord, to: HealthState, reason: string): void {
    const from = record.state;
    const now = this.now();
    record.state = to;
    record.reason = reason;
    record.since = now;
    if (to === "up" && from === "down") {
      record.recoveredAt = now;
      this.scheduleSlowStart(record);
    }
    const endpoint = formatEndpoint(record.address, record.port);
    this.options.log.info(
      { service: record.service, server: endpoint, from, to, reason },
      "real server health changed",
    );
    void this.options.host.refresh(`health: ${record.service} ${endpoint} ${to}`).then(() => {
      const decision = this.decisionFor(record);
      this.options.host.publish({
        type: "health",
        service: record.service,
        address: record.address,
        port: record.port,
        from,
        to,
        reason,
        action: describeAction(decision),
        ...(decision ? { desiredWeight: decision.desiredWeight, effectiveWeight: decision.effectiveWeight ?? -1 } : {}),
      });
    });
  }

  /** Re-plans at each step of a recovered server's slow start, until it has its full weight. */
  private scheduleSlowStart(record: ServerRecord): void {
    clearTimeout(record.slowStartTimer);
    const service = this.policies.find((p) => p.name === record.service);
    const rs = service?.realServers.find((r) => r.address === record.address && r.port === record.port);
    if (!rs || rs.slowStartMs <= 0 || record.recoveredAt === undefined) return;
    const weight = this.desiredWeight(service as ServicePolicy, rs);
    const elapsed = this.now() - record.recoveredAt;
    const next = nextSlowStartStep(weight, elapsed, rs.slowStartMs);
    if (next === undefined) return;
    record.slowStartTimer = setTimeout(() => {
      if (record.state !== "up") return;
      void this.options.host.refresh(`slow start of ${formatEndpoint(record.address, record.port)}`);
      this.scheduleSlowStart(record);
    }, next - elapsed);
    record.slowStartTimer.unref();
  }

  private desiredWeight(service: ServicePolicy, rs: RealServerPolicy): number {
    const table = this.desired.services.find((s) => service.key === serviceKey(s));
    return table?.destinations.find((d) => d.address === rs.address && d.port === rs.port)?.weight ?? 0;
  }

  private health = (service: ServicePolicy, rs: RealServerPolicy): ServerHealth => {
    const record = this.servers.get(serverKeyOf(service, rs));
    if (!record) return { state: "up", reason: "no health checks" };
    return {
      state: record.state,
      reason: record.reason,
      recoveredAt: record.recoveredAt,
      dynamicWeight: record.dynamicWeight,
    };
  };

  private decisions(desired: IpvsTable): Decisions {
    return decide(desired, this.policies, this.health, this.quorum, this.now());
  }

  /** desired ⊕ the local decisions; follows quorum changes (events, quorum_up/quorum_down). */
  effective(desired: IpvsTable): IpvsTable {
    this.desired = desired;
    if (this.policies.length === 0) return desired;
    const decisions = this.decisions(desired);
    for (const [key, state] of decisions.quorum) {
      const before = this.quorum.get(key);
      if (before === undefined || before === state) continue;
      const service = this.policies.find((p) => p.key === key);
      const health = decisions.services.find((s) => s.service === service?.name);
      this.options.host.publish({
        type: "state",
        subject: `quorum:${service?.name ?? key}`,
        from: before,
        to: state,
        detail: `healthy weight ${health?.healthyWeight ?? "?"} of quorum ${service?.quorum ?? "?"}${health?.sorryServer === "active" ? "; the sorry server takes the traffic" : ""}`,
      });
      const script = state === "up" ? service?.quorumUp : service?.quorumDown;
      if (script && service) this.options.runScript?.(script, { service: service.name, state });
    }
    this.quorum = decisions.quorum;
    return decisions.table;
  }

  private decisionFor(record: ServerRecord): ServerDecision | undefined {
    return this.decisions(this.desired).realServers.find(
      (d) => d.service === record.service && d.address === record.address && d.port === record.port,
    );
  }

  report(): { realServers: RealServerHealth[]; services: ServiceHealth[] } {
    const decisions = this.decisions(this.desired);
    return {
      realServers: decisions.realServers.map((d) => {
        const record = [...this.servers.values()].find(
          (r) => r.service === d.service && r.address === d.address && r.port === d.port,
        );
        const key = record ? this.keyOf(record) : "";
        return {
          ...d,
          since: record?.since ?? 0,
          checks: [...this.checks.values()].filter((c) => c.serverKey === key).map((c) => c.status),
        };
      }),
      services: decisions.services,
    };
  }

  /** The health policy of the spec last configured. */
  currentPolicies(): readonly ServicePolicy[] {
    return this.policies;
  }

  /** Real servers not up now. */
  down(): number {
    return [...this.servers.values()].filter((r) => r.state !== "up").length;
  }

  /** Whether any check runs. */
  get active(): boolean {
    return this.checks.size > 0 || this.policies.some((p) => p.sorry || p.alpha);
  }
}

/** The action in words, for events and the webhook. */
export function describeAction(decision: ServerDecision | undefined): string {
  if (!decision) return "";
  const weight = decision.effectiveWeight;
  switch (decision.action) {
    case "removed":
      return "removed from the table";
    case "inhibited":
      return `weight ${decision.desiredWeight} -> 0 (inhibit_on_failure)`;
    case "quorum-lost":
      return weight === undefined ? "removed (quorum lost)" : "weight 0 (quorum lost)";
    case "slow-start":
      return `slow start: weight ${weight} of ${decision.desiredWeight}`;
    case "dynamic":
      return `weight ${weight} (misc_dynamic)`;
    default:
      return `weight ${weight ?? "?"}`;
  }
}
