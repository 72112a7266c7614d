import { QueueKeys } from "bullmq";
import calculateSlot from "cluster-key-slot";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { MAINTENANCE_QUEUE } from "../src/maintenance/service.ts";
import { maintenanceKeys } from "../src/maintenance/store.ts";
import { QUEUE_NAME } from "../src/queue/jobs.ts";
import { keys } from "../src/store/keys.ts";

/**
 * Redis Cluster runs a script or a MULTI only when all its keys are in one slot. With a hash tag in
 * LVSFLEET_PREFIX (`{lvsfleet}`) every key of every multi-key script and transaction of the server
 * must hash to one slot: here each one's keys, built by the same key builders the code uses.
 */
function keySets(prefix: string): Record<string, string[]> {
  const k = keys(prefix);
  const m = maintenanceKeys(prefix);
  const pki = (name: string) => `${prefix}:pki:${name}`; // RedisPkiStore.key
  const bull = new QueueKeys(prefix);
  return {
    // store/clusters.ts CAS: the spec, the index, the host owners, the registry
    "clusters CAS": [k.cluster("web"), k.clusters, k.hostOwners, k.agents],
    // store/host-owners.ts SETTLE
    "host owners SETTLE": [k.hostOwners, k.agents],
    // maintenance/store.ts CAS and APPEND_EVENT, and the MULTIs of create and expireFinished
    "maintenance CAS": [m.job("m-1"), m.events("m-1"), m.eventSeq("m-1")],
    "maintenance APPEND_EVENT": [m.events("m-1"), m.eventSeq("m-1")],
    "maintenance create MULTI": [m.job("m-1"), m.jobs],
    "maintenance expire MULTI": [m.jobs, m.job("m-1"), m.events("m-1"), m.eventSeq("m-1"), m.job("m-2")],
    // maintenance/lock.ts ACQUIRE, RENEW, FENCE, RELEASE
    "cluster lock": [m.lock("web"), m.fence("web"), m.turn("web")],
    // access/tokens.ts create and revoke MULTIs
    "tokens MULTI": [k.tokens, k.tokenHashes],
    // pki/redis-store.ts revokeHost MULTI
    "revocation MULTI": [pki("revoked-hosts"), pki("revoked-serials")],
    // agents/supervisor-lease.ts ACQUIRE (lease and its fence), and the fenced appends of the
    // supervisor's events and audit entries (server.ts builds the keys the same way)
    "supervisor lease ACQUIRE": [`${prefix}:supervisor:lease`, `${prefix}:supervisor:fence`],
    "supervisor fenced events": [`${prefix}:supervisor:lease`, k.events],
    "supervisor fenced audit": [`${prefix}:supervisor:lease`, k.audit],
    // BullMQ's own scripts touch the keys of one queue (QueueKeys is how BullMQ names them)
    "BullMQ command queue": Object.values(bull.getKeys(QUEUE_NAME)).filter(Boolean),
    "BullMQ maintenance queue": Object.values(bull.getKeys(MAINTENANCE_QUEUE)).filter(Boolean),
  };
}

const slots = (keyList: string[]) => new Set(keyList.map((key) => calculateSlot(key)));

describe("Redis Cluster: a hash-tag prefix keeps every multi-key script in one slot", () => {
  const prefix = loadConfig({
    LVSFLEET_API_TOKEN: "a-token-of-enough-length",
    LVSFLEET_PREFIX: "{lvsfleet}",
  }).LVSFLEET_PREFIX;

  it.each(Object.entries(keySets(prefix)))("%s: one slot", (_, keyList) => {
    expect(keyList.length).toBeGreaterThan(1);
    expect(slots(keyList).size, keyList.join(" ")).toBe(1);
  });

  it("and it is the slot of the tag: every key of the installation (and of BullMQ) is in it", () => {
    const all = Object.values(keySets(prefix)).flat();
    expect(slots(all)).toEqual(new Set([calculateSlot("lvsfleet")]));
    // whatever a cluster or host is called: the first {…} of a key decides, and that is the prefix's
    expect(calculateSlot(keys(prefix).cluster("{web}"))).toBe(calculateSlot("lvsfleet"));
  });

  it("without a hash tag the same scripts span several slots (what Cluster refuses with CROSSSLOT)", () => {
    const sets = keySets("lvsfleet");
    expect(slots(sets["clusters CAS"]!).size).toBeGreaterThan(1);
    expect(slots(sets["BullMQ command queue"]!).size).toBeGreaterThan(1);
  });
});
