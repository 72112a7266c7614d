import { describe, expect, it } from "vitest";
import { golden } from "./golden.ts";
import { clientPorts, parseVectors, replay } from "./vectors/replay.ts";
import { SCENARIOS } from "./vectors/scenarios.ts";

/**
 * The simulator against the real kernel: golden/vectors.txt holds which real server each
 * connection of each scenario got from Debian 6.1's ip_vs in the qemu guest (LVS-NAT, real TCP).
 */
describe("scheduler vectors recorded from the real kernel", () => {
  const recorded = parseVectors(golden("vectors.txt"));
  const ports = clientPorts();
  for (const scenario of SCENARIOS)
    it(`${scenario.name}: the simulator picks the same real server for every connection, in order`, () => {
      const kernel = recorded.get(scenario.name);
      expect(kernel?.length).toBeGreaterThan(0);
      expect(replay(scenario, ports.get(scenario.name) ?? [])).toEqual(kernel);
    });
});
