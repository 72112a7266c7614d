import { type IpvsDestination, type IpvsService, type IpvsTable, serviceKey } from "@lvsfleet/model";
import { plan } from "@lvsfleet/planner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NftablesDataPlane, type NftProgress } from "../../agents/director/src/drivers/nftables.ts";
import { Lab } from "./lab.ts";

/**
 * Every form the nftables data plane renders (IPv4 and IPv6, TCP/UDP/SCTP, DR and NAT, every
 * scheduler it supports, persistence with netmasks) applied to the real kernel in a director
 * namespace, read back, re-planned (nothing left to do), changed and removed.
 */

const d = (address: string, weight: number, forwarding: "dr" | "nat", port = 80): IpvsDestination => ({
  address,
  port,
  forwarding,
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
  activeConns: 0,
  inactConns: 0,
  persistConns: 0,
});

const service = (
  s: Partial<IpvsService> & Pick<IpvsService, "protocol" | "address" | "port" | "destinations">,
): IpvsService => ({
  family: s.address?.includes(":") ? "inet6" : "inet",
  scheduler: "wrr",
  schedulerFlags: [],
  ...s,
});

const everything: IpvsTable = {
  services: [
    service({
      protocol: "tcp",
      address: "198.18.1.100",
      port: 80,
      destinations: [d("198.18.0.11", 3, "dr"), d("198.18.0.12", 1, "dr")],
    }),
    service({
      protocol: "udp",
      address: "198.18.1.100",
      port: 53,
      scheduler: "sh",
      schedulerFlags: ["sh-port"],
      destinations: [d("198.18.0.11", 1, "dr", 53), d("198.18.0.12", 0, "dr", 53)],
    }),
    service({
      protocol: "sctp",
      address: "198.18.1.100",
      port: 9000,
      scheduler: "dh",
      destinations: [d("198.18.0.11", 2, "dr", 9000)],
    }),
    service({
      protocol: "tcp",
      address: "198.18.1.101",
      port: 443,
      scheduler: "rr",
      persistence: { timeout: 300, netmask: 24 },
      destinations: [d("198.18.0.11", 1, "nat", 8443), d("198.18.0.12", 1, "nat", 8443)],
    }),
    service({
      protocol: "tcp",
      address: "2001:db8::29",
      port: 443,
      persistence: { timeout: 60, netmask: 64 },
      destinations: [d("2001:db8::11", 5, "dr", 443), d("2001:db8::12", 1, "dr", 443)],
    }),
    service({
      protocol: "udp",
      address: "2001:db8::53",
      port: 53,
      scheduler: "sh",
      destinations: [d("2001:db8::11", 1, "nat", 5353)],
    }),
    service({ protocol: "tcp", address: "198.18.1.102", port: 25, destinations: [] }),
  ],
};

let lab: Lab;
let driver: NftablesDataPlane;
const managed = { isManaged: () => true };

const configOf = (table: IpvsTable) =>
  table.services
    .map(({ destinations, ...s }) => ({
      ...s,
      destinations: destinations.map(({ activeConns, inactConns, persistConns, ...rest }) => rest),
    }))
    .sort((a, b) => `${a.protocol}${a.address}${a.port}`.localeCompare(`${b.protocol}${b.address}${b.port}`));

beforeAll(async () => {
  lab = await Lab.build({ realServers: 0 });
  driver = new NftablesDataPlane({ device: "eth0", runner: lab.runner("dir1") });
  await driver.init();
});
afterAll(async () => {
  await lab?.teardown();
});

describe("nftables data plane on the real kernel", () => {
  it("applies every kind of service in one transaction and reads the same table back", async () => {
    const operations = plan(everything, await driver.observe(), managed);
    await driver.execute(operations);
    const back = await driver.observe();
    expect(configOf(back)).toEqual(configOf(everything));
    expect(plan(everything, back, managed)).toEqual([]);
  });

  it("reads named services back alone (their own chains and their service map), as the full read does", async () => {
    const some = everything.services.slice(0, 4);
    const read = await driver.observeServices([...some.map(serviceKey), "tcp|198.18.9.9|1"]);
    expect(configOf(read)).toEqual(configOf({ services: some }));
  });

  it("changes weights, schedulers and persistence of live services, and adds and removes real servers", async () => {
    const next = structuredClone(everything);
    const [http, dns, , nat, v6] = next.services;
    http!.destinations[1]!.weight = 0;
    dns!.scheduler = "dh";
    dns!.schedulerFlags = [];
    nat!.persistence = { timeout: 30, netmask: 32 };
    nat!.destinations.push(d("198.18.0.13", 2, "nat", 8443));
    v6!.destinations.shift();
    next.services.pop();
    await driver.execute(plan(next, await driver.observe(), managed));
    const back = await driver.observe();
    expect(configOf(back)).toEqual(configOf(next));
    expect(plan(next, back, managed)).toEqual([]);
  });

  it("moves a service from DR to NAT", async () => {
    const next = structuredClone(await driver.observe());
    const http = next.services.find((s) => s.port === 80);
    for (const destination of http?.destinations ?? []) destination.forwarding = "nat";
    await driver.execute(plan(next, await driver.observe(), managed));
    expect(configOf(await driver.observe())).toEqual(configOf(next));
  });

  it("refuses what it cannot do before touching the kernel, and removing everything leaves no table", async () => {
    const before = await driver.observe();
    const wlc = structuredClone(before);
    wlc.services[0]!.scheduler = "wlc";
    await expect(driver.execute(plan(wlc, before, managed))).rejects.toThrow(/scheduler wlc is not supported/);
    expect(await driver.observe()).toEqual(before);
    await driver.execute(plan({ services: [] }, before, managed));
    expect((await lab.runner("dir1").run("nft", ["list", "tables"])).stdout).toBe("");
  });

  it("a first install split into transactions of two services each reads back whole, with progress", async () => {
    const split = new NftablesDataPlane({ device: "eth0", runner: lab.runner("dir1"), servicesPerTransaction: 2 });
    const progress: NftProgress[] = [];
    await split.execute(plan(everything, await split.observe(), managed), { onProgress: (p) => progress.push(p) });
    expect(progress.map((p) => `${p.transactions}/${p.of}:${p.services}`)).toEqual([
      "1/4:2",
      "2/4:4",
      "3/4:6",
      "4/4:7",
    ]);
    const back = await split.observe();
    expect(configOf(back)).toEqual(configOf(everything));
    expect(plan(everything, back, managed)).toEqual([]);
    await split.execute(plan({ services: [] }, back, managed));
    expect((await lab.runner("dir1").run("nft", ["list", "tables"])).stdout).toBe("");
  });
});
