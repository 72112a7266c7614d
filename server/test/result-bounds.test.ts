import { renderList } from "@lvsfleet/ipvs";
import { ClusterSpec, desiredTable, type IpvsTable, validate } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { boundedChanges, boundedTable } from "../src/queue/result-bounds.ts";

/** The table of `services` TCP services on 10.0.0.1, ports 1.., each with `servers` real servers. */
function table(services: number, servers: number): IpvsTable {
  const spec = validate(ClusterSpec, {
    name: "web",
    vips: ["10.0.0.1"],
    services: Array.from({ length: services }, (_, i) => ({
      name: `s${i + 1}`,
      address: "10.0.0.1",
      port: i + 1,
      scheduler: "wrr",
      realServers: Array.from({ length: servers }, (_, j) => ({
        address: `10.1.${Math.floor(j / 250)}.${(j % 250) + 1}`,
        port: 80,
      })),
    })),
  });
  return desiredTable(spec);
}

describe("a job's result stays bounded", () => {
  it("a small table is rendered whole, exactly as ipvsadm -Ln", () => {
    const small = table(3, 2);
    expect(boundedTable(small, "web")).toBe(renderList(small));
  });

  it("10,000 services × 10: the first services that fit in 500 lines, then how many are left and where the whole table is", () => {
    const big = table(10_000, 10);
    const text = boundedTable(big, "web");
    const lines = text.trimEnd().split("\n");
    // 3 header lines + 45 services of 11 lines = 498, and the line that says what is left out
    expect(lines.length).toBe(499);
    expect(lines[3]).toMatch(/^TCP {2}10\.0\.0\.1:1 wrr/);
    expect(lines.at(-1)).toBe("… 9,955 more services (10,000 in all); GET /v1/clusters/web/status for the whole table");
    expect(text.length).toBeLessThan(40_000);
    // the services shown are the first in ipvsadm's order, whatever order the table came in
    const shuffled = { services: [...big.services].reverse() } as IpvsTable;
    expect(boundedTable(shuffled, "web")).toBe(text);
  });

  it("a service bigger than the bound alone: no services, the line says so", () => {
    expect(boundedTable(table(1, 600), "web")).toMatch(
      /\n… 1 more service \(1 in all\); GET \/v1\/clusters\/web\/status/,
    );
  });

  it("operations: up to 500 as they are; past that 499 and a line with how many more", () => {
    const few = ["a", "b"];
    expect(boundedChanges(few)).toEqual(few);
    const ops = Array.from({ length: 110_000 }, (_, i) => `add-destination ${i}`);
    const bounded = boundedChanges(ops);
    expect(bounded.length).toBe(500);
    expect(bounded[498]).toBe("add-destination 498");
    expect(bounded[499]).toBe("… 109,501 more operations (110,000 in all)");
    expect(boundedChanges(ops.slice(0, 500))).toEqual(ops.slice(0, 500));
  });
});
