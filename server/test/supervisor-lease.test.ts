import { ValidationError } from "@lvsfleet/model";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Fleet } from "../src/agents/fleet.ts";
import { AgentSupervisor } from "../src/agents/supervisor.ts";
import { supervisorDuty } from "../src/agents/supervisor-duty.ts";
import { type LeaseListener, SupervisorLease } from "../src/agents/supervisor-lease.ts";
import { AuditLog } from "../src/audit/log.ts";
import { loadConfig } from "../src/config.ts";
import { AlertStore } from "../src/health/alert-store.ts";
import type { OwnershipAlert } from "../src/health/alerts.ts";
import { LastStateStore } from "../src/health/last-state.ts";
import { AgentRegistry } from "../src/store/agents.ts";
import { EventLog } from "../src/store/events.ts";
import { keys } from "../src/store/keys.ts";
import { type PrivateRedis, startRedis } from "./support/redis.ts";

const log = pino({ level: "silent" });
let redis: PrivateRedis;
let prefix = 0;
const leases: SupervisorLease[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  await Promise.all(leases.splice(0).map((l) => l.close()));
});

/** What the listener heard, in order. */
function recorder(): LeaseListener & { heard: string[] } {
  const heard: string[] = [];
  return {
    heard,
    gained: (token) => void heard.push(`gained ${token}`),
    lost: (reason) => void heard.push(`lost: ${reason}`),
  };
}

