import type { Redis } from "ioredis";
import type { WriteFence } from "../store/events.ts";
import type { OwnershipAlert } from "./alerts.ts";

/**
 * The VIP ownership alerts active now, in one Redis hash (`<cluster>|<vip>` → alert), kept by the
 * replica that supervises the fleet: the other replicas show them in status, and the next
 * supervisor starts from them (an alert still true is not raised a second time).
 */
export class AlertStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async raised(alert: OwnershipAlert): Promise<void> {
    await this.redis.hset(this.key, `${alert.cluster}|${alert.vip}`, JSON.stringify(alert));
  }

  async cleared(alert: OwnershipAlert): Promise<void> {
    await this.redis.hdel(this.key, `${alert.cluster}|${alert.vip}`);
  }

  /** The same store, written only while `fence` holds: a replica that lost the supervisor lease changes no alert. */
  fencedBy(fence: WriteFence): Pick<AlertStore, "raised" | "cleared" | "list"> {
    return {
      raised: async (alert) => {
        await fence.fencedHset(this.key, `${alert.cluster}|${alert.vip}`, JSON.stringify(alert));
      },
      cleared: async (alert) => {
        await fence.fencedHdel(this.key, `${alert.cluster}|${alert.vip}`);
      },
      list: (cluster) => this.list(cluster),
    };
  }

  /** Every active alert, or a cluster's. */
  async list(cluster?: string): Promise<OwnershipAlert[]> {
    const raw = await this.redis.hgetall(this.key);
    return Object.values(raw)
      .map((v) => JSON.parse(v) as OwnershipAlert)
      .filter((a) => cluster === undefined || a.cluster === cluster)
      .sort((a, b) => a.cluster.localeCompare(b.cluster) || a.vip.localeCompare(b.vip));
  }
}
