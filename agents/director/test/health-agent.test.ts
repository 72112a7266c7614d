import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentOptions } from "@lvsfleet/agent-runtime";
import {
  type AgentEvent,
  ClusterSpec,
  type ClusterSpecInput,
  DEMO_CLUSTER,
  type HealthChangeEvent,
  validate,
} from "@lvsfleet/model";
import { AgentCallError, AgentClient, type RunningAgentServer, serveAgent } from "@lvsfleet/rpc";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { directorProgram } from "../src/program.ts";

/** The sim director's health checks and VRRP over gRPC: simulated health, local decisions, events. */

const service = DEMO_CLUSTER.services?.[0] as NonNullable<ClusterSpecInput["services"]>[number];
const check = { type: "tcp" as const, delayLoop: 0.05, warmup: 0, retry: 0 };
const input: ClusterSpecInput = {
  ...DEMO_CLUSTER,
  services: [
    {
      ...service,
      inhibitOnFailure: false,
      realServers: [
        { address: "192.168.1.220", port: 80, weight: 3, host: "web1", healthChecks: [check], inhibitOnFailure: true },
        { address: "192.168.1.231", port: 80, weight: 1, host: "web2", healthChecks: [{ ...check, rise: 2 }] },
      ],
    },
  ],
  vrrp: { instances: [{ name: "VI_1", virtualRouterId: 51, vips: ["192.168.1.229"], advertInt: 1 }] },
};
const spec = validate(ClusterSpec, input);
const config = () => ({
  kind: "director" as const,
  director: { vips: spec.vips, interface: "eth0", generation: 1, spec },
});

let stateDir: string;
let server: RunningAgentServer;
let client: AgentClient;
let events: AgentEvent[];
let stopWatch: () => void;
let close: () => Promise<void>;

async function boot(host = "lb-master", address = "192.168.1.252/24") {
  const options = AgentOptions.parse({ host, address });
  const handlers = await directorProgram.create({ options, stateDir, log: pino({ level: "silent" }) });
  server = await serveAgent(handlers, { listen: "127.0.0.1:0" });
  client = new AgentClient({ host, endpoint: `127.0.0.1:${server.port}`, deadlineMs: 2_000 });
  events = [];
  const watch = client.watchEvents(
    { heartbeatIntervalMs: 200, deadlineMs: 60_000 },
    (e) => events.push(e),
    () => undefined,
  );
  stopWatch = () => watch.cancel();
  close = async () => {
    stopWatch();
    client.close();
    await server.close();
    await handlers.close();
  };
}

async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 3_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const weights = async () =>
  Object.fromEntries(
    ((await client.getState()).table.services[0]?.destinations ?? []).map((d) => [d.address, d.weight]),
  );

