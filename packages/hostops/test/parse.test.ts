import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseIpAddr, parseIpLink, parseIpRoute, parseNftJson } from "../src/index.ts";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

describe("parsing recorded iproute2 JSON", () => {
  it("reads a real server's addresses, keeping only alias labels", () => {
    expect(parseIpAddr(fixture("realserver.ip-addr.json"))).toEqual([
      { address: "127.0.0.1", prefixLength: 8, interface: "lo" },
      { address: "198.18.0.100", prefixLength: 32, interface: "lo", label: "lo:0" },
      { address: "::1", prefixLength: 128, interface: "lo" },
      { address: "198.18.0.3", prefixLength: 24, interface: "eth0" },
      { address: "2001:db8::11", prefixLength: 64, interface: "eth0" },
      { address: "fe80::28e0:61ff:fe41:b609", prefixLength: 64, interface: "eth0" },
    ]);
  });

  it("reads the director's VIP alias eth0:1", () => {
    expect(parseIpAddr(fixture("director.ip-addr.json"))).toContainEqual({
      address: "198.18.0.100",
      prefixLength: 32,
      interface: "eth0",
      label: "eth0:1",
    });
  });

  it("reads routes of every table but the kernel's local one; main has no table name", () => {
    const v4 = parseIpRoute(fixture("realserver.ip4-route.json"));
    expect(v4).toEqual([
      { destination: "198.18.5.0/24", via: "198.18.0.3", interface: "eth0", table: "100" },
      { destination: "default", via: "198.18.0.2", interface: "eth0" },
      { destination: "198.18.0.0/24", interface: "eth0" },
      { destination: "198.18.0.100", interface: "lo" },
    ]);
    const v6 = parseIpRoute(fixture("realserver.ip6-route.json"), "inet6");
    expect(v6).toEqual([
      { destination: "2001:db8::/64", interface: "eth0" },
      { destination: "fe80::/64", interface: "eth0" },
    ]);
  });

  it("names an IPv6 default route ::/0, apart from the IPv4 default", () => {
    const text = JSON.stringify([{ dst: "default", gateway: "2001:db8::1", dev: "eth0", flags: [] }]);
    expect(parseIpRoute(text, "inet6")).toEqual([{ destination: "::/0", via: "2001:db8::1", interface: "eth0" }]);
  });

  it("reads links: up, carrier and MAC", () => {
    expect(parseIpLink(fixture("realserver.ip-link.json"))).toEqual([
      { name: "lo", up: true, lowerUp: true, linkType: "loopback" },
      { name: "eth0", up: true, lowerUp: true, linkType: "ether", mac: "2a:e0:61:41:b6:09" },
    ]);
  });

  it("treats empty output as nothing and rejects garbage with a clear error", () => {
    expect(parseIpAddr("")).toEqual([]);
    expect(parseIpRoute("[]")).toEqual([]);
    expect(() => parseIpAddr('Device "eth9" does not exist.')).toThrow(/cannot parse ip -j addr output/);
    expect(parseNftJson("")).toEqual([]);
  });
});