function contender(
  p: string,
  replica: string,
  ttlMs: number,
  connection = redis.connect(),
  instance?: string,
): SupervisorLease {
  const lease = new SupervisorLease(connection, {
    key: `${p}:supervisor:lease`,
    fenceKey: `${p}:supervisor:fence`,
    replica,
    ttlMs,
    presence: instance ? { key: `${p}:replica:${replica}`, instance } : undefined,
    log,
  });
  leases.push(lease);
  return lease;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, probe: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("the supervisor lease (a private redis-server)", () => {
  it("the first contender takes it with fencing token 1 and keeps it by renewing past its TTL", async () => {
    const p = `t${prefix++}`;
    const a = contender(p, "replica-a", 300);
    const heard = recorder();
    await a.start(heard);
    expect(a.holding).toBe(true);
    expect(a.fencingToken).toBe(1);
    expect(heard.heard).toEqual(["gained 1"]);
    const admin = redis.connect();
    expect(await admin.get(`${p}:supervisor:lease`)).toBe("replica-a 1");
    await sleep(1_000); // more than three TTLs
    expect(a.holding).toBe(true);
    expect(await admin.get(`${p}:supervisor:lease`)).toBe("replica-a 1");
    expect(await admin.pttl(`${p}:supervisor:lease`)).toBeGreaterThan(0);
    expect(heard.heard).toEqual(["gained 1"]);
  });

  it("a second contender waits while the holder renews", async () => {
    const p = `t${prefix++}`;
    const a = contender(p, "replica-a", 300);
    const b = contender(p, "replica-b", 300);
    const heardB = recorder();
    await a.start(recorder());
    await b.start(heardB);
    await sleep(1_000);
    expect(a.holding).toBe(true);
    expect(b.holding).toBe(false);
    expect(heardB.heard).toEqual([]);
  });

  it("a holder cut off from Redis loses it after its TTL, and another takes over with a higher fencing token", async () => {
    const p = `t${prefix++}`;
    const connectionA = redis.connect();
    const a = contender(p, "replica-a", 400, connectionA);
    const b = contender(p, "replica-b", 400);
    const heardA = recorder();
    const heardB = recorder();
    await a.start(heardA);
    await b.start(heardB);
    const tokenA = a.fencingToken!;
    const cut = Date.now();
    connectionA.disconnect(); // a partition: renewals fail from now on
    await waitUntil("replica-a to step down", () => !a.holding);
    const steppedDown = Date.now() - cut;
    expect(steppedDown).toBeLessThanOrEqual(400 + 100);
    expect(heardA.heard).toEqual([`gained ${tokenA}`, "lost: no renewal within 400 ms"]);
    await waitUntil("replica-b to take over", () => b.holding);
    const tookOver = Date.now() - cut;
    expect(tookOver).toBeLessThan(400 + 400 / 3 + 200);
    expect(b.fencingToken).toBeGreaterThan(tokenA);
    expect(heardB.heard).toEqual([`gained ${b.fencingToken}`]);
  });

  it("a stale holder that has not noticed its loss is refused at its fenced writes (events and audit)", async () => {
    const p = `t${prefix++}`;
    const admin = redis.connect();
    const k = keys(p);
    // A long TTL: replica-a will not notice on its own during the test (a stalled process).
    const a = contender(p, "replica-a", 60_000);
    const b = contender(p, "replica-b", 60_000);
    const heardA = recorder();
    await a.start(heardA);
    await new EventLog(admin, k).fencedBy(a).append(agentLost("web1", "stream broke"));
    expect(await admin.xlen(k.events)).toBe(1);

    // While replica-a stalls, its lease runs out in Redis and replica-b takes it.
    await admin.pexpire(`${p}:supervisor:lease`, 1);
    await sleep(20);
    await b.tick();
    expect(b.holding).toBe(true);
    expect(a.holding).toBe(true); // it does not know yet
    expect(b.fencingToken).toBe(2);

    const events = new EventLog(admin, k);
    await events.fencedBy(a).append(agentLost("web2", "stale"));
    await events.fencedBy(b).append(agentLost("web2", "fresh"));
    const audit = new AuditLog(admin, k.audit);
    const entry = {
      actor: { type: "agent" as const, name: "lb-master" },
      channel: "agent" as const,
      command: "health",
      outcome: "completed" as const,
    };
    expect(await audit.fencedBy(a).append(entry)).toBe("");
    expect(await audit.fencedBy(b).append(entry)).not.toBe("");
    expect(await a.fencedXadd(`${p}:other`, 100, "f", "v")).toBeUndefined();

    const stored = (await events.recent(10)).map((e) => ("detail" in e ? e.detail : undefined));
    expect(stored).toEqual(["stream broke", "fresh"]);
    expect(await admin.xlen(k.audit)).toBe(1);

    // Its next renewal is refused: it steps down, and its shutdown releases nothing that is not its own.
    await a.tick();
    expect(a.holding).toBe(false);
    expect(heardA.heard).toEqual(["gained 1", "lost: another replica holds the lease"]);
    await a.close();
    expect(await admin.get(`${p}:supervisor:lease`)).toBe("replica-b 2");
  });

  it("a stale holder writes no agent liveness, last state or alert; the new holder does", async () => {
    const p = `t${prefix++}`;
    const admin = redis.connect();
    const k = keys(p);
    const a = contender(p, "replica-a", 60_000);
    const b = contender(p, "replica-b", 60_000);
    await a.start(recorder());
    const registry = new AgentRegistry(admin, k);
    const liveness = { reachable: true, since: 1 };
    await registry.fencedBy(a).setLiveness("lb1", liveness);
    expect(await registry.liveness("lb1")).toEqual(liveness);

    await admin.pexpire(`${p}:supervisor:lease`, 1);
    await sleep(20);
    await b.tick();
    expect(a.holding).toBe(true); // stalled: it does not know yet

    await registry.fencedBy(a).setLiveness("lb1", { reachable: false, since: 2 });
    expect(await registry.liveness("lb1")).toEqual(liveness);
    await registry.fencedBy(b).setLiveness("lb1", { reachable: false, since: 3 });
    expect(await registry.liveness("lb1")).toEqual({ reachable: false, since: 3 });

    const lastState = new LastStateStore(admin, `${p}:health-last`);
    const state = { subject: "agent", host: "lb1", state: "down", detail: "", time: 1 };
    await lastState.fencedBy(a).set(state);
    expect(await lastState.all()).toEqual([]);
    await lastState.fencedBy(b).set(state);
    expect(await lastState.all()).toEqual([state]);

    const alerts = new AlertStore(admin, `${p}:health-alerts`);
    const alert: OwnershipAlert = {
      cluster: "web",
      vip: "198.18.1.100",
      instance: "VI_1",
      kind: "split-brain",
      holders: ["lb1", "lb2"],
      since: 1,
      raisedAt: 2,
    };
    await alerts.fencedBy(a).raised(alert);
    expect(await alerts.list()).toEqual([]);
    await alerts.fencedBy(b).raised(alert);
    expect(await alerts.list()).toEqual([alert]);
    await alerts.fencedBy(a).cleared(alert);
    expect(await alerts.list()).toEqual([alert]);
    await alerts.fencedBy(b).cleared(alert);
    expect(await alerts.list()).toEqual([]);
  });

  it("two live processes with one replica id: only the one holding the id's claim takes the lease back, so they do not take it from each other", async () => {
    const p = `t${prefix++}`;
    const admin = redis.connect();
    await admin.set(`${p}:replica:twin`, "instance-a");
    const a = contender(p, "twin", 60_000, redis.connect(), "instance-a");
    const b = contender(p, "twin", 60_000, redis.connect(), "instance-b");
    const heardA = recorder();
    const heardB = recorder();
    await a.start(heardA);
    await b.start(heardB);
    expect(a.holding).toBe(true);
    expect(b.holding).toBe(false); // same id, but not the claim's holder: no take-back
    // a pauses long enough for b to take the id's claim (replica-presence.ts)
    await admin.set(`${p}:replica:twin`, "instance-b");
    await b.tick();
    expect(b.holding).toBe(true);
    await a.tick();
    expect(a.holding).toBe(false);
    for (let round = 0; round < 5; round++) {
      await a.tick();
      await b.tick();
    }
    expect(a.holding).toBe(false);
    expect(b.holding).toBe(true);
    expect(heardA.heard).toEqual(["gained 1", "lost: another replica holds the lease"]);
    expect(heardB.heard).toEqual(["gained 2"]);
  });

  it("a renewal refused because another replica holds the lease: lost at once", async () => {
    const p = `t${prefix++}`;
    const admin = redis.connect();
    const a = contender(p, "replica-a", 60_000);
    const heardA = recorder();
    await a.start(heardA);
    await admin.set(`${p}:supervisor:lease`, "replica-b 7", "PX", 60_000);
    await a.tick();
    expect(a.holding).toBe(false);
    expect(heardA.heard).toEqual(["gained 1", "lost: another replica holds the lease"]);
    expect(await a.fencedXadd(`${p}:events`, 100, "event", "{}")).toBeUndefined();
    expect(await admin.exists(`${p}:events`)).toBe(0);
  });

  it("a clean shutdown gives the lease up, so the next replica takes it at its next round", async () => {
    const p = `t${prefix++}`;
    const admin = redis.connect();
    const a = contender(p, "replica-a", 60_000);
    const b = contender(p, "replica-b", 60_000);
    const heardA = recorder();
    await a.start(heardA);
    await b.start(recorder());
    expect(b.holding).toBe(false);
    await a.close();
    expect(heardA.heard).toEqual(["gained 1", "lost: shutting down"]);
    expect(await admin.exists(`${p}:supervisor:lease`)).toBe(0);
    await b.tick();
    expect(b.holding).toBe(true);
    expect(b.fencingToken).toBe(2);
  });

  it("the same replica started again after dying with the lease takes it back at once, with a new token", async () => {
    const p = `t${prefix++}`;
    const connection = redis.connect();
    const first = contender(p, "replica-a", 60_000, connection);
    await first.start(recorder());
    connection.disconnect(); // died without releasing
    const again = contender(p, "replica-a", 60_000);
    const other = contender(p, "replica-b", 60_000);
    await other.start(recorder());
    expect(other.holding).toBe(false);
    await again.start(recorder());
    expect(again.holding).toBe(true);
    expect(again.fencingToken).toBe(2);
  });
});

function agentLost(host: string, detail: string) {
  return { type: "agent" as const, time: Date.now(), host, from: "reachable", to: "unreachable", detail };
}

describe("the supervisor's duty: only while holding the lease", () => {
  it("watches every registered agent on gaining it (and those registered with other replicas later), and cancels every stream at once on losing it", async () => {
    const p = `t${prefix++}`;
    const k = keys(p);
    const connection = redis.connect();
    const registry = new AgentRegistry(connection, k);
    const open = new Set<string>();
    const opened: string[] = [];
    const fleet = {
      watch: (registration: { host: string }) => {
        open.add(registration.host);
        opened.push(registration.host);
        return { cancel: () => open.delete(registration.host) };
      },
    } as unknown as Fleet;
    const supervisor = new AgentSupervisor(registry, fleet, new EventLog(connection, k), 60_000, log);
    supervisor.stop(); // as a replica starts: nothing watched before the lease
    const health = {
      paused: true,
      pause() {
        health.paused = true;
      },
      resume() {
        health.paused = false;
      },
    };
    const duty = supervisorDuty(supervisor, health, { syncMs: 50, log });
    const agent = (host: string) => ({
      host,
      role: "director" as const,
      endpoint: `127.0.0.1:${1000 + host.length}`,
      driver: "sim",
      registeredAt: 0,
    });
    await registry.register(agent("lb1"));
    supervisor.ensure(agent("lb1")); // a registration answered by this replica before it holds the lease
    expect(opened).toEqual([]);

    await duty.gained(1);
    expect([...open]).toEqual(["lb1"]);
    expect(health.paused).toBe(false);
    await registry.register(agent("lb2")); // registered through another replica
    await waitUntil("lb2 to be watched", () => open.has("lb2"), 2_000);

    duty.lost("another replica holds the lease");
    expect([...open]).toEqual([]);
    expect(health.paused).toBe(true);
    expect(supervisor.watching).toBe(false);
    await registry.register(agent("lb3"));
    supervisor.ensure(agent("lb3"));
    await sleep(200);
    expect(opened).toEqual(["lb1", "lb2"]);
  });
});

describe("a new supervisor starts from what the previous one recorded", () => {
  /** A fleet whose streams the test drives: heartbeats and breaks, per host. */
  function drivenFleet() {
    const streams = new Map<string, { onEvent(e: unknown): void; onEnd(e?: Error): void }>();
    const fleet = {
      watch: (
        registration: { host: string },
        _opts: unknown,
        handlers: { onEvent(e: unknown): void; onEnd(e?: Error): void },
      ) => {
        streams.set(registration.host, handlers);
        return { cancel: () => streams.delete(registration.host) };
      },
    } as unknown as Fleet;
    return { fleet, streams };
  }
  const beat = (host: string, generation = 1) => ({
    type: "heartbeat" as const,
    time: Date.now(),
    host,
    roleState: "running" as const,
    generation,
    services: 1,
    destinations: 2,
    activeConns: 0,
    inactConns: 0,
  });
  const agent = (host: string) => ({
    host,
    role: "director" as const,
    endpoint: `127.0.0.1:${1000 + host.length}`,
    driver: "sim",
    registeredAt: 0,
  });

  it("an agent the previous supervisor recorded reachable is not announced back after a take-over (but still offered for re-sync); one it recorded reachable that is gone now is announced lost once", async () => {
    const p = `t${prefix++}`;
    const k = keys(p);
    const connection = redis.connect();
    const registry = new AgentRegistry(connection, k);
    const events = new EventLog(connection, k);
    await registry.register(agent("lb1"));
    await registry.register(agent("lb2"));
    const transitions = async () =>
      (await events.recent(50)).map((e) => (e.type === "agent" ? `${e.host} ${e.to}` : e.type));

    /** A supervisor over a fleet the test drives, and the hosts it offered for re-sync. */
    const supervise = async () => {
      const driven = drivenFleet();
      const backs: string[] = [];
      const supervisor = new AgentSupervisor(registry, driven.fleet, events, 60_000, log, {
        onAgentBack: (r) => void backs.push(r.host),
      });
      await supervisor.start();
      return { streams: driven.streams, backs, supervisor };
    };

    // the first supervisor hears both agents: each is announced reachable once
    const { streams: firstStreams, backs: backs1, supervisor: one } = await supervise();
    const first = { streams: firstStreams };
    first.streams.get("lb1")?.onEvent(beat("lb1"));
    first.streams.get("lb2")?.onEvent(beat("lb2"));
    await waitUntil("two announcements", () => backs1.length === 2);
    await sleep(50);
    expect(await transitions()).toEqual(["lb1 reachable", "lb2 reachable"]);
    one.stop(); // the lease moves: the first supervisor stops, its streams are cancelled

    // the second hears lb1 again and finds lb2's stream broken
    const { streams: secondStreams, backs: backs2, supervisor: two } = await supervise();
    const second = { streams: secondStreams };
    second.streams.get("lb1")?.onEvent(beat("lb1"));
    second.streams.get("lb1")?.onEvent(beat("lb1"));
    second.streams.get("lb2")?.onEnd(new Error("connection refused"));
    await waitUntil("lb1 offered for re-sync", () => backs2.length === 1);
    await sleep(100);
    expect(backs2).toEqual(["lb1"]);
    expect(await transitions()).toEqual(["lb1 reachable", "lb2 reachable", "lb2 unreachable"]);
    expect((await registry.liveness("lb1"))?.reachable).toBe(true);
    expect((await registry.liveness("lb2"))?.reachable).toBe(false);
    two.stop();
  });
});

describe("a director that stays reachable is still checked for being behind", () => {
  it("offers an agent for a re-sync check when it comes back and every agentCheckMs after, announcing it back once", async () => {
    const p = `t${prefix++}`;
    const k = keys(p);
    const connection = redis.connect();
    const registry = new AgentRegistry(connection, k);
    const events = new EventLog(connection, k);
    const registration = {
      host: "lb1",
      role: "director" as const,
      endpoint: "127.0.0.1:1",
      driver: "sim",
      registeredAt: 0,
    };
    await registry.register(registration);
    const streams = new Map<string, { onEvent(e: unknown): void }>();
    const fleet = {
      watch: (r: { host: string }, _o: unknown, handlers: { onEvent(e: unknown): void }) => {
        streams.set(r.host, handlers);
        return { cancel: () => streams.delete(r.host) };
      },
    } as unknown as Fleet;
    const checks: number[] = [];
    const supervisor = new AgentSupervisor(registry, fleet, events, 60_000, log, {
      onAgentBack: () => void checks.push(performance.now()),
      agentCheckMs: 100,
    });
    await supervisor.start();
    const beat = () =>
      streams.get("lb1")?.onEvent({
        type: "heartbeat",
        time: Date.now(),
        host: "lb1",
        roleState: "running",
        generation: 1,
        services: 1,
        destinations: 1,
        activeConns: 0,
        inactConns: 0,
      });
    for (let i = 0; i < 18; i++) {
      beat();
      await sleep(20);
    }
    supervisor.stop();
    // ~360 ms of beats every 20 ms: the first beat, then one every 100 ms — never one per beat
    expect(checks.length).toBeGreaterThanOrEqual(3);
    expect(checks.length).toBeLessThanOrEqual(5);
    for (let i = 1; i < checks.length; i++) expect(checks[i]! - checks[i - 1]!).toBeGreaterThanOrEqual(99);
    const back = (await events.recent(10)).filter((e) => e.type === "agent" && e.to === "reachable");
    expect(back).toHaveLength(1);
  });
});

describe("the replica's settings are checked at start, naming the setting and the reason", () => {
  const TOKEN = { LVSFLEET_API_TOKEN: "a-bootstrap-token-long-enough" };
  function configErrors(env: Record<string, string>): Record<string, string> {
    try {
      loadConfig({ ...TOKEN, ...env });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return Object.fromEntries(error.errors.map((e) => [e.field, e.message]));
    }
    return {};
  }

  it("a replica id by default (hostname, pid, random), a lease of 3 s; bad values refused", () => {
    const config = loadConfig(TOKEN);
    expect(config.LVSFLEET_REPLICA_ID).toMatch(new RegExp(`^[A-Za-z0-9._-]+-${process.pid}-[0-9a-f]{6}$`));
    expect(loadConfig(TOKEN).LVSFLEET_REPLICA_ID).not.toBe(config.LVSFLEET_REPLICA_ID);
    expect(config.LVSFLEET_SUPERVISOR_LEASE_MS).toBe(3_000);
    expect(
      loadConfig({ ...TOKEN, LVSFLEET_REPLICA_ID: "lvs-a.1", LVSFLEET_SUPERVISOR_LEASE_MS: "5000" }),
    ).toMatchObject({
      LVSFLEET_REPLICA_ID: "lvs-a.1",
      LVSFLEET_SUPERVISOR_LEASE_MS: 5_000,
    });
    expect(configErrors({ LVSFLEET_REPLICA_ID: "two words" })).toEqual({
      LVSFLEET_REPLICA_ID: "must be 1-128 letters, digits, '.', '_' or '-'",
    });
    expect(Object.keys(configErrors({ LVSFLEET_SUPERVISOR_LEASE_MS: "100" }))).toEqual([
      "LVSFLEET_SUPERVISOR_LEASE_MS",
    ]);
    expect(Object.keys(configErrors({ LVSFLEET_SUPERVISOR_LEASE_MS: "3s" }))).toEqual(["LVSFLEET_SUPERVISOR_LEASE_MS"]);
  });
});
