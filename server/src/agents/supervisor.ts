import type { AgentEvent, HeartbeatEvent } from "@lvsfleet/model";
import type { Logger } from "pino";
import type { FleetHealthView } from "../health/fleet-health.ts";
import type { AgentLiveness, AgentRegistration, AgentRegistry } from "../store/agents.ts";
import type { EventLog, StoredEvent } from "../store/events.ts";
import { AttachPacer, type AttachPacing, UNPACED } from "./attach-pacing.ts";
import type { Fleet } from "./fleet.ts";

export interface SupervisorHooks {
  /**
   * Called when an agent becomes reachable again (or for the first time), and every
   * `agentCheckMs` while it stays reachable: a director behind its cluster's generation is re-synced
   * even when its stream never broke (its apply job lost in a Redis fail-over, or out of attempts).
   */
  onAgentBack?(registration: AgentRegistration, liveness: AgentLiveness): void;
  /** How often onAgentBack is called for an agent that stays reachable (default 30 s). */
  agentCheckMs?: number | undefined;
  /** Called for every non-heartbeat event. */
  onEvent?(event: AgentEvent): void;
  /** Called for every heartbeat (directors' carry the VIPs they hold and their VRRP states). */
  onHeartbeat?(host: string, event: HeartbeatEvent): void;
  /** Called for every transition stored in the event log: agent events, and agents lost and back. */
  onTransition?(event: StoredEvent): void;
  /** The fleet-wide health view (VIP ownership, alerts, last states) that status reads. */
  fleetHealth?: FleetHealthView | undefined;
}

/** What the supervisor reads and writes of the registry (its liveness writes fenced by the lease: AgentRegistry.fencedBy). */
export type SupervisedRegistry = Pick<AgentRegistry, "list" | "liveness" | "setLiveness">;

/** How often an agent that stays reachable is checked for being behind its cluster's desired state. */
const AGENT_CHECK_MS = 30_000;

/** How long a WatchEvents stream lives before it is re-opened (every call has a deadline). */
const STREAM_DEADLINE_MS = 10 * 60_000;

/**
 * Keeps a WatchEvents stream open to every registered agent: heartbeats update the agent's
 * liveness in Redis, other events go to the event log, and an agent that misses three
 * heartbeats (or whose stream breaks) is marked unreachable until it is heard from again.
 */
