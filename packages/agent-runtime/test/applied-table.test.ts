import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AgentEvent,
  type ClusterSpec,
  type IpvsDestination,
  type IpvsService,
  type IpvsTable,
  type Operation,
  type RoleConfig,
  type StateChangeEvent,
  serviceKey,
} from "@lvsfleet/model";
import { applyOperations } from "@lvsfleet/planner";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { foldServices, touchedServices } from "../src/applied-table.ts";
import { driftEvent } from "../src/drift.ts";
import {
  type DataPlaneDriver,
  EMPTY_LEDGER,
  HostAgent,
  type HostAgentParts,
  type HostLedger,
  INITIAL_STATUS,
  type RoleStatus,
  SimHostDriver,
  StateFile,
} from "../src/index.ts";
import { stockSimHost } from "../src/sim-host.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lvsfleet-applied-table-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function service(port: number, weights: number[]): IpvsService {
  return {
    protocol: "tcp",
    address: "198.51.100.1",
    port,
    family: "inet",
    scheduler: "wrr",
    schedulerFlags: [],
    destinations: weights.map((weight, i) => ({
      address: `198.51.100.${10 + i}`,
      port,
      forwarding: "dr",
      weight,
      upperThreshold: 0,
      lowerThreshold: 0,
      activeConns: 0,
      inactConns: 0,
      persistConns: 0,
    })),
  };
}

function table(n: number, weight = 1): IpvsTable {
  return { services: Array.from({ length: n }, (_, i) => service(8000 + i, [weight, weight])) };
}

/** A kernel in memory that counts its reads: whole (observe) and by service (observeServices, with the keys). */
function countingDataPlane(options: { targeted: boolean }) {
  const kernel = { table: { services: [] } as IpvsTable };
  const counts = {
    observe: 0,
    observeServices: [] as string[][],
    execute: 0,
    failNextExecute: false,
    /** Reads of the kernel running at once now, and the most ever. */
    running: 0,
    most: 0,
  };
  const reading = async <T>(read: () => T): Promise<T> => {
    counts.running++;
    counts.most = Math.max(counts.most, counts.running);
    await new Promise((r) => setTimeout(r, 3));
    counts.running--;
    return read();
  };
  const dataPlane: DataPlaneDriver = {
    name: "counting",
    init: async () => undefined,
    observe: async () => {
      counts.observe++;
      return reading(() => structuredClone(kernel.table));
    },
    ...(options.targeted
      ? {
          observeServices: async (keys: readonly string[]) => {
            counts.observeServices.push([...keys]);
            return reading(() => ({
              services: structuredClone(kernel.table.services.filter((s) => keys.includes(serviceKey(s)))),
            }));
          },
        }
      : {}),
    execute: async (operations: readonly Operation[]) => {
      counts.execute++;
      if (counts.failNextExecute) {
        counts.failNextExecute = false;
        throw new Error("ipvsadm -R failed half way");
      }
      kernel.table = applyOperations(kernel.table, operations);
    },
    requiredSysctls: () => ({}),
    close: async () => undefined,
  };
  return { dataPlane, kernel, counts };
}

const CONFIG = { kind: "director", director: { vips: [], interface: "eth0", generation: 1 } } as unknown as RoleConfig;

function agent(
  dataPlane: DataPlaneDriver,
  start: IpvsTable,
  readbackIntervalMs = 0,
  statusFile = new StateFile<RoleStatus>(join(dir, "role.json"), () => INITIAL_STATUS),
  extension?: HostAgentParts["extension"],
): HostAgent {
  return new HostAgent({
    info: { host: "lb1", role: "director", driver: dataPlane.name, version: "test", startedAt: 0 },
    behaviour: {
      intent: () => ({ addresses: [], routes: [], sysctls: {} }),
      table: () => ({ desired: start, generation: 1 }),
      reportedSysctls: [],
    },
    host: new SimHostDriver(new StateFile(join(dir, "host.json"), () => stockSimHost("192.0.2.1", 24, "eth0"))),
    dataPlane,
    statusFile,
    ledgerFile: new StateFile<HostLedger>(join(dir, "ledger.json"), () => EMPTY_LEDGER),
    log: pino({ level: "silent" }),
    readbackIntervalMs,
    extension,
  });
}

