import type { JobEvent, MaintenanceJob } from "../commands/maintenance.ts";

const ICON: Record<string, string> = {
  completed: ":white_check_mark:",
  failed: ":x:",
  cancelled: ":leftwards_arrow_with_hook:",
  paused: ":double_vertical_bar:",
  waiting: ":hourglass:",
  active: ":gear:",
};

/**
 * The chat message for a job's event, or undefined for events chat does not need (connection
 * counts tick in the SSE stream and the job's progress, not in the channel). Chat hears: start,
 * waiting, each step done, pause/resume, and the end. (A Slack response_url takes 5 posts in
 * 30 minutes: for long rolling jobs set LVSFLEET_CHAT_WEBHOOK_URL, an incoming webhook, too.)
 */
export function progressMessage(job: MaintenanceJob, event: JobEvent): string | undefined {
  const head = `Job ${job.id} (${job.command})`;
  if (event.type === "state") return `${ICON[event.state ?? ""] ?? ""} ${head}: ${event.message}`.trim();
  if (event.type === "step" && (event.stepState === "done" || event.stepState === "skipped"))
    return `${head}: ${event.message}`;
  return undefined;
}
