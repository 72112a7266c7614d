import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AgentOptions,
  type DataPlaneDriver,
  EMPTY_LEDGER,
  HostAgent,
  type HostLedger,
  INITIAL_STATUS,
  type RoleStatus,
  SimHostDriver,
  StateFile,
  stockSimHost,
} from "@lvsfleet/agent-runtime";
import { ClusterSpec, DEMO_CLUSTER, desiredTable, type IpvsTable } from "@lvsfleet/model";
import { AgentCallError, AgentClient, GrpcStatus, type RunningAgentServer, serveAgent } from "@lvsfleet/rpc";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { directorProgram } from "../src/program.ts";

const spec = ClusterSpec.parse(DEMO_CLUSTER);
const desired = desiredTable(spec);
const log = pino({ level: "silent" });

let dir: string;
const running: { server: RunningAgentServer; client: AgentClient; close(): Promise<void> }[] = [];

async function serve(handlers: Parameters<typeof serveAgent>[0] & { close(): Promise<void> }) {
  const server = await serveAgent(handlers, { listen: "127.0.0.1:0" });
  const client = new AgentClient({ host: "test", endpoint: `127.0.0.1:${server.port}`, deadlineMs: 2_000 });
  running.push({ server, client, close: () => handlers.close() });
  return client;
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lvsfleet-sim-rpc-"));
});
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.client.close();
    await r.server.close();
    await r.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("SetSimulatedTraffic over gRPC", () => {
  it("a sim director starts with --sim-traffic's load, reports it, and changes it at run time", async () => {
    const options = AgentOptions.parse({ host: "lb-master", address: "192.168.1.252/24", simTraffic: "200,30" });
    const client = await serve(await directorProgram.create({ options, stateDir: dir, log }));
    await client.start("web", {
      kind: "director",
      director: { vips: spec.vips, interface: "eth0", desired, generation: 1 },
    });
    await new Promise((r) => setTimeout(r, 300));
    const now = await client.setSimulatedTraffic({});
    expect(now.load).toEqual({ connectionsPerSecond: 200, meanLifetimeSeconds: 30, clients: 1000 });
    expect(now.opened).toBeGreaterThan(0);
    const state = await client.getState();
    const [a, b] = state.table.services[0]!.destinations;
    expect(a!.activeConns + b!.activeConns).toBeGreaterThan(0);
    // counters travel over the wire too
    expect(state.table.services[0]!.stats!.conns).toBeGreaterThan(0);

    const held = await client.setSimulatedTraffic({
      load: { connectionsPerSecond: 0 },
      hold: [{ address: "192.168.1.231", port: 80, count: 7 }],
    });
    expect(held).toMatchObject({ load: { connectionsPerSecond: 0 }, held: 7 });
    const released = await client.setSimulatedTraffic({ releaseHeld: true });
    expect(released.held).toBe(0);
  });

  it("answers INVALID_ARGUMENT for bad values and NOT_FOUND for an unknown real server", async () => {
    const options = AgentOptions.parse({ host: "lb-master", address: "192.168.1.252/24" });
    const client = await serve(await directorProgram.create({ options, stateDir: dir, log }));
    const negative = await failure(client.setSimulatedTraffic({ load: { connectionsPerSecond: -1 } }));
    expect(negative).toBeInstanceOf(AgentCallError);
    expect((negative as AgentCallError).code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect((negative as Error).message).toMatch(/load.connectionsPerSecond: must be 0 \(no load\) or more/);
    const none = await failure(
      client.setSimulatedTraffic({ hold: [{ address: "192.168.1.220", port: 80, count: 0 }] }),
    );
    expect((none as AgentCallError).code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect((none as Error).message).toMatch(/hold\[0\].count: must be at least 1/);
    const unknown = await failure(client.setSimulatedTraffic({ hold: [{ address: "10.1.1.1", port: 80, count: 1 }] }));
    expect((unknown as AgentCallError).code).toBe(GrpcStatus.NOT_FOUND);
  });

  it("answers FAILED_PRECONDITION on a director whose data plane is not simulated, and on a real server", async () => {
    const notSimulated: DataPlaneDriver = {
      name: "nftables",
      init: async () => undefined,
      observe: async (): Promise<IpvsTable> => ({ services: [] }),
      execute: async () => undefined,
      requiredSysctls: () => ({}),
      close: async () => undefined,
    };
    const agent = (dataPlane: DataPlaneDriver | undefined, role: "director" | "real-server") =>
      new HostAgent({
        info: { host: "h", role, driver: dataPlane?.name ?? "sim", version: "test", startedAt: 0 },
        behaviour: {
          intent: () => ({ addresses: [], routes: [], sysctls: {} }),
          table: () => undefined,
          reportedSysctls: [],
        },
        host: new SimHostDriver(
          new StateFile(join(dir, `${role}-host.json`), () => stockSimHost("192.0.2.1", 24, "eth0")),
        ),
        dataPlane,
        statusFile: new StateFile<RoleStatus>(join(dir, `${role}-role.json`), () => INITIAL_STATUS),
        ledgerFile: new StateFile<HostLedger>(join(dir, `${role}-ledger.json`), () => EMPTY_LEDGER),
        log,
      });
    for (const [dataPlane, role, reason] of [
      [notSimulated, "director", /runs the nftables data plane: only the sim driver simulates client traffic/],
      [undefined, "real-server", /is a real server/],
    ] as const) {
      const client = await serve(agent(dataPlane, role));
      const error = await failure(client.setSimulatedTraffic({ load: { connectionsPerSecond: 1 } }));
      expect((error as AgentCallError).code).toBe(GrpcStatus.FAILED_PRECONDITION);
      expect((error as Error).message).toMatch(reason);
    }
  });
});
