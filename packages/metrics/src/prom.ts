import { Counter, Gauge, type Registry } from "prom-client";
import {
  type Labels,
  type MetricDefinition,
  TABLE_COUNTERS,
  TABLE_GAUGES,
  type TableCounter,
  type TableGauge,
  type TableSamples,
} from "./table.ts";

/**
 * The table metrics registered on a prom-client registry, refilled from samples at each scrape: the
 * package's prom-client adapter, exported apart as `@lvsfleet/metrics/prom` (the names and samples
 * at `@lvsfleet/metrics` are pure).
 */
export class TableMetrics {
  private readonly gauges: Record<TableGauge, Gauge>;
  private readonly counters: Record<TableCounter, Counter>;

  /** `extraLabels` come before the table's own (e.g. cluster, director, service). */
  constructor(registry: Registry, extraLabels: readonly string[] = []) {
    const make = <T>(defs: Record<string, MetricDefinition>, create: (d: MetricDefinition) => T) =>
      Object.fromEntries(Object.entries(defs).map(([key, def]) => [key, create(def)]));
    this.gauges = make(
      TABLE_GAUGES,
      (d) =>
        new Gauge({ name: d.name, help: d.help, labelNames: [...extraLabels, ...d.labels], registers: [registry] }),
    ) as Record<TableGauge, Gauge>;
    this.counters = make(
      TABLE_COUNTERS,
      (d) =>
        new Counter({ name: d.name, help: d.help, labelNames: [...extraLabels, ...d.labels], registers: [registry] }),
    ) as Record<TableCounter, Counter>;
  }

  /**
   * Replaces every series with the samples: series of servers that left the table disappear.
   * The counters are the kernel's own cumulative counts, copied as they are.
   */
  set(samples: TableSamples): void {
    for (const g of Object.values(this.gauges)) g.reset();
    for (const c of Object.values(this.counters)) c.reset();
    for (const s of samples.gauges) this.gauges[s.metric].set(s.labels as Labels, s.value);
    for (const s of samples.counters) this.counters[s.metric].inc(s.labels as Labels, Math.max(0, s.value));
  }
}
