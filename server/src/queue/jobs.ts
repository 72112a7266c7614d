import type { Actor, Role } from "../access/roles.ts";

export type { Actor };

export type JobKind = "apply" | "start" | "stop";

/** What a queued command carries. */
export interface CommandJobData {
  kind: JobKind;
  cluster: string;
  /** apply: the desired-state generation the job must see applied (at least). */
  generation?: number;
  /** apply: whether the command changed the desired state (false: the same value again). */
  changed?: boolean;
  /**
   * start/stop: the hosts (all of the cluster's when absent). apply: only these directors, with the
   * stored desired state (a re-sync of directors that came back behind); all of them when absent.
   */
  hosts?: string[];
  /** The command in words, e.g. `weight 192.168.1.220:80 3 -> 5 in web/http`. */
  command: string;
  actor: Actor;
  /** The role the command needed (a retry needs it too, on the job's cluster). */
  need?: Role;
  /** Where to report the outcome (a chat response_url). */
  notify?: { responseUrl: string };
  /** The id of the REST or chat request that queued it; the worker passes it on to the agents. */
  requestId?: string;
}

export interface HostOutcome {
  host: string;
  role: "director" | "real-server";
  /** What the agent changed, one line per operation or host change (at most 500: result-bounds.ts). */
  changes: string[];
  generation?: number;
  roleState?: string;
  /**
   * The director's table after the change, as ipvsadm -Ln prints it, up to 500 lines; a bigger one
   * ends with "… N more services (M in all); GET /v1/clusters/{cluster}/status for the whole table".
   */
  table?: string;
}

export interface CommandJobResult {
  summary: string;
  generation?: number;
  hosts: HostOutcome[];
}

export const QUEUE_NAME = "commands";

/**
 * The role a job's command needs: recorded with the job; for jobs queued before it was recorded,
 * start/stop and spec applies need admin, weight changes operator.
 */
export function roleNeeded(data: Pick<CommandJobData, "kind" | "need" | "command">): Role {
  if (data.need) return data.need;
  return data.kind === "apply" && data.command.startsWith("weight ") ? "operator" : "admin";
}
