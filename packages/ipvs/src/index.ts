export { formatConnectionLine, parseConnections, renderConnections } from "./connections-format.ts";
export { SaveFormatError } from "./format-error.ts";
export { formatLargeNumber, formatServiceLine, type ListFormat, type ListOptions, renderList } from "./list-format.ts";
export { parseList } from "./list-parse.ts";
export { compareDestinations, compareServices, sortedLikeIpvsadm } from "./order.ts";
export { renderRestore, restoreLine } from "./restore-format.ts";
export { renderSave } from "./save-format.ts";
export { parseRestore, parseSave } from "./save-parse.ts";
export { SeededRandom } from "./sim/random.ts";
export {
  type ConnectionEntry,
  type ConnectionRequest,
  type OpenResult,
  type SimSysctls,
  Simulator,
  SimulatorError,
  type SimulatorOptions,
  type Timeouts,
} from "./sim/simulator.ts";
export { clientAddress, type TrafficCounts, TrafficGenerator, type Workload } from "./sim/traffic.ts";
export {
  type LifetimeDistribution,
  type Prediction,
  type ServerPrediction,
  type ServerRef,
  type TimelinePoint,
  type WhatIfAnswer,
  type WhatIfChange,
  type WhatIfQuestion,
  type WhatIfWorkload,
  whatIf,
} from "./sim/whatif.ts";
export { renderTimeouts } from "./timeouts-format.ts";
