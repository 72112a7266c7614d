import type { IpvsTable } from "@lvsfleet/model";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { tableSamples, vipLabel } from "../src/index.ts";
import { TableMetrics } from "../src/prom.ts";

const table: IpvsTable = {
  services: [
    {
      protocol: "tcp",
      address: "192.168.1.229",
      port: 80,
      family: "inet",
      scheduler: "wrr",
      schedulerFlags: [],
      stats: { conns: 10, inPkts: 100, outPkts: 90, inBytes: 1000, outBytes: 9000 },
      destinations: [
        {
          address: "192.168.1.220",
          port: 80,
          forwarding: "dr",
          weight: 3,
          upperThreshold: 0,
          lowerThreshold: 0,
          activeConns: 4,
          inactConns: 2,
          persistConns: 1,
          stats: { conns: 7, inPkts: 70, outPkts: 60, inBytes: 700, outBytes: 6000 },
        },
      ],
    },
    {
      protocol: "fwmark",
      fwmark: 1,
      family: "inet6",
      scheduler: "rr",
      schedulerFlags: [],
      destinations: [
        {
          address: "2001:db8::1",
          port: 443,
          forwarding: "tun",
          weight: 0,
          upperThreshold: 0,
          lowerThreshold: 0,
          activeConns: 0,
          inactConns: 0,
          persistConns: 0,
        },
      ],
    },
  ],
};

describe("tableSamples", () => {
  it("gives weight and connection gauges per real server, and counters only where the table has stats", () => {
    const samples = tableSamples(table, (s) => ({ director: s.protocol === "fwmark" ? "b" : "a" }));
    const rs = { director: "a", protocol: "tcp", vip: "192.168.1.229:80", real_server: "192.168.1.220:80" };
    expect(samples.gauges.filter((g) => g.labels.real_server === "192.168.1.220:80")).toEqual([
      { metric: "weight", labels: rs, value: 3 },
      { metric: "activeConnections", labels: rs, value: 4 },
      { metric: "inactiveConnections", labels: rs, value: 2 },
      { metric: "persistentConnections", labels: rs, value: 1 },
    ]);
    expect(samples.gauges.find((g) => g.labels.real_server === "[2001:db8::1]:443")?.labels).toEqual({
      director: "b",
      protocol: "fwmark",
      vip: "fwmark:1",
      real_server: "[2001:db8::1]:443",
    });
    expect(
      samples.counters.map((c) => `${c.metric}${c.labels.direction ? `/${c.labels.direction}` : ""}=${c.value}`),
    ).toEqual([
      "serviceConnections=10",
      "servicePackets/in=100",
      "servicePackets/out=90",
      "serviceBytes/in=1000",
      "serviceBytes/out=9000",
      "realServerConnections=7",
      "realServerPackets/in=70",
      "realServerPackets/out=60",
      "realServerBytes/in=700",
      "realServerBytes/out=6000",
    ]);
  });

  it("labels a VIP as ipvsadm writes endpoints", () => {
    expect(vipLabel({ protocol: "udp", address: "2001:db8::53", port: 53 })).toBe("[2001:db8::53]:53");
    expect(vipLabel({ protocol: "fwmark", fwmark: 7 })).toBe("fwmark:7");
  });
});

describe("TableMetrics", () => {
  it("replaces the series at each set: a real server that left the table disappears", async () => {
    const registry = new Registry();
    const metrics = new TableMetrics(registry, ["director"]);
    metrics.set(tableSamples(table, () => ({ director: "a" })));
    const first = await registry.metrics();
    expect(first).toContain(
      'lvsfleet_real_server_weight{director="a",protocol="tcp",vip="192.168.1.229:80",real_server="192.168.1.220:80"} 3',
    );
    expect(first).toContain(
      'lvsfleet_real_server_bytes_total{director="a",protocol="tcp",vip="192.168.1.229:80",real_server="192.168.1.220:80",direction="out"} 6000',
    );
    metrics.set(
      tableSamples({ services: [table.services[1] as IpvsTable["services"][number]] }, () => ({ director: "a" })),
    );
    const second = await registry.metrics();
    expect(second).not.toContain("192.168.1.220:80");
    expect(second).toContain('real_server="[2001:db8::1]:443"} 0');
  });
});
