import type { Actor } from "../access/roles.ts";
import type { CommandContext } from "../commands/context.ts";
import { fleetSnapshot } from "../commands/fleet-snapshot.ts";
import { fleetReadings } from "./fleet.ts";
import type { ServerMetrics } from "./server-metrics.ts";

/** Concurrent or back-to-back scrapes within this window share one read of the fleet. */
const REUSE_MS = 1_000;

/**
 * Produces the exposition text: reads the fleet (one GetState per director, with the status
 * deadline) and the queue's counts, then renders the registry. Scrapes that overlap share a read.
 */
export class MetricsScraper {
  private last: { at: number; done: Promise<void> } | undefined;

  constructor(
    private readonly ctx: CommandContext,
    readonly metrics: ServerMetrics,
  ) {}

  async render(actor: Actor): Promise<string> {
    const now = Date.now();
    if (!this.last || now - this.last.at > REUSE_MS) this.last = { at: now, done: this.refresh(actor) };
    await this.last.done;
    if (this.ctx.lease) this.metrics.setLease(this.ctx.lease);
    return this.metrics.registry.metrics();
  }

  private async refresh(actor: Actor): Promise<void> {
    const started = performance.now();
    const [snapshot, counts] = await Promise.all([
      fleetSnapshot(this.ctx, actor),
      this.ctx.queue.queue.getJobCounts("waiting", "active", "delayed", "completed", "failed", "prioritized"),
    ]);
    this.metrics.setFleet(fleetReadings(snapshot));
    this.metrics.setJobCounts(counts);
    this.metrics.scrapeDuration.set((performance.now() - started) / 1_000);
  }
}
