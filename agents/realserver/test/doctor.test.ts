import type { HostFacts } from "@lvsfleet/agent-runtime";
import type { RoleConfig } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { realServerDoctor } from "../src/doctor.ts";
import { ARP_SYSCTLS } from "../src/realdr.ts";

const dr: RoleConfig = { kind: "real-server", realServer: { vips: [{ address: "198.18.1.100", forwarding: ["dr"] }] } };
const nat: RoleConfig = {
  kind: "real-server",
  realServer: { vips: [{ address: "198.18.1.100", forwarding: ["nat"] }], natGateway: "198.18.0.2" },
};
const tun: RoleConfig = {
  kind: "real-server",
  realServer: { vips: [{ address: "198.18.1.100", forwarding: ["tun"] }] },
};

/** A real server after realdr start for DR: VIP on lo, ARP suppressed. */
function healthy(): HostFacts {
  return {
    kernelRelease: "6.1.0",
    addresses: [
      { address: "198.18.0.11", prefixLength: 24, interface: "eth0" },
      { address: "198.18.1.100", prefixLength: 32, interface: "lo", label: "lo:0" },
    ],
    routes: [{ destination: "default", via: "198.18.0.1", interface: "eth0" }],
    links: [
      { name: "lo", up: true },
      { name: "eth0", up: true },
    ],
    sysctls: { ...ARP_SYSCTLS },
  };
}

describe("real-server doctor", () => {
  it("finds nothing wrong with a host realdr set up", () => {
    expect(realServerDoctor.check({ facts: healthy(), config: dr, running: true })).toEqual([]);
  });

  it("reports arp_ignore reset to 0 on all, with the fix — the most common LVS-DR mistake", () => {
    const facts = healthy();
    facts.sysctls["net.ipv4.conf.all.arp_ignore"] = "0";
    const problems = realServerDoctor.check({ facts, config: dr, running: true });
    expect(problems).toEqual([
      expect.objectContaining({
        code: "arp-ignore",
        severity: "error",
        subject: "net.ipv4.conf.all.arp_ignore",
        fix: "sysctl -w net.ipv4.conf.all.arp_ignore=1",
      }),
    ]);
    expect(problems[0]?.message).toMatch(/answers ARP for the VIP/);
  });

  it("reports a missing VIP on lo and a weak arp_announce on lo", () => {
    const facts = healthy();
    facts.addresses = facts.addresses.filter((a) => a.interface !== "lo");
    facts.sysctls["net.ipv4.conf.lo.arp_announce"] = "1";
    const problems = realServerDoctor.check({ facts, config: dr, running: true });
    expect(problems.map((p) => [p.code, p.subject, p.fix])).toEqual([
      ["vip-not-on-lo", "198.18.1.100", "ip addr add 198.18.1.100/32 dev lo label lo:0 (or lvsfleet start again)"],
      ["arp-announce", "net.ipv4.conf.lo.arp_announce", "sysctl -w net.ipv4.conf.lo.arp_announce=2"],
    ]);
  });

  it("does not call what start will set a problem before the role runs (preflight)", () => {
    const facts = healthy();
    facts.addresses = facts.addresses.filter((a) => a.interface !== "lo");
    facts.sysctls["net.ipv4.conf.all.arp_ignore"] = "0";
    expect(realServerDoctor.check({ facts, config: dr, running: false })).toEqual([]);
  });

  it("NAT: the default route must go via the director", () => {
    const problems = realServerDoctor.check({ facts: healthy(), config: nat, running: true });
    expect(problems).toEqual([
      expect.objectContaining({ code: "nat-reply-path", fix: "ip route replace default via 198.18.0.2" }),
    ]);
    const fixed = healthy();
    fixed.routes = [{ destination: "default", via: "198.18.0.2", interface: "eth0" }];
    expect(realServerDoctor.check({ facts: fixed, config: nat, running: true })).toEqual([]);
  });

  it("NAT preflight: a gateway that is not on-link, or none at all", () => {
    const far: RoleConfig = { kind: "real-server", realServer: { ...nat.realServer, natGateway: "198.19.9.9" } };
    expect(realServerDoctor.check({ facts: healthy(), config: far, running: false }).map((p) => p.code)).toEqual([
      "nat-gateway-unreachable",
    ]);
    const none: RoleConfig = { kind: "real-server", realServer: { vips: nat.realServer.vips } };
    expect(realServerDoctor.check({ facts: healthy(), config: none, running: false }).map((p) => p.code)).toEqual([
      "nat-gateway-missing",
    ]);
  });

  it("TUN: tunl0 must exist (preflight), be up and have rp_filter off", () => {
    expect(realServerDoctor.check({ facts: healthy(), config: tun, running: false }).map((p) => p.code)).toEqual([
      "tunl0-missing",
    ]);
    const facts = healthy();
    facts.links?.push({ name: "tunl0", up: false });
    facts.sysctls["net.ipv4.conf.tunl0.rp_filter"] = "1";
    facts.sysctls["net.ipv4.conf.all.rp_filter"] = "0";
    expect(realServerDoctor.check({ facts, config: tun, running: true }).map((p) => [p.code, p.subject])).toEqual([
      ["tunl0-down", "tunl0"],
      ["rp-filter", "net.ipv4.conf.tunl0.rp_filter"],
    ]);
    expect(realServerDoctor.sysctls(tun)).toContain("net.ipv4.conf.tunl0.rp_filter");
  });
});
