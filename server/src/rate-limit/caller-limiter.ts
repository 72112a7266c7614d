import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";

/**
 * Requests per minute per caller (a token's name, a chat user), counted in Redis so that
 * several servers share the budget. rate-limiter-flexible does the atomic counting.
 */
export class CallerLimiter {
  private readonly limiter: RateLimiterRedis;

  constructor(redis: Redis, prefix: string, perMinute: number) {
    this.limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: prefix, points: perMinute, duration: 60 });
  }

  /** Undefined when allowed; otherwise the seconds to wait. */
  async check(caller: string): Promise<number | undefined> {
    try {
      await this.limiter.consume(caller);
      return undefined;
    } catch (error) {
      if (error instanceof RateLimiterRes) return Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      throw error;
    }
  }
}
