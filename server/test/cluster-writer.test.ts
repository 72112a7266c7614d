import { ClusterSpec, DEMO_CLUSTER } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { ClusterWriter } from "../src/store/cluster-writer.ts";
import { ConcurrentUpdateError, type SpecStore, type StoredCluster, StoredSpecError } from "../src/store/clusters.ts";

/** An in-memory SpecStore with Redis's compare-and-set semantics, counting writes. */
class MemoryStore implements SpecStore {
  stored: StoredCluster | undefined;
  writes = 0;
  reads = 0;
  /** Simulates another server winning the next N compare-and-sets. */
  lose = 0;
  /** Simulates a stored spec this server cannot read (at this generation). */
  unreadable: number | undefined;
  async get(name: string) {
    this.reads++;
    await new Promise((r) => setTimeout(r, 1));
    if (this.unreadable !== undefined) throw new StoredSpecError(name, this.unreadable, "services[0].scheduler: bad");
    return this.stored && structuredClone(this.stored);
  }
  async put(spec: ClusterSpec, expected: number) {
    await new Promise((r) => setTimeout(r, 2));
    if (this.lose > 0 || (this.unreadable ?? this.stored?.generation ?? 0) !== expected) {
      if (this.lose > 0 && this.stored) this.stored.generation++;
      this.lose = Math.max(0, this.lose - 1);
      throw new ConcurrentUpdateError("lost the race");
    }
    this.writes++;
    this.unreadable = undefined;
    this.stored = { spec: structuredClone(spec), generation: expected + 1, updatedAt: Date.now() };
    return expected + 1;
  }
}

const demo = ClusterSpec.parse(DEMO_CLUSTER);
const setWeight = (weight: number) => (current: ClusterSpec | undefined) => {
  if (!current) throw new Error("no cluster");
  const spec = structuredClone(current);
  spec.services[0]!.realServers[0]!.weight = weight;
  return { spec, result: weight };
};

describe("ClusterWriter", () => {
  it("creates, then writes a burst of changes with one compare-and-set per batch, last one winning", async () => {
    const store = new MemoryStore();
    const writer = new ClusterWriter(store);
    const created = await writer.update("web", () => ({ spec: demo, result: null }));
    expect(created).toMatchObject({ created: true, changed: true, generation: 1 });
    const updates = await Promise.all([5, 6, 7, 8, 9].map((w) => writer.update("web", setWeight(w))));
    expect(updates.map((u) => u.result)).toEqual([5, 6, 7, 8, 9]);
    expect(store.stored?.spec.services[0]?.realServers[0]?.weight).toBe(9);
    expect(store.writes).toBeLessThan(1 + 5);
    // Every change is in the generation it reports (or a later one).
    for (const u of updates) expect(u.generation).toBeLessThanOrEqual(store.stored!.generation);
    expect(updates.at(-1)?.generation).toBe(store.stored?.generation);
  });

  it("a change that changes nothing does not bump the generation", async () => {
    const store = new MemoryStore();
    const writer = new ClusterWriter(store);
    await writer.update("web", () => ({ spec: demo, result: null }));
    const same = await writer.update("web", setWeight(3));
    expect(same).toMatchObject({ changed: false, generation: 1 });
    expect(store.writes).toBe(1);
  });

  it("refuses a failing change alone and keeps the others of its batch", async () => {
    const store = new MemoryStore();
    const writer = new ClusterWriter(store);
    await writer.update("web", () => ({ spec: demo, result: null }));
    const results = await Promise.allSettled([
      writer.update("web", setWeight(4)),
      writer.update("web", () => {
        throw new Error("bad change");
      }),
      writer.update("web", setWeight(6)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(store.stored?.spec.services[0]?.realServers[0]?.weight).toBe(6);
  });

  it("re-reads and retries when another server won the compare-and-set", async () => {
    const store = new MemoryStore();
    const writer = new ClusterWriter(store);
    await writer.update("web", () => ({ spec: demo, result: null }));
    store.lose = 2;
    const update = await writer.update("web", setWeight(2));
    expect(update.changed).toBe(true);
    expect(store.stored?.spec.services[0]?.realServers[0]?.weight).toBe(2);
    expect(update.generation).toBe(store.stored?.generation);
  });

  it("over a stored spec it cannot read: a whole spec replaces it, a change to it is refused", async () => {
    const store = new MemoryStore();
    store.unreadable = 7;
    const writer = new ClusterWriter(store);
    await expect(writer.update("web", setWeight(2))).rejects.toThrow(
      "the stored spec of cluster web (generation 7) cannot be read: services[0].scheduler: bad; replace it with PUT /v1/clusters/web",
    );
    expect(store.writes).toBe(0);
    // a change queued before the replacement is refused; one queued behind it applies to the new spec
    const [before, replaced, after] = await Promise.allSettled([
      writer.update("web", setWeight(4)),
      writer.update("web", (current) => ({ spec: demo, result: current }), { replaces: true }),
      writer.update("web", setWeight(5)),
    ]);
    expect(before).toMatchObject({ status: "rejected", reason: expect.any(StoredSpecError) });
    expect(replaced).toMatchObject({
      status: "fulfilled",
      value: {
        result: undefined,
        generation: 8,
        changed: true,
        created: false,
        replacedUnreadable: "services[0].scheduler: bad",
      },
    });
    expect(after).toMatchObject({ status: "fulfilled", value: { result: 5, generation: 8 } });
    expect(store.writes).toBe(1);
    expect(store.stored?.spec.services[0]?.realServers[0]?.weight).toBe(5);
  });
});
