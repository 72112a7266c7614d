import type { AgentEvent } from "@lvsfleet/model";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventListener, Fleet } from "../src/agents/fleet.ts";
import { AgentSupervisor } from "../src/agents/supervisor.ts";
import { AgentRegistry } from "../src/store/agents.ts";
import { EventLog } from "../src/store/events.ts";
import { keys } from "../src/store/keys.ts";
import { type PrivateRedis, startRedis } from "./support/redis.ts";

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Agents whose stream answers its first heartbeat `answerMs` after it is opened (a TLS handshake and
 * a first message); counts the streams being opened at once.
 */
function slowFleet(answerMs: number) {
  const seen = { opening: 0, mostOpening: 0, opened: [] as { host: string; at: number }[] };
  const fleet = {
    watch: (registration: { host: string }, _options: unknown, listener: EventListener) => {
      seen.opening += 1;
      seen.mostOpening = Math.max(seen.mostOpening, seen.opening);
      seen.opened.push({ host: registration.host, at: performance.now() });
      let cancelled = false;
      const timer = setTimeout(() => {
        seen.opening -= 1;
        if (!cancelled)
          listener.onEvent({
            type: "heartbeat",
            time: Date.now(),
            host: registration.host,
            roleState: "running",
            generation: 1,
          } as AgentEvent);
      }, answerMs);
      return {
        cancel: () => {
          if (!cancelled) clearTimeout(timer);
          if (!cancelled && seen.opening > 0) seen.opening -= 1;
          cancelled = true;
        },
      };
    },
  } as unknown as Fleet;
  return { fleet, seen };
}

describe("the supervisor attaches many agents in slots, spread by jitter (no thundering herd)", () => {
  it("300 registered agents, 8 slots, 400 ms of jitter: never more than 8 streams opening, all watched, spread out", async () => {
    const connection = redis.connect();
    const k = keys("pacing");
    const registry = new AgentRegistry(connection, k);
    for (let i = 0; i < 300; i++)
      await registry.register({
        host: `a${i}`,
        role: "director",
        endpoint: `127.0.0.1:${10_000 + i}`,
        driver: "sim",
        registeredAt: 0,
      });
    const { fleet, seen } = slowFleet(5);
    const supervisor = new AgentSupervisor(
      registry,
      fleet,
      new EventLog(connection, k),
      60_000,
      pino({ level: "silent" }),
      {},
      { concurrency: 8, jitterMs: 400 },
    );
    supervisor.stop();
    const started = performance.now();
    await supervisor.start();
    // at once: the slots' worth, not the herd
    expect(seen.opened.length).toBe(8);
    const deadline = Date.now() + 20_000;
    while (seen.opened.length < 300 && Date.now() < deadline) await sleep(20);
    expect(new Set(seen.opened.map((o) => o.host)).size).toBe(300);
    expect(seen.opened.length).toBe(300);
    expect(seen.mostOpening).toBeLessThanOrEqual(8);
    // spread over the jitter: the last opened well after the first slots
    expect(Math.max(...seen.opened.map((o) => o.at)) - started).toBeGreaterThan(200);
    await sleep(50);
    expect(supervisor.attachments).toEqual({ watched: 300, waiting: 0, inFlight: 0 });
    supervisor.stop();
    expect(supervisor.attachments).toEqual({ watched: 0, waiting: 0, inFlight: 0 });
  });

  it("a stream that never answers frees its slot after three missed heartbeats", async () => {
    const connection = redis.connect();
    const k = keys("pacing-silent");
    const registry = new AgentRegistry(connection, k);
    for (const host of ["s1", "s2"])
      await registry.register({ host, role: "director", endpoint: "127.0.0.1:9", driver: "sim", registeredAt: 0 });
    const { fleet, seen } = slowFleet(60_000);
    const supervisor = new AgentSupervisor(
      registry,
      fleet,
      new EventLog(connection, k),
      200,
      pino({ level: "silent" }),
      {},
      { concurrency: 1, jitterMs: 0 },
    );
    supervisor.stop();
    await supervisor.start();
    expect(seen.opened.map((o) => o.host).sort()).toHaveLength(1);
    await sleep(900);
    expect(seen.opened).toHaveLength(2);
    supervisor.stop();
  });
});
