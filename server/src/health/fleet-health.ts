import { channel } from "node:diagnostics_channel";
import type { ClusterSpec, HealthChangeEvent, HeartbeatEvent } from "@lvsfleet/model";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { AuditLog } from "../audit/log.ts";
import { ChatWebhook } from "../notify/webhook.ts";
import type { StoredEvent, WriteFence } from "../store/events.ts";
import { AlertStore } from "./alert-store.ts";
import { type AlertTransition, type OwnershipAlert, OwnershipAlerts } from "./alerts.ts";
import { DRIFT_CHANNEL, driftRecord } from "./drift.ts";
import { type LastState, LastStateStore } from "./last-state.ts";
import { alertMessage, transitionMessage } from "./messages.ts";
import { alertGraceMs, type DirectorVrrpReport, type VipOwnership, vipOwnership } from "./ownership.ts";

/** Where the specs FleetHealth reads come from (the cluster store; a cluster whose spec cannot be read is left out). */
export interface SpecSource {
  names(): Promise<string[]>;
  readable(name: string): Promise<{ spec: ClusterSpec } | undefined>;
}

export interface FleetHealthDeps {
  clusters: SpecSource;
  events: { append(event: StoredEvent): Promise<void> };
  audit: Pick<AuditLog, "append">;
  lastState: Pick<LastStateStore, "set" | "forHosts">;
  /** The active alerts in Redis, for the other replicas and the next supervisor (absent: in memory only). */
  alertStore?: Pick<AlertStore, "raised" | "cleared" | "list"> | undefined;
  webhook?: ChatWebhook | undefined;
  /**
   * Asked before each chat post: whether this replica still holds the supervisor lease, as Redis
   * says now (events and audit are fenced in Redis itself; a post leaves Redis, so it asks first).
   */
  stillSupervisor?: () => Promise<boolean>;
  log: Logger;
  now?: () => number;
}

const drift = channel(DRIFT_CHANNEL);

/** Specs are read again at most this often (every transition and heartbeat looks them up). */
const SPEC_CACHE_MS = 1_000;

/** What status shows of the fleet-wide view: who holds each VIP by the latest reports, and the alerts. */
export interface FleetHealthView {
  ownership(cluster: string): Promise<{ vips: VipOwnership[]; alerts: OwnershipAlert[] }>;
  lastStates(cluster: string, hosts: readonly string[]): Promise<LastState[]>;
}

/**
 * The server's side of health and fail-over. From every agent's heartbeats and transitions it
 * keeps each director's VIPs and VRRP states, checks VIP ownership across each cluster (one
 * holder; two is split-brain, none is no-owner, each an alert after a short grace), keeps the last
 * state of everything in Redis (the event log is the history), audits every local health decision
 * an agent made (actor type agent), and posts what matters to the chat webhook.
 */
export class FleetHealth implements FleetHealthView {
  private readonly reports = new Map<string, DirectorVrrpReport>();
  private alerts = new OwnershipAlerts();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private specs: { at: number; list: ClusterSpec[] } | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private closed = false;
  /** Paused while another replica supervises (it keeps the view); resumed with a fresh view. */
  private paused = false;

  constructor(private readonly deps: FleetHealthDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The supervisor hooks that feed it. */
  hooks() {
    return {
      onHeartbeat: (host: string, event: HeartbeatEvent) => this.onHeartbeat(host, event),
      onTransition: (event: StoredEvent) => this.onTransition(event),
      fleetHealth: this as FleetHealthView,
    };
  }

  /** Work runs one piece at a time, in arrival order (audit and chat see transitions in order). */
  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((error) => {
      this.deps.log.warn({ err: (error as Error).message }, "fleet health bookkeeping failed");
    });
  }

  private async allSpecs(): Promise<ClusterSpec[]> {
    if (this.specs && this.now() - this.specs.at < SPEC_CACHE_MS) return this.specs.list;
    const names = await this.deps.clusters.names();
    const list = (await Promise.all(names.map((n) => this.deps.clusters.readable(n)))).flatMap((s) =>
      s ? [s.spec] : [],
    );
    this.specs = { at: this.now(), list };
    return list;
  }

  /** The clusters a host serves in: as a director, or as a real server's host. */
  private async clustersOf(host: string): Promise<ClusterSpec[]> {
    return (await this.allSpecs()).filter(
      (s) =>
        s.directors.some((d) => d.host === host) ||
        s.services.some((svc) => svc.realServers.some((r) => r.host === host)),
    );
  }

