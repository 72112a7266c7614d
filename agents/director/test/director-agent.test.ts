import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentOptions } from "@lvsfleet/agent-runtime";
import { renderList } from "@lvsfleet/ipvs";
import { type AgentEvent, ClusterSpec, DEMO_CLUSTER, desiredTable } from "@lvsfleet/model";
import { AgentCallError, AgentClient, type RunningAgentServer, serveAgent } from "@lvsfleet/rpc";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { directorProgram } from "../src/program.ts";

const spec = ClusterSpec.parse(DEMO_CLUSTER);
const desired = desiredTable(spec);
const directorConfig = (generation: number, table = desired) => ({
  kind: "director" as const,
  director: { vips: spec.vips, interface: "eth0", desired: table, generation },
});

let stateDir: string;
let server: RunningAgentServer;
let client: AgentClient;
let close: () => Promise<void>;

async function boot() {
  const options = AgentOptions.parse({ host: "lb-master", address: "192.168.1.252/24" });
  const handlers = await directorProgram.create({ options, stateDir, log: pino({ level: "silent" }) });
  server = await serveAgent(handlers, { listen: "127.0.0.1:0" });
  client = new AgentClient({ host: "lb-master", endpoint: `127.0.0.1:${server.port}`, deadlineMs: 2_000 });
  close = async () => {
    client.close();
    await server.close();
    await handlers.close();
  };
}

beforeEach(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "lvsfleet-director-"));
  await boot();
});
afterEach(async () => {
  await close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("director agent over gRPC (sim driver)", () => {
  it("serves grpc.health.v1 and GetInfo", async () => {
    expect(await client.checkHealth()).toBe("SERVING");
    expect(await client.checkHealth("lvsfleet.v1.Agent")).toBe("SERVING");
    expect(await client.getInfo()).toMatchObject({ host: "lb-master", role: "director", driver: "sim" });
  });

  it("start does what lvsdr.sh start did, and a second start changes nothing", async () => {
    const first = await client.start("web", directorConfig(1));
    expect(first.changes.map((c) => c.description)).toEqual([
      "ip addr add 192.168.1.229/32 dev eth0 label eth0:1",
      "ip route add 192.168.1.229 dev eth0",
      "add-service TCP 192.168.1.229:80 wrr persistent 60",
      "add-destination TCP 192.168.1.229:80 -> 192.168.1.220:80 dr weight 3",
      "add-destination TCP 192.168.1.229:80 -> 192.168.1.231:80 dr weight 1",
    ]);
    expect(first.state.roleState).toBe("running");
    expect(renderList(first.state.table)).toContain("  -> 192.168.1.220:80             Route   3 ");
    const second = await client.start("web", directorConfig(1));
    expect(second.changes).toEqual([]);
  });

  it("apply changes one weight with one operation, and ignores a stale generation", async () => {
    await client.start("web", directorConfig(1));
    const changed = structuredClone(desired);
    changed.services[0]!.destinations[0]!.weight = 5;
    const applied = await client.apply({ cluster: "web", generation: 3, desired: changed });
    expect(applied.operations).toHaveLength(1);
    expect(applied.operations[0]).toMatchObject({
      op: "edit-destination",
      destination: { address: "192.168.1.220", weight: 5 },
    });
    expect(applied.generation).toBe(3);
    // An older desired table arriving late must not undo the newer one.
    const stale = await client.apply({ cluster: "web", generation: 2, desired });
    expect(stale.operations).toEqual([]);
    expect(stale.generation).toBe(3);
    expect(stale.observed.services[0]?.destinations[0]?.weight).toBe(5);
  });

  it("stop removes exactly what start added and restores the host", async () => {
    const before = await client.getState();
    await client.start("web", directorConfig(1));
    const stopped = await client.stop("web");
    expect(stopped.changes.map((c) => c.kind)).toEqual(["delete-service", "remove-route", "remove-address"]);
    expect(stopped.state.host).toEqual(before.host);
    expect(stopped.state.table.services).toEqual([]);
    expect((await client.stop("web")).changes).toEqual([]);
  });

  it("keeps its table and role across an agent restart (fail static)", async () => {
    await client.start("web", directorConfig(4));
    await close();
    await boot();
    const state = await client.getState();
    expect(state).toMatchObject({ roleState: "running", cluster: "web", generation: 4 });
    expect(state.table.services[0]?.destinations).toHaveLength(2);
  });

  it("refuses a real-server config and another cluster while running", async () => {
    await expect(client.start("web", { kind: "real-server", realServer: { vips: [] } })).rejects.toThrow(
      /director config/,
    );
    await client.start("web", directorConfig(1));
    const error = await client.apply({ cluster: "shop", generation: 1, desired }).catch((e) => e);
    expect(error).toBeInstanceOf(AgentCallError);
    expect(error.message).toMatch(/serves cluster web, not shop/);
  });

  it("streams a heartbeat at once and state changes as they happen", async () => {
    const events: AgentEvent[] = [];
    const watch = client.watchEvents(
      { heartbeatIntervalMs: 200, deadlineMs: 5_000 },
      (e) => events.push(e),
      () => {},
    );
    await new Promise((r) => setTimeout(r, 100));
    await client.start("web", directorConfig(1));
    await new Promise((r) => setTimeout(r, 350));
    watch.cancel();
    expect(events[0]).toMatchObject({ type: "heartbeat", host: "lb-master", roleState: "stopped" });
    expect(events).toContainEqual(
      expect.objectContaining({ type: "state", subject: "role", from: "stopped", to: "running" }),
    );
    expect(events.filter((e) => e.type === "heartbeat").at(-1)).toMatchObject({
      roleState: "running",
      destinations: 2,
    });
  });
});
