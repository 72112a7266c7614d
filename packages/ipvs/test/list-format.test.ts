import { readFileSync } from "node:fs";
import { ClusterSpec, DEMO_CLUSTER, desiredTable, type IpvsTable } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { compareServices, renderList } from "../src/index.ts";

const golden = (name: string) => readFileSync(new URL(`./golden/${name}`, import.meta.url), "utf8");

/** The table list-mixed.sh builds in the real kernel (recorded from the ipvs guest). */
const mixed: IpvsTable = {
  services: [
    {
      protocol: "fwmark",
      fwmark: 8,
      family: "inet6",
      scheduler: "mh",
      schedulerFlags: ["mh-port"],
      destinations: [],
    },
    {
      protocol: "tcp",
      address: "192.168.1.229",
      port: 80,
      family: "inet",
      scheduler: "wrr",
      schedulerFlags: [],
      persistence: { timeout: 60, netmask: 32 },
      destinations: [
        {
          address: "192.168.1.231",
          port: 80,
          forwarding: "dr",
          weight: 1,
          upperThreshold: 0,
          lowerThreshold: 0,
          activeConns: 0,
          inactConns: 0,
          persistConns: 0,
        },
        {
          address: "192.168.1.220",
          port: 80,
          forwarding: "dr",
          weight: 3,
          upperThreshold: 0,
          lowerThreshold: 0,
          activeConns: 0,
          inactConns: 0,
          persistConns: 0,
        },
      ],
    },
    {
      protocol: "udp",
      address: "192.168.1.229",
      port: 53,
      family: "inet",
      scheduler: "rr",
      schedulerFlags: [],
      destinations: [
        {
          address: "192.168.1.220",
          port: 53,
          forwarding: "nat",
          weight: 0,
          upperThreshold: 0,
          lowerThreshold: 0,
          activeConns: 0,
          inactConns: 0,
          persistConns: 0,
        },
      ],
    },
    {
      protocol: "fwmark",
      fwmark: 7,
      family: "inet",
      scheduler: "sh",
      schedulerFlags: ["sh-port", "sh-fallback"],
      destinations: [
        {
          address: "192.168.1.220",
          port: 0,
          forwarding: "tun",
          weight: 2,
          upperThreshold: 100,
          lowerThreshold: 10,
          activeConns: 0,
          inactConns: 0,
          persistConns: 0,
        },
      ],
    },
    {
      protocol: "tcp",
      address: "2001:db8::29",
      port: 443,
      family: "inet6",
      scheduler: "wlc",
      schedulerFlags: [],
      persistence: { timeout: 300, netmask: 64 },
      destinations: [
        {
          address: "2001:db8::20",
          port: 443,
          forwarding: "dr",
          weight: 5,
          upperThreshold: 0,
          lowerThreshold: 0,
          activeConns: 0,
          inactConns: 0,
          persistConns: 0,
        },
      ],
    },
    {
      protocol: "tcp",
      address: "192.168.1.229",
      port: 8080,
      family: "inet",
      scheduler: "lc",
      schedulerFlags: [],
      persistence: { timeout: 120, netmask: 24 },
      destinations: [],
    },
  ],
};

describe("renderList (ipvsadm -Ln)", () => {
  it("matches the real ipvsadm byte for byte: TCP/UDP/FWM, IPv6, persistence masks, scheduler flags", () => {
    expect(renderList(mixed)).toBe(golden("list-mixed.Ln.txt"));
  });

  it("renders the guide's table", () => {
    const text = renderList(desiredTable(ClusterSpec.parse(DEMO_CLUSTER)));
    expect(text).toContain("TCP  192.168.1.229:80 wrr persistent 60\n");
    expect(text).toContain("  -> 192.168.1.220:80             Route   3      0          0         \n");
  });

  it("sorts addresses the way libipvs does, with its 32-bit wrap-around", () => {
    const svc = (address: string) => ({
      protocol: "tcp" as const,
      address,
      port: 80,
      family: "inet" as const,
      scheduler: "rr" as const,
      schedulerFlags: [],
    });
    expect(compareServices(svc("10.0.0.1"), svc("10.0.0.2"))).toBeLessThan(0);
    // 0x0a000001 - 0xc0a80101 overflows a C int to a positive number, so ipvsadm lists 192.168.x first.
    expect(compareServices(svc("10.0.0.1"), svc("192.168.1.1"))).toBeGreaterThan(0);
  });
});
