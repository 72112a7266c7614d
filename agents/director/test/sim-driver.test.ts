import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentOptions, parseAgentOptions, SimDataPlane, StateFile } from "@lvsfleet/agent-runtime";
import {
  ClusterSpec,
  DEMO_CLUSTER,
  desiredTable,
  type IpvsDestination,
  type IpvsTable,
  parseSimTraffic,
  SimulatedTrafficChange,
  ValidationError,
} from "@lvsfleet/model";
import { plan } from "@lvsfleet/planner";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { selectDrivers } from "../src/drivers/select.ts";

const guide = desiredTable(ClusterSpec.parse(DEMO_CLUSTER));
/** The guide's service without persistence: every new connection is scheduled anew. */
const plain: IpvsTable = { services: guide.services.map((s) => ({ ...s, persistence: undefined })) };

let dir: string;
let clock: number;
const file = () => new StateFile<IpvsTable>(join(dir, "sim-ipvs.json"), () => ({ services: [] }));

async function director(load?: { connectionsPerSecond: number; meanLifetimeSeconds?: number; clients?: number }) {
  const driver = new SimDataPlane(file(), {
    now: () => clock,
    ...(load ? { load: SimulatedTrafficChange.parse({ load }).load } : {}),
  });
  await driver.init();
  return driver;
}

async function install(driver: SimDataPlane, table: IpvsTable) {
  await driver.execute(plan(table, await driver.observe()));
}

const server = (table: IpvsTable, address: string): IpvsDestination =>
  table.services[0]!.destinations.find((d) => d.address === address)!;

const change = (input: unknown) => SimulatedTrafficChange.parse(input);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lvsfleet-sim-driver-"));
  clock = 1_700_000_000_000;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the sim data plane (the kernel-faithful simulator on the wall clock)", () => {
  it("shows moving connection counts, counters and rates under a simulated load, wrr 3:1", async () => {
    const driver = await director({ connectionsPerSecond: 20, meanLifetimeSeconds: 30 });
    await install(driver, plain);
    const empty = await driver.observe();
    expect(server(empty, "192.168.1.220").activeConns).toBe(0);
    clock += 60_000;
    const after = await driver.observe();
    const [a, b] = [server(after, "192.168.1.220"), server(after, "192.168.1.231")];
    expect(a.activeConns + b.activeConns).toBeGreaterThan(300);
    // wrr 3:1 without persistence: exactly three of every four new connections go to the weight-3 server
    expect(Math.abs(a.stats!.conns - 3 * b.stats!.conns)).toBeLessThanOrEqual(3);
    expect(after.services[0]!.stats!.conns).toBe(a.stats!.conns + b.stats!.conns);
    expect(after.services[0]!.rates!.cps).toBeGreaterThan(10);
    clock += 5_000;
    const later = await driver.observe();
    expect(later.services[0]!.stats!.conns).toBeGreaterThan(after.services[0]!.stats!.conns);
    await driver.close();
  });

  it("a weight change shifts new connections at once while the existing ones drain", async () => {
    const driver = await director({ connectionsPerSecond: 20, meanLifetimeSeconds: 30 });
    await install(driver, plain);
    clock += 120_000;
    const before = server(await driver.observe(), "192.168.1.231");
    expect(before.activeConns).toBeGreaterThan(0);
    const drained = structuredClone(plain);
    drained.services[0]!.destinations[1]!.weight = 0;
    await install(driver, drained);
    clock += 10_000;
    const soon = server(await driver.observe(), "192.168.1.231");
    expect(soon.stats!.conns).toBe(before.stats!.conns); // no new connection since the change
    expect(soon.activeConns).toBeGreaterThan(0); // the existing ones are still there
    expect(soon.activeConns).toBeLessThan(before.activeConns);
    clock += 15 * 60_000;
    const later = server(await driver.observe(), "192.168.1.231");
    expect(later.activeConns).toBe(0);
    expect(later.stats!.conns).toBe(before.stats!.conns);
  });

  it("saves only the configuration; a restarted agent finds the table without connections", async () => {
    const driver = await director({ connectionsPerSecond: 50 });
    await install(driver, guide);
    clock += 30_000;
    expect((await driver.observe()).services[0]!.destinations[0]!.activeConns).toBeGreaterThan(0);
    const saved = JSON.parse(readFileSync(join(dir, "sim-ipvs.json"), "utf8")) as IpvsTable;
    expect(saved.services[0]).not.toHaveProperty("stats");
    expect(saved.services[0]!.destinations.map((d) => [d.address, d.weight, d.activeConns])).toEqual([
      ["192.168.1.220", 3, 0],
      ["192.168.1.231", 1, 0],
    ]);
    const restarted = await director();
    const table = await restarted.observe();
    expect(plan(guide, table)).toEqual([]);
    expect(table.services[0]!.destinations.every((d) => d.activeConns === 0 && d.inactConns === 0)).toBe(true);
  });

  it("refuses a plan the kernel would refuse, all or nothing", async () => {
    const driver = await director();
    await install(driver, guide);
    const service = guide.services[0]!;
    const edit = { op: "edit-destination" as const, service, destination: { ...service.destinations[0]!, weight: 9 } };
    const missing = {
      op: "edit-destination" as const,
      service,
      destination: { ...service.destinations[0]!, address: "192.168.1.99" },
    };
    await expect(driver.execute([edit, missing])).rejects.toThrow(/no such destination/);
    expect(server(await driver.observe(), "192.168.1.220").weight).toBe(3);
  });

  it("holds long-lived connections on a chosen server (kept alive past the 900 s timeout) until released", async () => {
    const driver = await director();
    await install(driver, guide);
    const held = await driver.setSimulatedTraffic(change({ hold: [{ address: "192.168.1.231", port: 80, count: 5 }] }));
    expect(held).toMatchObject({ held: 5, connections: 5, opened: 0 });
    const drained = structuredClone(guide);
    drained.services[0]!.destinations[1]!.weight = 0;
    await install(driver, drained);
    clock += 30 * 60_000;
    expect(server(await driver.observe(), "192.168.1.231")).toMatchObject({ activeConns: 5, weight: 0 });
    const released = await driver.setSimulatedTraffic(change({ releaseHeld: true }));
    expect(released.held).toBe(0);
    // closed by the clients: no longer active, in FIN_WAIT until the tcpfin timeout (120 s)
    expect(server(await driver.observe(), "192.168.1.231")).toMatchObject({ activeConns: 0, inactConns: 5 });
    clock += 121_000;
    expect(server(await driver.observe(), "192.168.1.231")).toMatchObject({ activeConns: 0, inactConns: 0 });
  });

  it("held connections with a lifetime close by themselves; the load can be stopped and changed", async () => {
    const driver = await director({ connectionsPerSecond: 10, meanLifetimeSeconds: 5 });
    await install(driver, plain);
    await driver.setSimulatedTraffic(
      change({ hold: [{ address: "192.168.1.220", port: 80, count: 3, lifetimeSeconds: 100 }] }),
    );
    clock += 20_000;
    const stopped = await driver.setSimulatedTraffic(change({ load: { connectionsPerSecond: 0 } }));
    expect(stopped.load.connectionsPerSecond).toBe(0);
    expect(stopped.opened).toBeGreaterThan(100);
    expect(stopped.held).toBe(3);
    clock += 70_000;
    const table = await driver.observe();
    // at 90 s the load's connections (mean 5 s) are over; the three held ones live until 100 s
    expect(server(table, "192.168.1.220").activeConns).toBe(3);
    expect(server(table, "192.168.1.231").activeConns).toBe(0);
    clock += 15_000;
    expect(server(await driver.observe(), "192.168.1.220").activeConns).toBe(0);
    expect(driver.traffic()).toMatchObject({ held: 0, opened: stopped.opened });
    const restarted = await driver.setSimulatedTraffic(change({ load: { connectionsPerSecond: 4, clients: 10 } }));
    expect(restarted.load).toEqual({ connectionsPerSecond: 4, meanLifetimeSeconds: 30, clients: 10 });
    clock += 10_000;
    expect(driver.traffic().opened).toBeGreaterThan(stopped.opened + 20);
  });

  it("refuses to hold connections on a server no service has, and changes nothing", async () => {
    const driver = await director({ connectionsPerSecond: 1 });
    await install(driver, guide);
    await expect(
      driver.setSimulatedTraffic(
        change({ load: { connectionsPerSecond: 9 }, hold: [{ address: "10.9.9.9", port: 80, count: 1 }] }),
      ),
    ).rejects.toThrow(/no virtual service has the real server 10.9.9.9:80; nothing changed/);
    expect(driver.traffic().load.connectionsPerSecond).toBe(1);
  });

  it("follows the table: services added later get the load, removed ones lose it", async () => {
    const driver = await director({ connectionsPerSecond: 10 });
    clock += 10_000;
    expect(driver.traffic().opened).toBe(0);
    await install(driver, plain);
    clock += 10_000;
    const running = driver.traffic().opened;
    expect(running).toBeGreaterThan(50);
    await install(driver, { services: [] });
    clock += 10_000;
    expect(driver.traffic().opened).toBe(running);
  });
});

