import type { Logger } from "pino";
import type { JobEvent, MaintenanceJob } from "../commands/maintenance.ts";
import { progressMessage } from "./job-progress-text.ts";
import { postToResponseUrl } from "./response-url.ts";
import { ChatWebhook } from "./webhook.ts";

/**
 * A maintenance job's progress in chat: every job's to the incoming webhook (LVSFLEET_CHAT_WEBHOOK_URL),
 * a job started from chat's also to its response_url. Subscribed to the maintenance service's events;
 * never throws (a chat outage must not disturb a job).
 */
export class JobProgressNotifier {
  private readonly webhook: ChatWebhook | undefined;
  private readonly posting = new Map<string, Promise<unknown>>();

  constructor(
    private readonly responseHosts: readonly string[],
    webhookUrl: string | undefined,
    private readonly log: Logger,
  ) {
    this.webhook = webhookUrl ? new ChatWebhook(webhookUrl, responseHosts, log) : undefined;
  }

  readonly jobEvent = (job: MaintenanceJob, event: JobEvent): void => {
    const message = progressMessage(job, event);
    if (!message) return;
    this.webhook?.post(message);
    const url = job.notify?.responseUrl;
    if (!url) return;
    // One job's messages are posted one after the other, in the order of its events.
    const previous = this.posting.get(job.id) ?? Promise.resolve();
    const next = previous.then(() =>
      postToResponseUrl(url, { response_type: "ephemeral", text: message }, this.responseHosts, this.log),
    );
    this.posting.set(job.id, next);
    void next.finally(() => {
      if (this.posting.get(job.id) === next) this.posting.delete(job.id);
    });
  };

  /** Sends what the webhook has queued and waits for it. */
  async close(): Promise<void> {
    await this.webhook?.close();
  }
}
