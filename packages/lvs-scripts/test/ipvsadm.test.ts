import { sortedLikeIpvsadm } from "@lvsfleet/ipvs";
import {
  ClusterSpec,
  type ClusterSpecInput,
  desiredTable,
  type IpvsTable,
  SCHEDULERS,
  validate,
} from "@lvsfleet/model";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exportIpvsadmSave, importIpvsadmSave, importLvsScripts } from "../src/index.ts";
import { brief, dump, fixture } from "./helpers.ts";

describe("ipvsadm -Sn import", () => {
  it("imports real ipvsadm -Sn output and exports it back byte for byte", () => {
    const text = fixture("list-mixed.Sn.txt");
    const result = importIpvsadmSave(text, { name: "mixed" });
    if (!result.ok) throw new Error(dump(result.diagnostics));
    expect(result.diagnostics).toEqual([]);
    expect(result.spec.services.map((s) => s.name)).toEqual([
      "http",
      "http-alt",
      "dns",
      "https",
      "fwmark-7",
      "fwmark-8",
    ]);
    expect(result.spec.vips).toEqual(["192.168.1.229", "2001:db8::29"]);
    expect(result.spec.services[0]).toMatchObject({
      protocol: "tcp",
      address: "192.168.1.229",
      port: 80,
      scheduler: "wrr",
      forwarding: "dr",
      persistence: { timeout: 60 },
      realServers: [
        { address: "192.168.1.220", port: 80, weight: 3 },
        { address: "192.168.1.231", port: 80, weight: 1 },
      ],
    });
    expect(result.spec.services[1]?.persistence).toEqual({ timeout: 120, netmask: 24 });
    expect(result.spec.services[4]).toMatchObject({
      protocol: "fwmark",
      fwmark: 7,
      forwarding: "tun",
      schedulerFlags: ["sh-fallback", "sh-port"],
    });
    expect(result.spec.services[5]).toMatchObject({ protocol: "fwmark", fwmark: 8, family: "inet6", realServers: [] });
    expect(exportIpvsadmSave(result.spec, { thresholds: false }).text).toBe(text);
    expect(exportIpvsadmSave(result.spec).text).toBe(text);
  });

  it("refuses what the spec cannot hold, naming the line", () => {
    const result = importIpvsadmSave(fixture("formats.Sn.txt"), { name: "formats" });
    expect(result.ok).toBe(false);
    const errors = result.diagnostics.filter((d) => d.severity === "error").map(brief);
    expect(errors).toContain("20:1 error unsupported one-packet scheduling (-o) is not supported by lvsfleet");
    expect(errors).toContain(
      "31:1 error unsupported 192.168.1.221: --tun-type gue is not supported by lvsfleet (IPIP only)",
    );
  });

  it("reports a malformed line with line and column", () => {
    const result = importIpvsadmSave("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.300:80 -g -w 1\n", {
      name: "bad",
      file: "rules",
    });
    expect(result.ok).toBe(false);
    expect(result.diagnostics[0]).toMatchObject({ file: "rules", line: 2, severity: "error" });
    expect(result.diagnostics[0]?.column).toBeGreaterThan(1);
  });
});

describe("ipvsadm -Sn export", () => {
  it("writes the guide's cluster for ipvsadm -R, with thresholds, and lists what it leaves out", () => {
    const result = importLvsScripts({ text: fixture("lvsdr.sh"), file: "lvsdr.sh" }, [], { name: "web" });
    if (!result.ok) throw new Error(dump(result.diagnostics));
    const spec: ClusterSpecInput = {
      ...result.spec,
      services: result.spec.services.map((s) => ({
        ...s,
        inhibitOnFailure: true,
        realServers: s.realServers.map((rs, i) => ({
          ...rs,
          upperThreshold: i === 0 ? 100 : 0,
          lowerThreshold: i === 0 ? 10 : 0,
        })),
      })),
    };
    const out = exportIpvsadmSave(spec);
    expect(out.text).toBe(
      "-A -t 192.168.1.229:80 -s wrr\n" +
        "-a -t 192.168.1.229:80 -r 192.168.1.220:80 -g -w 1 -x 100 -y 10\n" +
        "-a -t 192.168.1.229:80 -r 192.168.1.231:80 -g -w 1\n",
    );
    expect(exportIpvsadmSave(spec, { thresholds: false }).text).not.toContain("-x");
    expect(out.warnings).toEqual([
      {
        field: "services[0].inhibitOnFailure",
        message: "inhibit on failure is not part of the IPVS table; ipvsadm -S cannot hold it",
      },
    ]);
  });
});

const ipv4 = fc.ipV4();
const serviceArb = fc.record({
  kind: fc.constantFrom("tcp", "udp", "sctp", "fwmark"),
  port: fc.integer({ min: 1, max: 65535 }),
  fwmark: fc.integer({ min: 1, max: 1000 }),
  scheduler: fc.constantFrom(...SCHEDULERS),
  persistence: fc.option(
    fc.record(
      { timeout: fc.integer({ min: 1, max: 100000 }), netmask: fc.integer({ min: 1, max: 32 }) },
      { requiredKeys: ["timeout"] },
    ),
    { nil: undefined },
  ),
  forwarding: fc.constantFrom("dr" as const, "nat" as const, "tun" as const),
  realServers: fc.uniqueArray(
    fc.record({
      address: ipv4,
      port: fc.integer({ min: 0, max: 65535 }),
      weight: fc.integer({ min: 0, max: 65535 }),
      forwarding: fc.option(fc.constantFrom("dr" as const, "nat" as const, "tun" as const), { nil: undefined }),
      upperThreshold: fc.integer({ min: 0, max: 1000 }),
    }),
    { selector: (rs) => rs.address, maxLength: 4 },
  ),
});

const specArb = fc
  .tuple(fc.uniqueArray(ipv4, { minLength: 1, maxLength: 3 }), fc.array(serviceArb, { minLength: 1, maxLength: 4 }))
  .map(([vips, services]) => ({
    name: "prop",
    vips,
    services: services.map((s, i) => ({
      name: `s${i}`,
      protocol: s.kind as "tcp" | "udp" | "sctp" | "fwmark",
      ...(s.kind === "fwmark" ? { fwmark: s.fwmark } : { address: vips[i % vips.length] as string, port: s.port }),
      scheduler: s.scheduler,
      forwarding: s.forwarding,
      persistence: s.persistence,
      // ipvsadm gives a real server of an address service the service's port unless it is NAT with a
      // port of its own (export warns about the others).
      realServers: s.realServers.map((rs) => ({
        ...rs,
        port: s.kind === "fwmark" ? rs.port : (rs.forwarding ?? s.forwarding) === "nat" ? rs.port || s.port : s.port,
        lowerThreshold: Math.floor(rs.upperThreshold / 2),
      })),
    })),
  }))
  .filter((input) => ClusterSpec.safeParse(input).success);

function sortedTable(input: ClusterSpecInput): IpvsTable {
  return sortedLikeIpvsadm(desiredTable(validate(ClusterSpec, input)));
}

describe("ipvsadm -Sn round trip", () => {
  it("spec → ipvsadm -Sn → spec keeps the IPVS table, thresholds included", () => {
    fc.assert(
      fc.property(specArb, (input) => {
        const back = importIpvsadmSave(exportIpvsadmSave(input).text, { name: "prop", vips: input.vips });
        if (!back.ok) throw new Error(dump(back.diagnostics));
        expect(sortedTable(back.spec)).toEqual(sortedTable(input));
      }),
      { numRuns: 200 },
    );
  });
});
