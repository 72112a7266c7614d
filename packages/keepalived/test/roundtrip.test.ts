import { readdirSync, readFileSync } from "node:fs";
import {
  type ClusterSpec,
  type ClusterSpecInput,
  ClusterSpec as ClusterSpecSchema,
  scriptUses,
  validate,
} from "@lvsfleet/model";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exportKeepalived, importKeepalived, importKeepalivedText, memoryFiles } from "../src/index.ts";
import { canonicalSpec } from "./arbitraries.ts";
import { dump, hasKeepalived, keepalivedConfigTest } from "./helpers.ts";

/** The directors' allowlist for a spec's scripts: each name a program of the same name. */
function allowlistFor(spec: ClusterSpec): Record<string, { command: string[] }> {
  return Object.fromEntries(scriptUses(spec).map((u) => [u.name, { command: [`/usr/local/lib/lvsfleet/${u.name}`] }]));
}

/** Exports one keepalived.conf per director (or one without VRRP) and imports them all back. */
function roundTrip(input: ClusterSpecInput): { spec: ClusterSpec; files: Record<string, string> } {
  const spec = validate(ClusterSpecSchema, input);
  const files: Record<string, string> = {};
  const sources =
    spec.directors.length > 0
      ? spec.directors.map((d) => {
          const path = `/etc/lvsfleet/${d.host}/keepalived.conf`;
          files[path] = exportKeepalived(spec, { director: d.host, scripts: allowlistFor(spec) }).text;
          return { path, director: { host: d.host, address: d.address } };
        })
      : [{ path: "/etc/keepalived/keepalived.conf", director: undefined }];
  if (spec.directors.length === 0)
    files["/etc/keepalived/keepalived.conf"] = exportKeepalived(spec, { scripts: allowlistFor(spec) }).text;
  const result = importKeepalived(sources, { files: memoryFiles(files), name: spec.name });
  if (!result.ok) throw new Error(`${dump(result.diagnostics)}\n--- files:\n${Object.values(files).join("\n---\n")}`);
  return { spec: result.spec, files };
}

describe("keepalived.conf round trip", () => {
  it("spec → keepalived.conf (one per director) → spec is the identity", () => {
    fc.assert(
      fc.property(canonicalSpec(), (input) => {
        const expected = validate(ClusterSpecSchema, input);
        expect(roundTrip(input).spec).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it("exports without warnings for canonical specs, and re-exports the same text", () => {
    fc.assert(
      fc.property(canonicalSpec(), (input) => {
        const spec = validate(ClusterSpecSchema, input);
        const director = spec.directors[0]?.host;
        const first = exportKeepalived(spec, { director, scripts: allowlistFor(spec) });
        expect(first.warnings).toEqual([]);
        const again = roundTrip(input).spec;
        expect(exportKeepalived(again, { director, scripts: allowlistFor(spec) }).text).toBe(first.text);
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it("parsing is stable: exported text imports in strict mode without repairs or warnings", () => {
    fc.assert(
      fc.property(canonicalSpec(), (input) => {
        const spec = validate(ClusterSpecSchema, input);
        const director = spec.directors[0];
        const { text } = exportKeepalived(spec, { director: director?.host, scripts: allowlistFor(spec) });
        const result = importKeepalivedText(text, {
          name: spec.name,
          director: director && { host: director.host, address: director.address },
          strict: true,
        });
        if (!result.ok) throw new Error(dump(result.diagnostics));
        // scripts: the entries each director's allowlist needs, as warnings
        expect(result.diagnostics.filter((d) => d.code !== "note" && d.code !== "script")).toEqual([]);
        // The only note: a VIP that services use but no VRRP instance carries.
        for (const d of result.diagnostics.filter((d) => d.code === "note"))
          expect(d.message).toMatch(/is in no vrrp_instance's virtual_ipaddress/);
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});

function hasWeight(input: ClusterSpecInput): boolean {
  return (input.services ?? []).every((s) => (s.realServers ?? []).some((rs) => (rs.weight ?? 1) > 0));
}

/** This host's multicast-capable interfaces: keepalived -t checks that VRRP interfaces exist and can multicast. */
const hostInterfaces = (() => {
  const IFF_LOOPBACK = 0x8;
  const IFF_MULTICAST = 0x1000;
  try {
    return readdirSync("/sys/class/net").filter((name) => {
      const flags = Number(readFileSync(`/sys/class/net/${name}/flags`, "utf8").trim());
      return (flags & IFF_MULTICAST) !== 0 && (flags & IFF_LOOPBACK) === 0;
    });
  } catch {
    return [];
  }
})();

describe.skipIf(!hasKeepalived || hostInterfaces.length === 0)("keepalived accepts what lvsfleet exports", () => {
  it("keepalived -t accepts every director's file of generated specs", async () => {
    // keepalived -t checks that interfaces exist, so the specs use this host's interfaces.
    await fc.assert(
      // Specs whose every service has some weight: with all weights 0 keepalived reports that its
      // default quorum of 1 exceeds the total weight (see export.test.ts).
      fc.asyncProperty(canonicalSpec({ interfaces: hostInterfaces }).filter(hasWeight), async (input) => {
        const { files } = roundTrip(input);
        for (const text of Object.values(files)) {
          const { code, output } = await keepalivedConfigTest(text);
          expect({ code, output, text }).toMatchObject({ code: 0, output: "" });
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