export class AgentSupervisor {
  private readonly watches = new Map<string, Watch>();
  /** Hosts forgotten on purpose (revoked): the periodic sync leaves them alone until ensure() is called for them. */
  private readonly forgotten = new Set<string>();
  /** False after stop() until start(): with several replicas, only the lease holder watches (supervisor-duty.ts). */
  private active = true;
  /** Streams to open, at most so many at once and spread when many are due (attach-pacing.ts). */
  private readonly pacer: AttachPacer<Watch>;
  private wake: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: SupervisedRegistry,
    private readonly fleet: Fleet,
    private readonly events: Pick<EventLog, "append">,
    private readonly heartbeatMs: number,
    private readonly log: Logger,
    private readonly hooks: SupervisorHooks = {},
    pacing: AttachPacing = UNPACED,
  ) {
    this.pacer = new AttachPacer<Watch>(pacing);
  }

  async start(): Promise<void> {
    this.active = true;
    await this.sync();
  }

  /** Whether it watches agents now (between start() and stop()). */
  get watching(): boolean {
    return this.active;
  }

  /**
   * Watches every registered agent not yet watched (or whose endpoint changed), except those
   * forgotten on purpose: agents register with whichever replica they reach, and the holder of the
   * supervisor lease picks them up from the registry.
   */
  async sync(): Promise<void> {
    const registrations = await this.registry.list();
    for (const registration of registrations)
      if (!this.forgotten.has(registration.host.toLowerCase())) this.watch(registration);
  }

  /** Starts (or restarts, if the endpoint changed) watching an agent. */
  ensure(registration: AgentRegistration): void {
    this.forgotten.delete(registration.host.toLowerCase());
    this.watch(registration);
  }

  private watch(registration: AgentRegistration): void {
    if (!this.active) return;
    const current = this.watches.get(registration.host);
    if (current && current.registration.endpoint === registration.endpoint) return;
    if (current) this.unwatch(current);
    const watch = new Watch(registration, this);
    this.watches.set(registration.host, watch);
    this.attach(watch);
  }

  /** Queues a stream to open (its first, or again after a failure): paced, never more than the slots. */
  attach(watch: Watch): void {
    this.pacer.add(watch, performance.now());
    this.pump();
  }

  /** A stream's attach is over (first event, end, or no heartbeat in time): its slot goes to the next. */
  attached(watch: Watch): void {
    this.pacer.settled(watch);
    this.pump();
  }

  /** Opens what the pacer lets start now, and looks again when the next waiting attach is due. */
  private pump(): void {
    clearTimeout(this.wake);
    this.wake = undefined;
    const now = performance.now();
    for (const watch of this.pacer.take(now)) watch.open();
    // an open() that failed at once pumped again (and may have set a timer): one timer only
    clearTimeout(this.wake);
    const next = this.pacer.nextAt();
    this.wake = next === undefined ? undefined : setTimeout(() => this.pump(), Math.max(0, next - now));
  }

  private unwatch(watch: Watch): void {
    watch.stop();
    this.pacer.remove(watch);
  }

  /** Streams open or being opened, and attaches waiting for a slot (GET /v1/health, tests). */
  get attachments(): { watched: number; waiting: number; inFlight: number } {
    return { watched: this.watches.size, ...this.pacer.pending };
  }

  /** Stops watching a host (revoked, or deregistered); host names compare case-insensitively, as DNS names do. */
  forget(host: string): void {
    this.forgotten.add(host.toLowerCase());
    for (const [name, watch] of this.watches)
      if (name.toLowerCase() === host.toLowerCase()) {
        this.unwatch(watch);
        this.watches.delete(name);
      }
  }

  /** Stops every watch at once (streams cancelled) and watches nothing until start(). */
  stop(): void {
    this.active = false;
    for (const watch of this.watches.values()) watch.stop();
    this.watches.clear();
    this.pacer.clear();
    clearTimeout(this.wake);
    this.wake = undefined;
  }

  /** VIP ownership, alerts and last states across the fleet, when the server keeps them. */
  get fleetHealth(): FleetHealthView | undefined {
    return this.hooks.fleetHealth;
  }

  /** @internal */ deps() {
    return {
      registry: this.registry,
      fleet: this.fleet,
      events: this.events,
      heartbeatMs: this.heartbeatMs,
      log: this.log,
      hooks: this.hooks,
    };
  }
}

class Watch {
  private stream: { cancel(): void } | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private reachable: boolean | undefined;
  /** When this watch last offered the agent for a re-sync check (monotonic ms). */
  private checkedAt = 0;
  /** When this watch last found the agent reachable (the liveness record's `since`). */
  private reachableSince: number | undefined;
  /** Between open() and the attach's end (first event, end, or stale): holds a pacing slot. */
  private attaching = false;

  constructor(
    readonly registration: AgentRegistration,
    private readonly supervisor: AgentSupervisor,
  ) {}

  open(): void {
    if (this.stopped) return;
    const { fleet, heartbeatMs } = this.supervisor.deps();
    this.attaching = true;
    try {
      this.stream = fleet.watch(
        this.registration,
        { heartbeatIntervalMs: heartbeatMs, deadlineMs: STREAM_DEADLINE_MS },
        { onEvent: (event) => this.onEvent(event), onEnd: (error) => this.onEnd(error) },
      );
    } catch (error) {
      // refused (revoked): marked unreachable with the reason, tried again with backoff until forgotten
      this.onEnd(error as Error);
      return;
    }
    this.armStaleTimer();
  }

  /** The attach is over, whichever way: the next one may start. */
  private attachDone(): void {
    if (!this.attaching) return;
    this.attaching = false;
    this.supervisor.attached(this);
  }

  private armStaleTimer(): void {
    clearTimeout(this.staleTimer);
    const { heartbeatMs } = this.supervisor.deps();
    this.staleTimer = setTimeout(() => {
      this.attachDone();
      void this.markUnreachable(`no heartbeat for ${3 * heartbeatMs} ms`);
    }, 3 * heartbeatMs);
  }

