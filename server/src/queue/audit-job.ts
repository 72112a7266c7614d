import type { Job } from "bullmq";
import type { AuditLog } from "../audit/log.ts";
import type { CommandJobData, CommandJobResult } from "./jobs.ts";

/**
 * One audit entry per job run: the job (acting for whoever queued it) changed the agents, or
 * failed to. Written when the job ends for good (completed, or failed with no attempts left).
 */
export function auditJob(
  audit: AuditLog,
  job: Job<CommandJobData, CommandJobResult>,
  outcome: { result?: CommandJobResult | undefined; error?: Error | undefined },
): Promise<string> {
  const changes = outcome.result?.hosts
    .filter((h) => h.changes.length > 0)
    .map((h) => ({ host: h.host, changes: h.changes }));
  return audit.append({
    actor: { type: "job", name: `job ${job.id}` },
    channel: "job",
    command: job.data.command,
    cluster: job.data.cluster,
    target: job.data.hosts?.join(",") ?? job.data.cluster,
    after: changes && changes.length > 0 ? changes : undefined,
    outcome: outcome.error ? "failed" : "completed",
    detail: `${outcome.error ? outcome.error.message : (outcome.result?.summary ?? "")} (for ${job.data.actor.type} ${job.data.actor.name})`,
    job: job.id,
  });
}
