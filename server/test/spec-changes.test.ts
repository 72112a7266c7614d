import { ClusterSpec, DEMO_CLUSTER, validate } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { latestHealth, latestVrrp } from "../src/commands/fleet-snapshot.ts";
import { specChanges } from "../src/commands/spec-changes.ts";

const demo = validate(ClusterSpec, DEMO_CLUSTER);

describe("specChanges", () => {
  it("is empty for the same spec", () => {
    expect(specChanges(demo, structuredClone(demo))).toEqual([]);
  });

  it("words table changes as the planner does, then directors and other settings", () => {
    const next = structuredClone(demo);
    (next.services[0] as (typeof next.services)[0]).realServers[0]!.weight = 5;
    (next.services[0] as (typeof next.services)[0]).realServers[1]!.host = "web9";
    next.directors = next.directors.filter((d) => d.host !== "lb-backup");
    (next.services[0] as (typeof next.services)[0]).realServers.push({
      address: "192.168.1.232",
      port: 80,
      weight: 2,
      upperThreshold: 0,
      lowerThreshold: 0,
    });
    next.vrrp = { instances: [{ name: "VI_1", virtualRouterId: 51, vips: ["192.168.1.229"] }] } as typeof next.vrrp;
    expect(specChanges(demo, next)).toEqual([
      "add-destination TCP 192.168.1.229:80 -> 192.168.1.232:80 dr weight 2",
      "edit-destination TCP 192.168.1.229:80 -> 192.168.1.220:80 dr weight 5",
      "remove director lb-backup",
      "change services.http.realServers.192.168.1.231:80.host",
      "change vrrp",
    ]);
  });

  it("lists everything as added for a new cluster", () => {
    expect(specChanges(undefined, demo)).toEqual([
      "add-service TCP 192.168.1.229:80 wrr persistent 60",
      "add-destination TCP 192.168.1.229:80 -> 192.168.1.220:80 dr weight 3",
      "add-destination TCP 192.168.1.229:80 -> 192.168.1.231:80 dr weight 1",
      "add director lb-master",
      "add director lb-backup",
    ]);
  });
});

describe("latest health and VRRP state from the event log", () => {
  it("keeps the newest event per real server and per VRRP instance", () => {
    const base = { host: "lb-master", service: "http", address: "192.168.1.220", port: 80, reason: "" };
    const events = [
      { type: "health" as const, time: 1, from: "up", to: "down", ...base },
      { type: "health" as const, time: 2, from: "down", to: "up", ...base },
      {
        type: "state" as const,
        time: 3,
        host: "lb-master",
        subject: "vrrp:VI_1",
        from: "BACKUP",
        to: "master",
        detail: "",
      },
      {
        type: "state" as const,
        time: 4,
        host: "lb-master",
        subject: "table",
        from: "generation 1",
        to: "generation 2",
        detail: "",
      },
    ];
    expect(latestHealth(events)).toEqual([
      { host: "lb-master", service: "http", address: "192.168.1.220", port: 80, state: "up", time: 2 },
    ]);
    expect(latestVrrp(events)).toEqual([{ host: "lb-master", instance: "VI_1", state: "MASTER", time: 3 }]);
  });
});
