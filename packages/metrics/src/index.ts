export { TableMetrics } from "./prom.ts";
export {
  type Labels,
  type MetricDefinition,
  REAL_SERVER_LABELS,
  SERVICE_LABELS,
  serviceLabels,
  TABLE_COUNTERS,
  TABLE_GAUGES,
  type TableCounter,
  type TableGauge,
  type TableSample,
  type TableSamples,
  tableSamples,
  vipLabel,
} from "./table.ts";
