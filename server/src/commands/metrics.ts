import type { Actor } from "../access/roles.ts";
import { MetricsScraper } from "../metrics/scrape.ts";
import { ServerMetrics } from "../metrics/server-metrics.ts";
import type { CommandContext } from "./context.ts";

/** The server's Prometheus metrics, as GET /metrics serves them. */
export interface MetricsExposition {
  /** The exposition text: reads the fleet as `actor` (scrapes within a second share one read), then renders. */
  render(actor: Actor): Promise<string>;
  /** The exposition format's content type (text 0.0.4). */
  readonly contentType: string;
  /** Records one HTTP request's latency (seconds), labelled by the route pattern that answered. */
  observeRequest(labels: { method: string; route: string; status: string }, seconds: number): void;
}

/** The metrics of this server (a registry of their own, so several apps in one process never clash). */
export function metricsExposition(ctx: CommandContext): MetricsExposition {
  const scraper = new MetricsScraper(ctx, new ServerMetrics());
  return {
    render: (actor) => scraper.render(actor),
    contentType: scraper.metrics.registry.contentType,
    observeRequest: (labels, seconds) => scraper.metrics.http.observe(labels, seconds),
  };
}
