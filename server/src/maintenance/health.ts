import type { ClusterSpec } from "@lvsfleet/model";
import type { ServerRef } from "./types.ts";

export interface HealthVerdict {
  healthy: boolean;
  /** What decided, in words (`lb-master: tcp check up`, `agent web1 unreachable`). */
  detail: string;
}

/**
 * Whether real servers pass their health checks now. Rolling jobs wait on it after each server's
 * action, and check it before draining the next batch (min capacity counts healthy servers only).
 */
export interface HealthView {
  check(cluster: string, spec: ClusterSpec, servers: ServerRef[]): Promise<Map<string, HealthVerdict>>;
}