  private report(host: string): DirectorVrrpReport {
    let report = this.reports.get(host);
    if (!report) {
      report = { host, reachable: false, vipsHeld: [], vrrp: [], at: 0 };
      this.reports.set(host, report);
    }
    return report;
  }

  /** Another replica supervises now: drop the view (it would go stale) and the pending re-checks. */
  pause(): void {
    this.paused = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.reports.clear();
    this.alerts = new OwnershipAlerts();
    this.specs = undefined;
  }

  /**
   * This replica supervises again: the view is rebuilt from the heartbeats and transitions that
   * follow, starting from the alerts the previous supervisor left active.
   */
  resume(): void {
    this.paused = false;
    const store = this.deps.alertStore;
    if (store) this.enqueue(async () => this.alerts.restore(await store.list()));
  }

  onHeartbeat(host: string, event: HeartbeatEvent): void {
    if (this.closed || this.paused) return;
    const report = this.report(host);
    const beat = event.failover;
    const changed =
      !report.reachable ||
      JSON.stringify([report.vipsHeld, report.vrrp]) !== JSON.stringify([beat?.vipsHeld ?? [], beat?.vrrp ?? []]);
    report.reachable = true;
    report.at = event.time;
    report.vipsHeld = [...(beat?.vipsHeld ?? [])];
    report.vrrp = [...(beat?.vrrp ?? [])];
    if (changed || this.timers.size > 0) this.enqueue(() => this.evaluateHost(host));
  }

  onTransition(event: StoredEvent): void {
    if (this.closed || this.paused) return;
    const report = this.report(event.host);
    if (event.type === "agent") report.reachable = event.to === "reachable";
    if (event.type === "state") {
      const vip = /^vip:(.+)$/.exec(event.subject)?.[1];
      if (vip !== undefined) {
        report.reachable = true;
        report.vipsHeld =
          event.to === "held" ? [...new Set([...report.vipsHeld, vip])] : report.vipsHeld.filter((v) => v !== vip);
      }
      const instance = /^vrrp:(.+)$/.exec(event.subject)?.[1];
      if (instance !== undefined)
        report.vrrp = [
          ...report.vrrp.filter((v) => v.instance !== instance),
          { instance, state: event.to as DirectorVrrpReport["vrrp"][number]["state"] },
        ];
    }
    this.enqueue(async () => {
      const clusters = await this.clustersOf(event.host);
      const cluster = clusters[0]?.name;
      await this.record(event, cluster);
      const found = driftRecord(event, cluster);
      if (found) drift.publish(found);
      const text = transitionMessage(event, cluster);
      if (text) await this.post(text);
      if (event.type === "agent" || event.type === "state") await this.evaluateHost(event.host);
    });
  }

  /** The last state, and the audit entry of an agent's own health decision. */
  private async record(event: StoredEvent, cluster: string | undefined): Promise<void> {
    const { lastState, audit } = this.deps;
    if (event.type === "health") {
      const target = `${event.service} ${event.address}:${event.port}`;
      await lastState.set({
        subject: `rs:${event.service}:${event.address}:${event.port}`,
        host: event.host,
        cluster,
        state: event.to,
        detail: [event.reason, event.action].filter(Boolean).join("; "),
        time: event.time,
      });
      await audit.append({
        time: event.time,
        actor: { type: "agent", name: event.host },
        channel: "agent",
        command: "health",
        cluster,
        target,
        before: { state: event.from, weight: event.desiredWeight },
        after: { state: event.to, weight: weightOf(event) },
        outcome: "completed",
        detail: `${event.reason}${event.action ? `; ${event.action}` : ""} (decided by the director's own health checks)`,
      });
      return;
    }
    if (event.type === "agent")
      await lastState.set({
        subject: "agent",
        host: event.host,
        cluster,
        state: event.to,
        detail: event.detail,
        time: event.time,
      });
    else if (/^(vrrp|quorum):/.test(event.subject) || event.subject === "drift")
      await lastState.set({
        subject: event.subject,
        host: event.host,
        cluster,
        state: event.to,
        detail: event.detail,
        time: event.time,
      });
  }

  /** Checks VIP ownership in every cluster where the host is a director. */
  private async evaluateHost(host: string): Promise<void> {
    for (const spec of await this.allSpecs())
      if (spec.vrrp && spec.directors.some((d) => d.host === host)) await this.evaluate(spec);
  }

