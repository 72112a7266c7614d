import type { Api } from "./api.ts";
import { CliError, EXIT } from "./exit-codes.ts";

/** A job as GET /v1/jobs/{id} shows it (the fields lvsctl reads). */
export interface JobView {
  id: string;
  kind: string;
  cluster: string;
  command: string;
  state: "queued" | "active" | "completed" | "failed" | string;
  retrying?: boolean;
  attempts?: { made: number; max: number };
  error?: string;
  requestId?: string;
  result?: {
    summary: string;
    generation?: number;
    hosts: { host: string; role: string; changes: string[]; roleState?: string; table?: string }[];
  };
  createdAt?: string;
  finishedAt?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** States after which a job never changes again (maintenance jobs can also be cancelled). */
const FINISHED = new Set(["completed", "failed", "cancelled"]);

/** Polls the job until it is completed, failed or cancelled, or the timeout passes (a CliError, exit 8). */
export async function waitForJob(api: Api, id: string, timeoutMs: number): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  let pause = 50;
  for (;;) {
    const job = await api.get<JobView>(`/v1/jobs/${encodeURIComponent(id)}`);
    if (FINISHED.has(job.state)) return job;
    if (Date.now() > deadline)
      throw new CliError(
        `job ${id} is still ${job.state}${job.error ? ` (last attempt: ${job.error})` : ""} after ${timeoutMs / 1000} s`,
        EXIT.jobFailed,
        [`follow it with: lvsctl jobs ${id}`],
      );
    await sleep(pause);
    pause = Math.min(500, pause * 2);
  }
}

/** A job in a few lines: state, summary, each host's changes, or the error. */
export function describeJob(job: JobView): string {
  const lines = [`job ${job.id} ${job.state}: ${job.command}`];
  if (job.result) {
    lines.push(`  ${job.result.summary}`);
    for (const host of job.result.hosts) for (const change of host.changes) lines.push(`  ${host.host}: ${change}`);
  }
  if (job.error) lines.push(`  error: ${job.error}${job.retrying ? " (retrying)" : ""}`);
  return `${lines.join("\n")}\n`;
}
