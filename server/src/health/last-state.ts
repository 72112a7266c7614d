import type { Redis } from "ioredis";
import type { WriteFence } from "../store/events.ts";

/** The last known state of one thing the fleet reports on. */
export interface LastState {
  /** `rs:http:198.18.0.11:80`, `vrrp:VI_1`, `quorum:http`, `agent`, `vip:198.18.1.100` (alerts). */
  subject: string;
  /** The reporting host (`server` for the server's own alerts). */
  host: string;
  cluster?: string | undefined;
  state: string;
  detail: string;
  time: number;
}

/**
 * The last state of every real server, VRRP instance, quorum, agent and VIP alert, in one Redis
 * hash (the history is the event log): what status shows for an agent that cannot answer now.
 */
export class LastStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async set(entry: LastState): Promise<void> {
    await this.redis.hset(this.key, `${entry.host}|${entry.subject}`, JSON.stringify(entry));
  }

  /** The same store, written only while `fence` holds: a replica that lost the supervisor lease records nothing. */
  fencedBy(fence: WriteFence): Pick<LastStateStore, "set" | "forHosts"> {
    return {
      set: async (entry) => {
        await fence.fencedHset(this.key, `${entry.host}|${entry.subject}`, JSON.stringify(entry));
      },
      forHosts: (hosts, cluster) => this.forHosts(hosts, cluster),
    };
  }

  async all(): Promise<LastState[]> {
    const raw = await this.redis.hgetall(this.key);
    return Object.values(raw)
      .map((v) => JSON.parse(v) as LastState)
      .sort((a, b) => a.host.localeCompare(b.host) || a.subject.localeCompare(b.subject));
  }

  /** Those of the given hosts (a cluster's), and the cluster's own alerts. */
  async forHosts(hosts: readonly string[], cluster: string): Promise<LastState[]> {
    return (await this.all()).filter((e) => hosts.includes(e.host) || (e.host === "server" && e.cluster === cluster));
  }
}
