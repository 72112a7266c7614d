/**
 * Every job that finished for good — a command job (apply, start, stop) or a maintenance job — is
 * published on this node:diagnostics_channel; the server's metrics count them. A name both the
 * queue's worker and the maintenance jobs publish on, and the metrics subscribe to.
 */
export const JOB_FINISHED_CHANNEL = "lvsfleet:job:finished";

export interface JobFinishedRecord {
  /** The job's kind: apply, start, stop, or a maintenance kind (drain, window, rolling, switchover…). */
  kind: string;
  /** completed or failed; a maintenance job's end state (cancelled, …) as it is. */
  outcome: string;
  /** From queued to finished, and from the first start to finished (seconds). */
  totalSeconds: number;
  runSeconds: number;
  attempts: number;
}
