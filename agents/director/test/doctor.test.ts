import type { HostFacts } from "@lvsfleet/agent-runtime";
import { ClusterSpec, DEMO_CLUSTER, desiredTable, type RoleConfig } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { type DataPlaneNeeds, directorProblems } from "../src/doctor.ts";
import { safeIpvsSysctls } from "../src/drivers/ipvs-sysctls.ts";
import { unsupportedReasons } from "../src/drivers/nft-render.ts";

const desired = desiredTable(ClusterSpec.parse(DEMO_CLUSTER));
const config = {
  kind: "director",
  director: { vips: ["192.168.1.229"], interface: "eth0", desired, generation: 1 },
} satisfies RoleConfig;
const ipvs: DataPlaneNeeds = { requiredSysctls: () => safeIpvsSysctls("4.19.0-21-amd64") };
const nftables: DataPlaneNeeds = {
  requiredSysctls: () => ({}),
  unsupported: (table) => table.services.flatMap(unsupportedReasons),
};

function facts(): HostFacts {
  return {
    kernelRelease: "4.19.0-21-amd64",
    addresses: [
      { address: "192.168.1.252", prefixLength: 24, interface: "eth0" },
      { address: "192.168.1.229", prefixLength: 32, interface: "eth0", label: "eth0:1" },
    ],
    routes: [],
    links: [
      { name: "lo", up: true },
      { name: "eth0", up: true },
    ],
    sysctls: {
      "net.ipv4.vs.conn_reuse_mode": "0",
      "net.ipv4.vs.expire_nodest_conn": "1",
      "net.ipv4.vs.expire_quiescent_template": "1",
    },
    dataPlane: { driver: "ipvs", available: true, detail: "ip_vs is loaded" },
  };
}

describe("director doctor", () => {
  it("finds nothing wrong with a director lvsdr set up", () => {
    expect(directorProblems({ facts: facts(), config, running: true }, ipvs)).toEqual([]);
  });

  it("reports a kernel without ip_vs with the fix, even before start", () => {
    const f = facts();
    f.dataPlane = {
      driver: "ipvs",
      available: false,
      detail: "this kernel has no ip_vs",
      fix: "use --driver nftables",
    };
    expect(directorProblems({ facts: f, config, running: false }, ipvs)).toEqual([
      {
        code: "data-plane-unavailable",
        severity: "error",
        subject: "ipvs",
        message: "this kernel has no ip_vs",
        fix: "use --driver nftables",
      },
    ]);
  });

  it("reports a missing or down VIP interface before start", () => {
    const f = facts();
    f.links = [
      { name: "lo", up: true },
      { name: "ens3", up: true },
    ];
    expect(directorProblems({ facts: f, config, running: false }, ipvs)[0]).toMatchObject({
      code: "interface-missing",
      message: "the VIP interface eth0 does not exist on this host (it has lo, ens3)",
    });
    f.links = [{ name: "eth0", up: false }];
    expect(directorProblems({ facts: f, config, running: false }, ipvs)[0]).toMatchObject({
      code: "interface-down",
      fix: "ip link set eth0 up",
    });
  });

  it("IPVS sysctls: conn_reuse_mode=1 on a 4.19 kernel is reported as a warning with why", () => {
    const f = facts();
    f.sysctls["net.ipv4.vs.conn_reuse_mode"] = "1";
    const [problem, ...rest] = directorProblems({ facts: f, config, running: true }, ipvs);
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({
      severity: "warning",
      subject: "net.ipv4.vs.conn_reuse_mode",
      fix: "sysctl -w net.ipv4.vs.conn_reuse_mode=0",
    });
    expect(problem?.message).toMatch(/before kernel 5\.9/);
  });

  it("running: a VIP that left the interface is an error", () => {
    const f = facts();
    f.addresses.pop();
    expect(directorProblems({ facts: f, config, running: true }, ipvs).map((p) => p.code)).toEqual(["vip-missing"]);
  });

  it("nftables: the VIP interface must be the one the data plane hooks", () => {
    expect(directorProblems({ facts: facts(), config, running: false }, { ...nftables, device: "eth1" })).toEqual([
      expect.objectContaining({ code: "interface-mismatch", fix: expect.stringMatching(/--interface eth0/) }),
    ]);
  });

  it("nftables: refuses what it cannot do before start (a wlc service)", () => {
    const wlc = structuredClone(config);
    if (wlc.kind === "director") wlc.director.desired!.services[0]!.scheduler = "wlc";
    expect(directorProblems({ facts: facts(), config: wlc, running: false }, nftables)).toEqual([
      expect.objectContaining({
        code: "unsupported-by-driver",
        message: expect.stringMatching(/supports rr, wrr, sh, dh/),
      }),
    ]);
  });
});