/** The drift events the agent publishes. */
function driftEvents(host: HostAgent): StateChangeEvent[] {
  const events: StateChangeEvent[] = [];
  host.hub.watch(
    60_000,
    (event: AgentEvent) => {
      if (event.type === "state" && event.subject === "drift") events.push(event);
    },
    new AbortController().signal,
  );
  return events;
}

/** A role extension whose health checks took the first real server of every service out (weight 0) while `down()`. */
function firstServerDown(down: () => boolean): NonNullable<HostAgentParts["extension"]> {
  return () => ({
    effective: (desired) =>
      down()
        ? {
            services: desired.services.map((s) => ({
              ...s,
              destinations: s.destinations.map((d, i) => (i === 0 ? { ...d, weight: 0 } : d)),
            })),
          }
        : desired,
    configure: async () => [],
    stop: async () => [],
    report: async () => undefined,
    beat: () => undefined,
    close: async () => undefined,
  });
}

const SPEC = (driftPolicy?: "report" | "correct") =>
  ({
    name: "web",
    vips: ["198.51.100.1"],
    directors: [],
    services: [],
    ...(driftPolicy ? { driftPolicy } : {}),
  }) as ClusterSpec;

describe("the applied table: a change is planned against what the agent applied, and read back by service", () => {
  it("a weight change reads back only its service, never the whole kernel; the result is the applied table", async () => {
    const { dataPlane, kernel, counts } = countingDataPlane({ targeted: true });
    const host = agent(dataPlane, table(50));
    await host.start("web", CONFIG);
    // a fresh process knows nothing: its first operation read the whole table once (the other whole
    // read is the state Start answers with, which reports connection counts only the kernel knows)
    expect(counts.observe).toBe(2);
    const readsAfterStart = counts.observe;
    const next = table(50);
    (next.services[7] as IpvsService).destinations[1] = {
      ...(next.services[7]?.destinations[1] as IpvsDestination),
      weight: 5,
    };
    const result = await host.apply({ cluster: "web", generation: 2, desired: next });
    expect(result.operations.map((op) => op.op)).toEqual(["edit-destination"]);
    expect(counts.observe).toBe(readsAfterStart);
    expect(counts.observeServices.at(-1)).toEqual(["tcp|198.51.100.1|8007"]);
    expect(result.observed).toEqual(kernel.table);
    // nothing to do is nothing read
    const calls = counts.observeServices.length;
    expect((await host.apply({ cluster: "web", generation: 3, desired: next })).operations).toEqual([]);
    expect(counts.observeServices.length).toBe(calls);
    expect(counts.observe).toBe(readsAfterStart);
    await host.close();
  });

  it("a restarted agent (a new process on the same state) reads the whole table once, then by service again", async () => {
    const { dataPlane, counts } = countingDataPlane({ targeted: true });
    const first = agent(dataPlane, table(5));
    await first.start("web", CONFIG);
    await first.close();
    const before = counts.observe;
    const second = agent(dataPlane, table(5));
    await second.apply({ cluster: "web", generation: 2, desired: table(5, 2) });
    expect(counts.observe).toBe(before + 1);
    await second.apply({ cluster: "web", generation: 3, desired: table(5, 3) });
    expect(counts.observe).toBe(before + 1);
    await second.close();
  });

  it("after an execute that failed, the next operation reads the whole table first", async () => {
    const { dataPlane, counts } = countingDataPlane({ targeted: true });
    const host = agent(dataPlane, table(3));
    await host.start("web", CONFIG);
    counts.failNextExecute = true;
    await expect(host.apply({ cluster: "web", generation: 2, desired: table(3, 2) })).rejects.toThrow(/half way/);
    const before = counts.observe;
    await host.apply({ cluster: "web", generation: 3, desired: table(3, 2) });
    expect(counts.observe).toBe(before + 1);
    await host.close();
  });

  it("a driver without observeServices is read back whole after each change", async () => {
    const { dataPlane, counts } = countingDataPlane({ targeted: false });
    const host = agent(dataPlane, table(3));
    await host.start("web", CONFIG);
    const before = counts.observe;
    await host.apply({ cluster: "web", generation: 2, desired: table(3, 2) });
    expect(counts.observe).toBe(before + 1);
    await host.close();
  });

  it("folds a read-back into the table: a service read is replaced, one missing is gone, the others stay", () => {
    const applied = table(3);
    const readBack = { services: [service(8001, [9])] };
    const folded = foldServices(applied, ["tcp|198.51.100.1|8001", "tcp|198.51.100.1|8002"], readBack);
    expect(folded.services.map((s) => [s.port, s.destinations.length])).toEqual([
      [8000, 2],
      [8001, 1],
    ]);
    expect(
      touchedServices([
        { op: "edit-service", service: service(8000, []) },
        { op: "add-destination", service: service(8000, []), destination: service(8000, [1]).destinations[0] as never },
      ]),
    ).toEqual(["tcp|198.51.100.1|8000"]);
  });
});

