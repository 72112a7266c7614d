import type { Logger } from "pino";
import { failureReason, responseUrlAllowed, responseUrlHost } from "./response-url.ts";

/** Messages that arrive together are posted as one (a fail-over is several transitions at once). */
const BATCH_MS = 100;
const POST_TIMEOUT_MS = 5_000;
/** At most this many messages wait; older ones are dropped (and counted) when chat is down. */
const MAX_QUEUED = 500;

/**
 * Posts short messages to a chat incoming webhook (Slack's format: `{"text": …}`), one POST at a
 * time in order, never throwing: a chat outage must not disturb the server. The URL must be on an
 * allow-listed host (https; http only on loopback), checked at start and before each post.
 */
export class ChatWebhook {
  private queue: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private dropped = 0;
  /** Posts that failed (for tests and logs). */
  failures = 0;
  posted = 0;

  constructor(
    readonly url: string,
    private readonly allowedHosts: readonly string[],
    private readonly log: Logger,
  ) {
    if (!responseUrlAllowed(url, allowedHosts))
      throw new Error(
        `LVSFLEET_CHAT_WEBHOOK_URL must be https (or http on loopback) on a host in LVSFLEET_CHAT_RESPONSE_HOSTS (${allowedHosts.join(", ") || "none"})`,
      );
  }

  post(text: string): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(text);
    this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  private flush(): Promise<void> {
    this.timer = undefined;
    if (this.queue.length === 0) return this.sending;
    const lines = this.queue;
    this.queue = [];
    if (this.dropped > 0) {
      lines.unshift(`(${this.dropped} older messages dropped while chat was unreachable)`);
      this.dropped = 0;
    }
    this.sending = this.sending.then(() => this.send(lines.join("\n")));
    return this.sending;
  }

  private async send(text: string): Promise<void> {
    if (!responseUrlAllowed(this.url, this.allowedHosts)) return;
    try {
      const response = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text }),
        // Not followed: the allowlist is checked on this URL, not on wherever a 3xx points (a failure).
        redirect: "manual",
        signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.ok) this.posted++;
      else {
        this.failures++;
        this.log.warn({ host: responseUrlHost(this.url), status: response.status }, "chat webhook refused a message");
      }
    } catch (error) {
      this.failures++;
      this.log.warn(
        { host: responseUrlHost(this.url), err: failureReason(error) },
        "could not post to the chat webhook",
      );
    }
  }

  /** Sends what is queued and waits for it. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.flush();
  }
}