describe("--sim-traffic", () => {
  it("parses RATE[,LIFETIME[,CLIENTS]]", () => {
    expect(parseSimTraffic("2")).toEqual({ connectionsPerSecond: 2, meanLifetimeSeconds: 30, clients: 1000 });
    expect(parseSimTraffic("0.5,20,50")).toEqual({ connectionsPerSecond: 0.5, meanLifetimeSeconds: 20, clients: 50 });
    const options = parseAgentOptions(["--host", "lb-master", "--sim-traffic", "2,30"]);
    expect(options.simTraffic).toEqual({ connectionsPerSecond: 2, meanLifetimeSeconds: 30, clients: 1000 });
  });

  it.each([
    ["fast", /is not RATE\[,LIFETIME\[,CLIENTS\]\]/],
    ["2,", /is not RATE/],
    ["1,2,3,4", /is not RATE/],
    ["-1", /RATE must be 0 \(no load\) or more/],
    ["5000", /RATE must be at most 2000/],
    ["2,0", /LIFETIME must be greater than 0/],
    ["2,30,1.5", /CLIENTS must be an integer/],
  ])("refuses %s, saying which part is wrong", (text, reason) => {
    expect(() => parseSimTraffic(text)).toThrow(ValidationError);
    expect(() => parseSimTraffic(text)).toThrow(reason);
    expect(() => parseAgentOptions(["--host", "h", `--sim-traffic=${text}`])).toThrow(reason);
  });

  it("is for the sim driver only", () => {
    const options = AgentOptions.parse({ host: "h", driver: "nftables", simTraffic: "2" });
    expect(() => selectDrivers(options, dir)).toThrow(/sim driver only, not nftables/);
  });
});
