import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GENERATED_DIR, generateWireTypes } from "../../../scripts/generate-wire-types.mjs";

/** Every file under dir, by path relative to it, with its text. */
function files(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else found.set(relative(dir, path), readFileSync(path, "utf8"));
    }
  };
  walk(dir);
  return found;
}

const scratch = mkdtempSync(join(tmpdir(), "lvsfleet-wire-types-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the wire types (packages/rpc/src/generated)", () => {
  it("are what proto-loader-gen-types makes of proto/ now: run `node scripts/generate-wire-types.mjs` after a proto change", () => {
    generateWireTypes(scratch);
    const fresh = files(scratch);
    const checkedIn = files(GENERATED_DIR);
    expect(fresh.size).toBeGreaterThan(0);
    expect([...checkedIn.keys()].sort()).toEqual([...fresh.keys()].sort());
    const stale = [...fresh].filter(([path, text]) => checkedIn.get(path) !== text).map(([path]) => path);
    expect(stale).toEqual([]);
  }, 60_000);
});
