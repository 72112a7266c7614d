import { EventEmitter } from "node:events";
import type { AgentEvent, HeartbeatEvent } from "@lvsfleet/model";

type Heartbeat = Omit<HeartbeatEvent, "type" | "time" | "host">;

/**
 * Fans an agent's events out to every WatchEvents stream, and sends each stream heartbeats
 * at the period it asked for (clamped to 200 ms – 60 s), the first one at once.
 */
export class EventHub {
  private readonly emitter = new EventEmitter();

  constructor(
    private readonly host: string,
    private readonly heartbeat: () => Promise<Heartbeat>,
  ) {
    this.emitter.setMaxListeners(0);
  }

  publish(event: Omit<AgentEvent, "time" | "host"> & { type: AgentEvent["type"] }): void {
    this.emitter.emit("event", { ...event, time: Date.now(), host: this.host } as AgentEvent);
  }

  watch(intervalMs: number, emit: (event: AgentEvent) => void, signal: AbortSignal): void {
    const period = Math.min(60_000, Math.max(200, intervalMs || 5_000));
    const beat = () =>
      this.heartbeat().then(
        (h) => !signal.aborted && emit({ type: "heartbeat", time: Date.now(), host: this.host, ...h }),
        () => undefined,
      );
    const listener = (event: AgentEvent) => emit(event);
    this.emitter.on("event", listener);
    const timer = setInterval(beat, period);
    void beat();
    signal.addEventListener("abort", () => {
      clearInterval(timer);
      this.emitter.off("event", listener);
    });
  }

  /** Number of open watchers (for tests and status). */
  get watchers(): number {
    return this.emitter.listenerCount("event");
  }
}
