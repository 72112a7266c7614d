import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { ServerTrust } from "./trust.ts";

/** What a server does when a host is revoked or reinstated (wherever that happened). */
export interface RevocationListener {
  revoked(host: string): void;
  reinstated(host: string): void;
}

/** Fallback re-read of the list, in case a published message was missed (e.g. a Redis reconnect). */
const REFRESH_MS = 5_000;

/**
 * Makes a revocation take effect on every server that shares the Redis within a second: the server
 * that revokes (or reinstates) publishes on a channel; every server, itself included, then re-reads
 * the list, and for each host that changed closes its channels and stops watching it (or starts
 * again). The list is also re-read every few seconds, so a missed message is caught up.
 */
export class RevocationFeed {
  private known = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(
    private readonly trust: ServerTrust,
    private readonly connections: { publisher: Redis; subscriber: Redis },
    private readonly channel: string,
    private readonly listener: RevocationListener,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.known = new Set(this.trust.revocations.revokedHosts());
    await this.connections.subscriber.subscribe(this.channel);
    this.connections.subscriber.on("message", (channel) => {
      if (channel === this.channel) void this.refresh();
    });
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  /** After a revoke or reinstate here: act on it at once, then tell every other server. */
  async announce(): Promise<void> {
    await this.refresh();
    await this.connections.publisher.publish(this.channel, String(Date.now()));
  }

  /** Re-reads the list (one at a time) and acts on every host that changed since the last read. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(async () => {
      try {
        const now = new Set((await this.trust.refreshRevocations()).revokedHosts());
        for (const host of now)
          if (!this.known.has(host)) {
            this.log.warn({ agent: host }, "host revoked: its channels are closed and it is no longer watched");
            this.listener.revoked(host);
          }
        for (const host of this.known) if (!now.has(host)) this.listener.reinstated(host);
        this.known = now;
      } catch (error) {
        this.log.warn({ err: (error as Error).message }, "could not re-read the revocation list");
      }
    });
    return this.refreshing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.connections.subscriber.unsubscribe(this.channel).catch(() => undefined);
    this.connections.subscriber.disconnect();
  }
}
