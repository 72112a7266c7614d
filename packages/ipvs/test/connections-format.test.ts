import { describe, expect, it } from "vitest";
import { parseConnections, renderConnections, renderTimeouts, Simulator } from "../src/index.ts";
import { golden } from "./golden.ts";
import { clientPorts, replay } from "./vectors/replay.ts";
import { SCENARIOS } from "./vectors/scenarios.ts";

describe("ipvsadm -Lnc", () => {
  it("renders every line the real ipvsadm printed, byte for byte (287 connections and templates)", () => {
    const text = golden("vectors.Lnc.txt");
    const entries = parseConnections(text);
    expect(entries.length).toBe(text.split("\n").length - 3);
    expect(renderConnections(entries)).toBe(text);
  });

  it("pins the client ports the vectors assume (the guest sets ip_local_port_range per connection)", () => {
    const entries = parseConnections(golden("vectors.Lnc.txt"));
    const rr = entries.filter((e) => e.virtualPort === 8001).map((e) => e.clientPort);
    expect(rr.sort()).toEqual(clientPorts().get("rr"));
  });

  it("the simulator's connection table for the persistence scenario is the kernel's, expiry aside", () => {
    const scenario = SCENARIOS.find((s) => s.name === "persistence")!;
    const kernel = parseConnections(golden("vectors.Lnc.txt"))
      .filter((e) => e.virtualPort === 8018 || e.virtualPort === 65535)
      .map(({ expiresIn: _, ...rest }) => rest);
    const { sim } = replay(scenario, clientPorts().get("persistence") ?? [], { keep: true });
    const simulated = parseConnections(renderConnections(sim!.connections())).map(({ expiresIn: _, ...rest }) => rest);
    const key = (e: object) => JSON.stringify(e);
    expect(simulated.map(key).sort()).toEqual(kernel.map(key).sort());
  });

  it("an empty table, and ipvsadm -L --timeout with the kernel's defaults", () => {
    expect(renderConnections([])).toBe(golden("formats.Lnc.txt"));
    expect(renderTimeouts(new Simulator().timeouts())).toBe(golden("formats.timeout.txt"));
  });

  it("names the line of a connection it cannot read", () => {
    expect(() => parseConnections("IPVS connection entries\nTCP 01:59 TIME_WAIT nonsense\n")).toThrow(
      /^line 2, column 1:/,
    );
  });
});
