import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotReplicatedError, ReplicationBarrier } from "../src/store/replication-barrier.ts";
import { type PrivateRedis, startRedis } from "./support/redis.ts";

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** A barrier on its own (connected) connection, watching another, over a Redis with no replica at all. */
async function barrier(replicas: number) {
  const own = redis.connect();
  const watched = redis.connect();
  await Promise.all([own.ping(), watched.ping()]);
  return {
    own,
    watched,
    barrier: new ReplicationBarrier(own, [watched], { replicas, timeoutMs: 100, key: "t:barrier" }),
  };
}

describe("the replication barrier (a private redis-server with no replica)", () => {
  it("with 0 replicas asked, confirms at once without a round", async () => {
    const { own, barrier: b } = await barrier(0);
    await own.del("t:barrier");
    await b.confirm(b.mark());
    expect(await own.get("t:barrier")).toBeNull();
  });

  it("a replica that does not acknowledge within the timeout: NotReplicatedError naming the figures", async () => {
    const { barrier: b } = await barrier(1);
    const started = performance.now();
    await expect(b.confirm(b.mark())).rejects.toThrow(
      /^the change reached 0 of the 1 Redis replica\(s\) it must reach within 100 ms/,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
  });

  it("a round that fails (its connection closed in a fail-over) is not-replicated too, not an internal error", async () => {
    const { own, barrier: b } = await barrier(1);
    own.disconnect();
    const error = await b.confirm(b.mark()).catch((e: Error) => e);
    expect(error).toBeInstanceOf(NotReplicatedError);
    expect((error as Error).message).toMatch(/^Redis could not confirm the change reached its replica\(s\)/);
  });

  it("a connection re-made between the command's first write and its confirmation: not confirmed", async () => {
    const { watched, barrier: b } = await barrier(1);
    const mark = b.mark();
    const ready = new Promise<void>((resolve) => watched.once("ready", () => resolve()));
    watched.disconnect(true); // reconnects: a fail-over moved it
    await ready;
    await expect(b.confirm(mark)).rejects.toThrow(/the connection to Redis was re-made/);
  });
});