  private async evaluate(spec: ClusterSpec): Promise<void> {
    const readings = vipOwnership(spec, this.reports);
    const { transitions, recheckIn } = this.alerts.update(
      spec.name,
      readings,
      (r) => alertGraceMs(spec, r.instance, r.state),
      this.now(),
    );
    clearTimeout(this.timers.get(spec.name));
    this.timers.delete(spec.name);
    if (recheckIn !== undefined && !this.closed && !this.paused) {
      const timer = setTimeout(() => {
        this.timers.delete(spec.name);
        this.enqueue(() => this.evaluate(spec));
      }, recheckIn + 5);
      timer.unref();
      this.timers.set(spec.name, timer);
    }
    for (const transition of transitions) await this.announce(transition);
  }

  private async announce(transition: AlertTransition): Promise<void> {
    const { alert } = transition;
    const to = transition.kind === "raised" ? alert.kind : "ok";
    const from = transition.kind === "raised" ? "ok" : alert.kind;
    const detail =
      transition.kind === "raised"
        ? `cluster ${alert.cluster}: ${alert.holders.length ? `held by ${alert.holders.join(", ")}` : "held by no director"}`
        : `cluster ${alert.cluster}: held by ${transition.now.holders.join(", ")}`;
    this.deps.log[transition.kind === "raised" ? "error" : "info"](
      { vip: alert.vip, cluster: alert.cluster, from, to },
      detail,
    );
    await this.deps.events.append({
      type: "state",
      time: this.now(),
      host: "server",
      subject: `vip:${alert.vip}`,
      from,
      to,
      detail,
    });
    if (transition.kind === "raised") await this.deps.alertStore?.raised(alert);
    else await this.deps.alertStore?.cleared(alert);
    await this.deps.lastState.set({
      subject: `vip:${alert.vip}`,
      host: "server",
      cluster: alert.cluster,
      state: to,
      detail,
      time: this.now(),
    });
    await this.post(alertMessage(transition));
  }

  private async post(text: string): Promise<void> {
    const { webhook, stillSupervisor } = this.deps;
    if (!webhook || this.paused) return;
    if (stillSupervisor && !(await stillSupervisor())) return;
    webhook.post(text);
  }

  async ownership(cluster: string): Promise<{ vips: VipOwnership[]; alerts: OwnershipAlert[] }> {
    const spec = (await this.allSpecs()).find((s) => s.name === cluster);
    // another replica supervises: its alerts, from Redis
    const alerts =
      this.paused && this.deps.alertStore ? await this.deps.alertStore.list(cluster) : this.alerts.list(cluster);
    return { vips: spec ? vipOwnership(spec, this.reports) : [], alerts };
  }

  lastStates(cluster: string, hosts: readonly string[]): Promise<LastState[]> {
    return this.deps.lastState.forHosts(hosts, cluster);
  }

  /** Waits for the bookkeeping in flight (tests), then stops. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.chain;
    await this.deps.webhook?.close();
  }

  /** Resolves when everything received so far is recorded (tests). */
  settled(): Promise<void> {
    return this.chain;
  }
}

function weightOf(event: HealthChangeEvent): number | null | undefined {
  if (event.effectiveWeight === undefined) return undefined;
  return event.effectiveWeight < 0 ? null : event.effectiveWeight;
}

/** The server's FleetHealth from its settings: the last states under `<prefix>:health-last`, the chat webhook if set. */
export function createFleetHealth(options: {
  redis: Redis;
  prefix: string;
  clusters: SpecSource;
  events: FleetHealthDeps["events"];
  audit: FleetHealthDeps["audit"];
  webhookUrl: string | undefined;
  webhookHosts: readonly string[];
  stillSupervisor?: () => Promise<boolean>;
  /** The supervisor lease: last states and alerts are then written only while it holds. */
  fence?: WriteFence | undefined;
  log: Logger;
}): FleetHealth {
  const lastState = new LastStateStore(options.redis, `${options.prefix}:health-last`);
  const alertStore = new AlertStore(options.redis, `${options.prefix}:health-alerts`);
  return new FleetHealth({
    clusters: options.clusters,
    events: options.events,
    audit: options.audit,
    lastState: options.fence ? lastState.fencedBy(options.fence) : lastState,
    alertStore: options.fence ? alertStore.fencedBy(options.fence) : alertStore,
    webhook: options.webhookUrl ? new ChatWebhook(options.webhookUrl, options.webhookHosts, options.log) : undefined,
    ...(options.stillSupervisor ? { stillSupervisor: options.stillSupervisor } : {}),
    log: options.log,
  });
}
