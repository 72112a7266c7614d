import { ClusterSpec, DEMO_CLUSTER, desiredTable, validate } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import type { FleetSnapshot } from "../src/commands/fleet-snapshot.ts";
import { fleetReadings } from "../src/metrics/fleet.ts";

const spec = validate(ClusterSpec, DEMO_CLUSTER);
const table = desiredTable(spec);
(table.services[0] as (typeof table.services)[0]).destinations[1]!.weight = 0;

const snapshot: FleetSnapshot = {
  takenAt: 10_000,
  clusters: [
    {
      name: "web",
      generation: 4,
      spec,
      directors: [
        {
          host: "lb-master",
          role: "master",
          registered: true,
          answered: true,
          roleState: "running",
          generation: 4,
          table,
          health: [
            { service: "http", address: "192.168.1.220", port: 80, state: "up" },
            { service: "http", address: "192.168.1.231", port: 80, state: "down" },
          ],
          vrrp: [{ instance: "VI_1", state: "MASTER" }],
          vipsHeld: ["192.168.1.229"],
        },
        { host: "lb-backup", role: "backup", registered: true, answered: false, error: "agent unreachable" },
      ],
    },
  ],
  agents: [
    {
      registration: { host: "lb-master", role: "director", endpoint: "x:1", driver: "sim", registeredAt: 0 },
      liveness: { reachable: true, lastHeartbeat: 8_500, since: 0 },
    },
  ],
  // Events for a director whose GetState gave no report, and stale ones for one that did.
  health: [{ host: "lb-master", service: "http", address: "192.168.1.220", port: 80, state: "down", time: 1 }],
  vrrp: [{ host: "lb-backup", instance: "VI_1", state: "BACKUP", time: 2 }],
};

const value = (readings: { labels: Record<string, string>; value: number }[], labels: Record<string, string>) =>
  readings.filter((r) => Object.entries(labels).every(([k, v]) => r.labels[k] === v)).map((r) => r.value);

describe("fleetReadings", () => {
  const r = fleetReadings(snapshot);

  it("shows configured weights from the spec and effective weights from each answering director's table", () => {
    expect(value(r.configuredWeight, { real_server: "192.168.1.231:80" })).toEqual([1]);
    const effective = r.table.gauges.filter(
      (g) => g.metric === "weight" && g.labels.real_server === "192.168.1.231:80",
    );
    expect(effective.map((g) => [g.labels.director, g.labels.service, g.value])).toEqual([["lb-master", "http", 0]]);
    expect(value(r.directorUp, { director: "lb-backup" })).toEqual([0]);
    expect(value(r.directorInSync, { director: "lb-master" })).toEqual([1]);
    expect(value(r.inTable, { director: "lb-master" })).toEqual([1, 1]);
  });

  it("prefers a director's live health and VRRP report over events; events fill in for the others", () => {
    expect(value(r.realServerUp, { director: "lb-master", real_server: "192.168.1.220:80" })).toEqual([1]);
    expect(value(r.realServerUp, { director: "lb-master", real_server: "192.168.1.231:80" })).toEqual([0]);
    expect(r.vrrpState.filter((v) => v.value === 1).map((v) => [v.labels.director, v.labels.state])).toEqual([
      ["lb-master", "MASTER"],
      ["lb-backup", "BACKUP"],
    ]);
    expect(value(r.vrrpState, { director: "lb-master" })).toHaveLength(5);
    expect(r.vipHeld).toEqual([{ labels: { cluster: "web", director: "lb-master", vip: "192.168.1.229" }, value: 1 }]);
  });

  it("gives each agent's heartbeat age from the snapshot's time", () => {
    expect(r.heartbeatAge).toEqual([{ labels: { host: "lb-master" }, value: 1.5 }]);
  });
});