beforeEach(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "lvsfleet-health-"));
  await boot();
});
afterEach(async () => {
  await close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("sim director: simulated health, decided locally", () => {
  it("inhibits or removes a failed real server, restores it, and never touches the desired weight", async () => {
    await client.start("web", config());
    expect(await weights()).toEqual({ "192.168.1.220": 3, "192.168.1.231": 1 });

    const failed = await client.setSimulatedHealth({ address: "192.168.1.220", port: 80, healthy: false });
    expect(failed).toHaveLength(1);
    expect(await until("web1 inhibited", weights, (w) => w["192.168.1.220"] === 0)).toEqual({
      "192.168.1.220": 0,
      "192.168.1.231": 1,
    });
    await client.setSimulatedHealth({ address: "192.168.1.231", port: 80, healthy: false });
    await until("web2 removed", weights, (w) => !("192.168.1.231" in w));

    const state = await client.getState();
    expect(state.failover?.realServers).toMatchObject([
      {
        service: "http",
        address: "192.168.1.220",
        state: "down",
        action: "inhibited",
        desiredWeight: 3,
        effectiveWeight: 0,
      },
      { service: "http", address: "192.168.1.231", state: "down", action: "removed", desiredWeight: 1 },
    ]);
    expect(state.failover?.realServers[0]?.checks[0]).toMatchObject({
      type: "tcp",
      state: "down",
      detail: "simulated failure (SetSimulatedHealth)",
    });

    await client.setSimulatedHealth({ address: "192.168.1.220", port: 80, healthy: true });
    await client.setSimulatedHealth({ address: "192.168.1.231", port: 80, healthy: true });
    expect(await until("both back", weights, (w) => w["192.168.1.220"] === 3 && w["192.168.1.231"] === 1)).toBeTruthy();

    const health = await until(
      "four health events",
      async () => events.filter((e): e is HealthChangeEvent => e.type === "health"),
      (h) => h.length >= 4,
    );
    expect(health.map((e) => [e.address, e.from, e.to, e.action])).toEqual(
      expect.arrayContaining([
        ["192.168.1.220", "up", "down", "weight 3 -> 0 (inhibit_on_failure)"],
        ["192.168.1.231", "up", "down", "removed from the table"],
        ["192.168.1.220", "down", "up", "weight 3"],
        ["192.168.1.231", "down", "up", "weight 1"],
      ]),
    );
    expect(health.find((e) => e.to === "down" && e.address === "192.168.1.220")).toMatchObject({
      desiredWeight: 3,
      effectiveWeight: 0,
      reason: "tcp: simulated failure (SetSimulatedHealth)",
    });
    const tableEvents = events.filter((e) => e.type === "state" && e.subject === "table");
    expect(
      tableEvents.some((e) => e.type === "state" && e.detail.startsWith("health: http 192.168.1.220:80 down")),
    ).toBe(true);
  });

  it("keeps its overrides across an Apply of a new weight, and takes the new desired weight", async () => {
    await client.start("web", config());
    await client.setSimulatedHealth({ address: "192.168.1.220", port: 80, healthy: false });
    await until("web1 inhibited", weights, (w) => w["192.168.1.220"] === 0);
    const changed = structuredClone(spec);
    (changed.services[0]?.realServers[0] as { weight: number }).weight = 5;
    const applied = await client.apply({
      cluster: "web",
      generation: 2,
      spec: changed,
    });
    expect(applied.operations).toEqual([]);
    expect((await client.getState()).failover?.realServers[0]).toMatchObject({ desiredWeight: 5, effectiveWeight: 0 });
    await client.setSimulatedHealth({ address: "192.168.1.220", port: 80, healthy: true });
    await until("web1 at its new weight", weights, (w) => w["192.168.1.220"] === 5);
  });

  it("refuses what it cannot simulate, naming it", async () => {
    await client.start("web", config());
    await expect(client.setSimulatedHealth({ address: "192.168.1.99", port: 80, healthy: false })).rejects.toThrow(
      /NOT_FOUND.*no virtual service has the real server 192\.168\.1\.99:80/s,
    );
    const unchecked = validate(ClusterSpec, DEMO_CLUSTER);
    await client.apply({ cluster: "web", generation: 2, spec: unchecked });
    const error = await client
      .setSimulatedHealth({ address: "192.168.1.220", port: 80, healthy: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentCallError);
    expect(String(error)).toMatch(/192\.168\.1\.220:80 has no health checks in the spec/);
    await expect(
      client.apply({
        cluster: "web",
        generation: 3,
        spec: { ...spec, name: "NO" } as never,
      }),
    ).rejects.toThrow(/invalid request: spec_json: spec\.name: must be/);
  });

  it("simulates VRRP from the priorities: the master holds the VIP and says so in heartbeats", async () => {
    await client.start("web", config());
    const state = await until(
      "VIP held",
      () => client.getState(),
      (s) => (s.failover?.vipsHeld ?? []).length > 0,
    );
    expect(state.failover?.vrrp).toMatchObject([{ instance: "VI_1", state: "MASTER", process: "simulated" }]);
    expect(state.host.addresses.some((a) => a.address === "192.168.1.229")).toBe(true);
    const beat = await until(
      "a heartbeat with the VIP",
      async () => events.filter((e) => e.type === "heartbeat").at(-1),
      (e) => e?.type === "heartbeat" && (e.failover?.vipsHeld ?? []).includes("192.168.1.229"),
    );
    expect(beat).toMatchObject({ failover: { vrrp: [{ instance: "VI_1", state: "MASTER" }], realServersDown: 0 } });
    expect(events.some((e) => e.type === "state" && e.subject === "vrrp:VI_1" && e.to === "MASTER")).toBe(true);
  });
});

describe("sim director that is the VRRP backup", () => {
  it("does not put the VIP up: keepalived (here simulated) owns it", async () => {
    await close();
    await boot("lb-backup", "192.168.1.230/24");
    const started = await client.start("web", config());
    expect(started.changes.map((c) => c.description).join("\n")).not.toContain("192.168.1.229/32");
    const state = await client.getState();
    expect(state.failover?.vrrp[0]?.state).toBe("BACKUP");
    expect(state.failover?.vipsHeld).toEqual([]);
    // the table is installed all the same: the backup is ready the moment it takes the VIP
    expect(state.table.services[0]?.destinations).toHaveLength(2);
    expect((state.problems ?? []).map((p) => p.code)).not.toContain("vip-missing");
  });
});
