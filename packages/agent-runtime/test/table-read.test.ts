import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentEvent, IpvsTable } from "@lvsfleet/model";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type DataPlaneDriver,
  EMPTY_LEDGER,
  HostAgent,
  type HostLedger,
  INITIAL_STATUS,
  type RoleStatus,
  SimHostDriver,
  StateFile,
  stockSimHost,
} from "../src/index.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lvsfleet-table-read-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A data plane whose kernel read takes `readMs` (a big nft table), counting the reads running at once. */
function slowDataPlane(readMs: number) {
  const counts = { running: 0, most: 0, reads: 0 };
  const dataPlane: DataPlaneDriver = {
    name: "nftables",
    init: async () => undefined,
    observe: async (): Promise<IpvsTable> => {
      counts.reads++;
      counts.running++;
      counts.most = Math.max(counts.most, counts.running);
      await new Promise((r) => setTimeout(r, readMs));
      counts.running--;
      return { services: [] };
    },
    execute: async () => undefined,
    requiredSysctls: () => ({}),
    close: async () => undefined,
  };
  return { dataPlane, counts };
}

function agent(dataPlane: DataPlaneDriver): HostAgent {
  return new HostAgent({
    info: { host: "lb1", role: "director", driver: dataPlane.name, version: "test", startedAt: 0 },
    behaviour: {
      intent: () => ({ addresses: [], routes: [], sysctls: {} }),
      table: () => undefined,
      reportedSysctls: [],
    },
    host: new SimHostDriver(new StateFile(join(dir, "host.json"), () => stockSimHost("192.0.2.1", 24, "eth0"))),
    dataPlane,
    statusFile: new StateFile<RoleStatus>(join(dir, "role.json"), () => INITIAL_STATUS),
    ledgerFile: new StateFile<HostLedger>(join(dir, "ledger.json"), () => EMPTY_LEDGER),
    log: pino({ level: "silent" }),
  });
}

describe("reads of the kernel's table for heartbeats and status are single-flight", () => {
  it("a read slower than the heartbeat period is shared, never doubled, by three watchers and GetState", async () => {
    const { dataPlane, counts } = slowDataPlane(150);
    const host = agent(dataPlane);
    const beats: AgentEvent[] = [];
    const watches = [1, 2, 3].map(() =>
      host.watchEvents(
        { heartbeatIntervalMs: 20 },
        (event) => void beats.push(event),
        () => undefined,
      ),
    );
    const states = Promise.all([host.getState(), host.getState()]);
    await new Promise((r) => setTimeout(r, 500));
    for (const w of watches) w.cancel();
    await states;
    // three watchers beating every 20 ms for 500 ms asked for ~75 reads; each read took 150 ms
    expect(counts.most).toBe(1);
    expect(counts.reads).toBeGreaterThanOrEqual(2);
    expect(counts.reads).toBeLessThanOrEqual(5);
    expect(beats.filter((e) => e.type === "heartbeat").length).toBeGreaterThanOrEqual(3);
    await host.close();
  });
});
