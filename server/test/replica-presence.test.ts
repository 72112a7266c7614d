import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuplicateReplicaError, ReplicaPresence } from "../src/agents/replica-presence.ts";
import { type PrivateRedis, startRedis } from "./support/redis.ts";

const log = pino({ level: "silent" });
let redis: PrivateRedis;
let n = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const presence = (key: string, ttlMs = 300) =>
  new ReplicaPresence(redis.connect(), { key, replica: "replica-a", ttlMs, log });

describe("one running process per replica id (a private redis-server)", () => {
  it("a second live process with the same id is refused after two TTLs, naming the id; the first keeps its claim", async () => {
    const key = `p${n++}:replica:replica-a`;
    const first = presence(key);
    await first.claim();
    const held = await redis.connect().get(key);
    const started = performance.now();
    const second = presence(key);
    await expect(second.claim()).rejects.toThrow(DuplicateReplicaError);
    await expect(presence(key).claim()).rejects.toThrow(/already uses LVSFLEET_REPLICA_ID=replica-a/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(600);
    expect(await redis.connect().get(key)).toBe(held);
    await first.close();
  });

  it("a restart waits out its dead predecessor's claim (at most one TTL), then runs", async () => {
    const key = `p${n++}:replica:replica-a`;
    await redis.connect().set(key, "a-dead-instance", "PX", 300); // died without releasing
    const started = performance.now();
    const next = presence(key);
    await next.claim();
    expect(performance.now() - started).toBeLessThan(600);
    expect(await redis.connect().get(key)).not.toBe("a-dead-instance");
    await next.close();
  });

  it("a clean shutdown releases the claim at once, and the claim is renewed while running", async () => {
    const key = `p${n++}:replica:replica-a`;
    const first = presence(key);
    await first.claim();
    await new Promise((r) => setTimeout(r, 900)); // three TTLs: kept by renewal
    expect(await redis.connect().pttl(key)).toBeGreaterThan(0);
    await first.close();
    expect(await redis.connect().exists(key)).toBe(0);
    const started = performance.now();
    const again = presence(key);
    await again.claim();
    expect(performance.now() - started).toBeLessThan(100);
    await again.close();
  });
});
