import {
  ClusterSpec,
  DEMO_CLUSTER,
  desiredStateTable,
  desiredTable,
  type IpvsTable,
  type Operation,
  validate,
} from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { applyRequestFromWire } from "../src/agent-input.ts";
import {
  operationFromWire,
  operationToWire,
  simulatedTrafficChangeFromWire,
  simulatedTrafficChangeToWire,
  tableFromWire,
  tableToWire,
} from "../src/convert.ts";
import { agentService } from "../src/proto.ts";

/** Through proto-loader's own encoding and decoding, as a peer would receive it (defaults filled in). */
const { Apply, SetSimulatedTraffic } = agentService().service;

const stats = { conns: 12, inPkts: 60, outPkts: 0, inBytes: 3120, outBytes: 0 };
const rates = { cps: 2, inPps: 10, outPps: 0, inBps: 520, outBps: 0 };

const table: IpvsTable = {
  services: [
    {
      protocol: "udp",
      address: "198.18.0.1",
      port: 53,
      family: "inet",
      scheduler: "rr",
      schedulerFlags: [],
      onePacket: true,
      stats,
      rates,
      destinations: [
        {
          address: "198.18.1.1",
          port: 53,
          forwarding: "tun",
          tunnel: { type: "gue", port: 6080, checksum: "csum" },
          weight: 1,
          upperThreshold: 0,
          lowerThreshold: 0,
          activeConns: 0,
          inactConns: 3,
          persistConns: 0,
          stats,
          rates,
        },
        {
          address: "198.18.1.2",
          port: 53,
          forwarding: "dr",
          weight: 2,
          upperThreshold: 0,
          lowerThreshold: 0,
          activeConns: 1,
          inactConns: 0,
          persistConns: 0,
        },
      ],
    },
  ],
};

describe("table on the wire", () => {
  it("carries one-packet scheduling, tunnels, counters and rates, and leaves out what the source did not report", () => {
    const received = Apply.responseDeserialize(Apply.responseSerialize({ observed: tableToWire(table) }));
    const back = tableFromWire(received.observed);
    expect(back.services[0]).toMatchObject({ onePacket: true, stats, rates });
    expect(back.services[0]!.destinations[0]).toMatchObject({ tunnel: { type: "gue", port: 6080, checksum: "csum" } });
    expect(back.services[0]!.destinations[0]!.stats).toEqual(stats);
    expect(back.services[0]!.destinations[1]).not.toHaveProperty("stats");
    expect(back.services[0]!.destinations[1]).not.toHaveProperty("tunnel");
  });

  it("operations carry configuration only", () => {
    const op: Operation = {
      op: "edit-destination",
      service: table.services[0]!,
      destination: table.services[0]!.destinations[0]!,
    };
    const received = Apply.responseDeserialize(Apply.responseSerialize({ operations: [operationToWire(op)] }));
    const back = operationFromWire(received.operations[0]!);
    expect(back.service).not.toHaveProperty("stats");
    expect(back.service.onePacket).toBe(true);
    expect("destination" in back && back.destination).toEqual({
      address: "198.18.1.1",
      port: 53,
      forwarding: "tun",
      tunnel: { type: "gue", port: 6080, checksum: "csum" },
      weight: 1,
      upperThreshold: 0,
      lowerThreshold: 0,
    });
  });

  it("simulated traffic: the wire's zeros stand for the defaults", () => {
    const wire = simulatedTrafficChangeToWire({
      load: { connectionsPerSecond: 3 },
      hold: [{ address: "198.18.1.1", port: 80, count: 2 }],
    });
    const received = SetSimulatedTraffic.requestDeserialize(SetSimulatedTraffic.requestSerialize(wire));
    expect(simulatedTrafficChangeFromWire(received)).toEqual({
      load: { connectionsPerSecond: 3 },
      hold: [{ address: "198.18.1.1", port: 80, count: 2, lifetimeSeconds: 0 }],
      releaseHeld: false,
    });
  });
});

describe("an Apply from an older server (the spec and its table both sent)", () => {
  it("decodes to the spec: a new agent takes what an older server sends, so agents are upgraded first", () => {
    const spec = validate(ClusterSpec, DEMO_CLUSTER);
    const older = {
      cluster: "web",
      generation: 7,
      desired: tableToWire({ services: [] }),
      specJson: JSON.stringify(spec),
    };
    const received = applyRequestFromWire(Apply.requestDeserialize(Apply.requestSerialize(older)));
    expect(received.generation).toBe(7);
    expect(received.spec).toEqual(spec);
    expect(received.desired).toBeUndefined();
    expect(desiredStateTable(received)).toEqual(desiredTable(spec));
  });
});
