import { describe, expect, it } from "vitest";
import { CHECKED, FIXTURES, importCycles } from "./import-cycles.ts";

/**
 * No import cycle anywhere in the repository: a cycle means two modules cannot be understood, tested
 * or moved one without the other (and ESM evaluates one of them half-initialised). Imports of other
 * workspaces (`@lvsfleet/…`) are followed into their sources, so a cycle between packages counts.
 */
describe("import cycles", () => {
  it("there is none in packages/, agents/, server/, test/ and bench/", async () => {
    const cycles = await importCycles(CHECKED, { exclude: [/test\/structure\/fixtures\//] });
    expect(cycles.map((cycle) => cycle.join(" > "))).toEqual([]);
  }, 120_000);

  it("the check finds a cycle when there is one (fixtures/cycle: a.ts ↔ b.ts)", async () => {
    const cycles = await importCycles([FIXTURES]);
    expect(cycles).toEqual([["test/structure/fixtures/cycle/a.ts", "test/structure/fixtures/cycle/b.ts"]]);
  });
});