describe("drift: the periodic whole read-back compares the kernel with the applied table", () => {
  it("a service deleted by hand is reported once under report, left alone, and reported in step once an Apply restores it", async () => {
    const { dataPlane, kernel, counts } = countingDataPlane({ targeted: true });
    const host = agent(dataPlane, table(3));
    const events = driftEvents(host);
    await host.start("web", CONFIG);
    // the process's first read-back says once that it is in step (it knows nothing of before)
    await host.readBack();
    await host.readBack();
    expect(events).toMatchObject([{ from: "unknown", to: "in step", operations: 0 }]);
    events.length = 0;
    kernel.table = { services: kernel.table.services.filter((s) => s.port !== 8001) };
    await host.readBack();
    await host.readBack();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ from: "in step", to: "drifted", operations: 3 });
    expect(events[0]?.detail).toMatch(/driftPolicy report/);
    expect(events[0]?.detail).toContain("198.51.100.1:8001");
    expect(kernel.table.services).toHaveLength(2);
    const executes = counts.execute;
    // the next Apply plans against the table as read back, so it restores the service
    await host.apply({ cluster: "web", generation: 2, desired: table(3), spec: undefined } as never);
    expect(counts.execute).toBe(executes + 1);
    expect(kernel.table.services).toHaveLength(3);
    await host.readBack();
    expect(events.map((e) => e.to)).toEqual(["drifted", "in step"]);
    await host.close();
  });

  it("the same hand change again after an Apply repaired it, before any read-back in between, is reported again", async () => {
    const { dataPlane, kernel } = countingDataPlane({ targeted: true });
    const host = agent(dataPlane, table(3));
    const events = driftEvents(host);
    await host.start("web", CONFIG);
    await host.readBack();
    events.length = 0;
    const deleteByHand = () => {
      kernel.table = { services: kernel.table.services.filter((s) => s.port !== 8001) };
    };
    deleteByHand();
    await host.readBack();
    await host.apply({ cluster: "web", generation: 2, desired: table(3) } as never);
    deleteByHand();
    await host.readBack();
    expect(events.map((e) => [e.from, e.to])).toEqual([
      ["in step", "drifted"],
      ["drifted", "drifted"],
    ]);
    await host.close();
  });

  it("a drift standing when the role stops is ended (to unknown): the table is no longer watched", async () => {
    const { dataPlane, kernel } = countingDataPlane({ targeted: true });
    const host = agent(dataPlane, table(3));
    const events = driftEvents(host);
    await host.start("web", CONFIG);
    await host.readBack();
    kernel.table = { services: kernel.table.services.filter((s) => s.port !== 8001) };
    await host.readBack();
    await host.stop("web");
    expect(events.map((e) => [e.from, e.to]).slice(-2)).toEqual([
      ["in step", "drifted"],
      ["drifted", "unknown"],
    ]);
    await host.close();
  });

  it("under driftPolicy correct the agent repairs it at once and says so", async () => {
    const { dataPlane, kernel } = countingDataPlane({ targeted: true });
    const status = new StateFile<RoleStatus>(join(dir, "role.json"), () => INITIAL_STATUS);
    const host = agent(dataPlane, table(3), 0, status);
    const events = driftEvents(host);
    await host.start("web", CONFIG);
    // the spec the role holds decides the policy (the latest an Apply carried): written here as Apply keeps it
    await status.write({ ...(await status.read()), spec: SPEC("correct") });
    await host.readBack();
    events.length = 0;
    (kernel.table.services[2] as IpvsService).destinations[0] = {
      ...(kernel.table.services[2]?.destinations[0] as IpvsDestination),
      weight: 0,
    };
    await host.readBack();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ from: "in step", to: "corrected", operations: 1 });
    expect(kernel.table.services[2]?.destinations[0]?.weight).toBe(1);
    await host.readBack();
    expect(events).toHaveLength(1);
    await host.close();
  });

  it("runs on its timer (--readback-interval), one read of the kernel at a time", async () => {
    const { dataPlane, kernel, counts } = countingDataPlane({ targeted: true });
    const host = agent(dataPlane, table(2), 30);
    const events = driftEvents(host);
    // heartbeats every 5 ms read the kernel too, beside the read-back's reads
    const watch = host.watchEvents(
      { heartbeatIntervalMs: 5 },
      () => undefined,
      () => undefined,
    );
    await host.start("web", CONFIG);
    kernel.table = { services: [] };
    const deadline = Date.now() + 3_000;
    const drifted = () => events.filter((e) => e.to === "drifted");
    while (drifted().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // two services gone: each is added again with its two real servers
    expect(drifted()[0]).toMatchObject({ to: "drifted", operations: 6 });
    expect(counts.observe).toBeGreaterThanOrEqual(3);
    expect(counts.most).toBe(1);
    watch.cancel();
    await host.close();
  });

  it("a health override not re-planned yet is not drift: the kernel is compared with what was applied", async () => {
    const { dataPlane } = countingDataPlane({ targeted: true });
    let down = false;
    const host = agent(
      dataPlane,
      table(2),
      0,
      undefined,
      firstServerDown(() => down),
    );
    const events = driftEvents(host);
    await host.start("web", CONFIG);
    await host.readBack();
    events.length = 0;
    down = true;
    await host.readBack();
    expect(events).toEqual([]);
    await host.close();
  });

  it("after a restart a server the health checks had taken out is not false drift, and correct does not put it back", async () => {
    const { dataPlane, kernel } = countingDataPlane({ targeted: true });
    const statusFile = new StateFile<RoleStatus>(join(dir, "role.json"), () => INITIAL_STATUS);
    let down = true;
    const health = firstServerDown(() => down);
    const first = agent(dataPlane, table(2), 0, statusFile, health);
    await first.start("web", CONFIG);
    // the spec the role holds decides the policy: written here as Apply keeps it
    await statusFile.write({ ...(await statusFile.read()), spec: SPEC("correct") });
    await first.close();
    const held = JSON.stringify(kernel.table);
    expect(kernel.table.services[0]?.destinations[0]?.weight).toBe(0);
    down = false;
    const second = agent(
      dataPlane,
      table(2),
      0,
      new StateFile<RoleStatus>(join(dir, "role.json"), () => INITIAL_STATUS),
      health,
    );
    const events = driftEvents(second);
    await second.readBack();
    await second.readBack();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ from: "unknown", to: "in step", operations: 0 });
    expect(events[0]?.detail).toMatch(/after a restart the kernel's table is taken as applied/);
    expect(JSON.stringify(kernel.table)).toBe(held);
    await second.close();
  });

  it("the event names the first 20 operations and counts the rest", () => {
    const operations = Array.from({ length: 25 }, (_, i) => `add service tcp 198.51.100.1:${i}`);
    const event = driftEvent(undefined, { operations, corrected: false }, 4);
    expect(event).toMatchObject({ subject: "drift", to: "drifted", operations: 25 });
    expect(event?.detail).toMatch(/… and 5 more$/);
    expect(driftEvent({ operations, corrected: false }, { operations, corrected: false }, 4)).toBeUndefined();
    expect(driftEvent(undefined, { operations: [], corrected: false }, 4)).toBeUndefined();
    // a restarted process's first read-back says once that it is in step (ending drift shown from before)
    expect(driftEvent(undefined, { operations: [], corrected: false }, 4, true)).toMatchObject({
      from: "unknown",
      to: "in step",
    });
  });
});