  private onEvent(event: AgentEvent): void {
    // an event already buffered when the stream was cancelled (the lease lost) is not this replica's to record
    if (this.stopped) return;
    const { events, log, hooks } = this.supervisor.deps();
    this.attachDone();
    this.failures = 0;
    this.armStaleTimer();
    if (event.type === "heartbeat") {
      hooks.onHeartbeat?.(this.registration.host, event);
      const wasReachable = this.reachable;
      this.reachable = true;
      void this.heard(event, wasReachable).catch((error) =>
        log.warn({ agent: this.registration.host, err: (error as Error).message }, "recording a heartbeat failed"),
      );
      return;
    }
    void events.append(event);
    hooks.onEvent?.(event);
    hooks.onTransition?.(event);
  }

  /**
   * A heartbeat: the agent's liveness, and "reachable" in the event log when it was not. A new
   * supervisor (a take-over, a restart) starts from what the previous one recorded, so an agent
   * recorded reachable is not announced back once per take-over; it is still re-synced if behind.
   */
  private async heard(event: HeartbeatEvent, wasReachable: boolean | undefined): Promise<void> {
    const { registry, events, log, hooks } = this.supervisor.deps();
    // one read per watch (its first beat), then one write per beat and no read
    const prior = wasReachable === undefined ? await registry.liveness(this.registration.host) : undefined;
    const known = wasReachable ?? prior?.reachable;
    if (known !== true || this.reachableSince === undefined)
      this.reachableSince = known === true && prior?.since !== undefined ? prior.since : Date.now();
    const liveness: AgentLiveness = {
      reachable: true,
      lastHeartbeat: event.time,
      roleState: event.roleState,
      generation: event.generation,
      activeConns: event.activeConns,
      inactConns: event.inactConns,
      since: this.reachableSince,
    };
    await registry.setLiveness(this.registration.host, liveness);
    if (known !== true) {
      const back: StoredEvent = {
        type: "agent",
        time: Date.now(),
        host: this.registration.host,
        from: "unreachable",
        to: "reachable",
        detail: this.registration.endpoint,
      };
      await events.append(back);
      hooks.onTransition?.(back);
      log.info({ agent: this.registration.host }, "agent reachable");
    }
    const now = performance.now();
    if (wasReachable !== true || now - this.checkedAt >= (hooks.agentCheckMs ?? AGENT_CHECK_MS)) {
      this.checkedAt = now;
      hooks.onAgentBack?.(this.registration, liveness);
    }
  }

  private onEnd(error: Error | undefined): void {
    clearTimeout(this.staleTimer);
    this.attachDone();
    if (this.stopped) return;
    this.failures += 1;
    if (error) void this.markUnreachable(error.message);
    // A stream that ends cleanly (deadline reached) is re-opened at once; a broken one with backoff.
    // Either way through the pacer: many agents lost at once come back in slots, not in one burst.
    const { heartbeatMs } = this.supervisor.deps();
    const delay = error ? Math.min(5_000, 3 * heartbeatMs, 100 * 2 ** Math.min(this.failures, 6)) : 0;
    this.retryTimer = setTimeout(() => this.supervisor.attach(this), delay);
  }

  private async markUnreachable(reason: string): Promise<void> {
    if (this.stopped || this.reachable === false) return;
    const { registry, events, log } = this.supervisor.deps();
    const seen = this.reachable;
    this.reachable = false;
    const prior = await registry.liveness(this.registration.host);
    // a new supervisor that never heard the agent goes by what the previous one recorded
    const wasReachable = seen ?? prior?.reachable;
    await registry.setLiveness(this.registration.host, {
      ...prior,
      reachable: false,
      lastError: reason,
      // an agent already recorded down (by the previous supervisor) keeps the time it went down
      since: wasReachable === false && prior?.since !== undefined ? prior.since : Date.now(),
    });
    if (wasReachable) {
      const lost: StoredEvent = {
        type: "agent",
        time: Date.now(),
        host: this.registration.host,
        from: "reachable",
        to: "unreachable",
        detail: reason,
      };
      await events.append(lost);
      this.supervisor.deps().hooks.onTransition?.(lost);
      log.warn({ agent: this.registration.host, reason }, "agent unreachable");
    }
  }

  stop(): void {
    this.stopped = true;
    this.attaching = false;
    clearTimeout(this.staleTimer);
    clearTimeout(this.retryTimer);
    this.stream?.cancel();
  }
}
