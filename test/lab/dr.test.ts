import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { gatherFacts } from "@lvsfleet/agent-runtime";
import type { IpvsTable, RoleConfig } from "@lvsfleet/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realServerDoctor } from "../../agents/realserver/src/doctor.ts";
import { Lab, type LabAgent, SERVER_NET, VIP } from "./lab.ts";

/**
 * lvsdr and realdr on real Linux: the real agent processes, driven over gRPC, in network
 * namespaces, with the nftables data plane carrying real HTTP traffic from a client.
 */

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;
const CLUSTER = "lab";

const destination = (address: string, weight: number, forwarding: "dr" | "nat" = "dr") => ({
  address,
  port: 80,
  forwarding,
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
  activeConns: 0,
  inactConns: 0,
  persistConns: 0,
});

function table(
  weights: [number, number],
  options: { scheduler?: "wrr" | "sh"; forwarding?: "dr" | "nat" } = {},
): IpvsTable {
  return {
    services: [
      {
        protocol: "tcp",
        address: VIP,
        port: 80,
        family: "inet",
        scheduler: options.scheduler ?? "wrr",
        schedulerFlags: [],
        destinations: [
          destination(`${SERVER_NET}.11`, weights[0], options.forwarding),
          destination(`${SERVER_NET}.12`, weights[1], options.forwarding),
        ],
      },
    ],
  };
}

const directorConfig = (desired: IpvsTable, generation: number): RoleConfig => ({
  kind: "director",
  director: { vips: [VIP], interface: "eth0", desired, generation },
});
const realServerDr: RoleConfig = { kind: "real-server", realServer: { vips: [{ address: VIP, forwarding: ["dr"] }] } };
const realServerNat: RoleConfig = {
  kind: "real-server",
  realServer: { vips: [{ address: VIP, forwarding: ["nat"] }], natGateway: `${SERVER_NET}.2` },
};

const SYSCTLS = [
  "net.ipv4.ip_forward",
  "net.ipv4.conf.all.send_redirects",
  "net.ipv4.conf.eth0.send_redirects",
  "net.ipv4.conf.all.arp_ignore",
  "net.ipv4.conf.all.arp_announce",
  "net.ipv4.conf.lo.arp_ignore",
  "net.ipv4.conf.lo.arp_announce",
];

/** share of `name` in a burst, in percent */
const share = (counts: Record<string, number>, name: string) =>
  (100 * (counts[name] ?? 0)) / Object.values(counts).reduce((a, b) => a + b, 0);

let lab: Lab;
const agents = new Map<string, LabAgent>();
const agent = (name: string) => {
  const a = agents.get(name);
  if (!a) throw new Error(`no agent on ${name}`);
  return a.client;
};
const figures: Record<string, unknown> = {};

async function snapshot(name: string) {
  const host = lab.linux(name);
  const [addresses, routes] = await Promise.all([host.addresses(), host.routes()]);
  const sysctls: Record<string, string | undefined> = {};
  for (const key of SYSCTLS) sysctls[key] = await host.readSysctl(key);
  const nft = (await lab.runner(name).run("nft", ["list", "tables"])).stdout;
  return { addresses, routes, sysctls, nft };
}

beforeAll(async () => {
  await run("node", ["scripts/build.mjs"], { cwd: ROOT });
  const t0 = performance.now();
  lab = await Lab.build({ realServers: 2 });
  figures.labBuildMs = Math.round(performance.now() - t0);
  const t1 = performance.now();
  await Promise.all(lab.realServers.map((rs) => lab.startWebServer(rs.name)));
  const started = await Promise.all([
    lab.startAgent("dir1", "director", "nftables"),
    lab.startAgent("dir2", "director", "nftables"),
    lab.startAgent("rs1", "realserver", "linux"),
    lab.startAgent("rs2", "realserver", "linux"),
  ]);
  for (const a of started) agents.set(a.host.name, a);
  figures.processesStartMs = Math.round(performance.now() - t1);
});

afterAll(async () => {
  console.log(`lab figures: ${JSON.stringify(figures)}`);
  for (const a of agents.values()) await a.stop().catch(() => undefined);
  await lab?.teardown();
});

describe("LVS-DR with the nftables data plane, real agents in network namespaces", () => {
  const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};

  it("serves health and says which driver it runs", async () => {
    expect(await agent("dir1").getInfo()).toMatchObject({ host: "dir1", role: "director", driver: "nftables" });
    expect(await agent("rs1").getInfo()).toMatchObject({ host: "rs1", role: "real-server", driver: "linux" });
    for (const name of ["dir1", "rs1", "rs2"]) before[name] = await snapshot(name);
  });

  it("realdr start puts the VIP on lo:0 and suppresses ARP; a second start changes nothing", async () => {
    for (const rs of ["rs1", "rs2"]) {
      const first = await agent(rs).start(CLUSTER, realServerDr);
      expect(first.changes.map((c) => c.description)).toEqual([
        `ip addr add ${VIP}/32 dev lo label lo:0`,
        `ip route add ${VIP} dev lo`,
        "sysctl -w net.ipv4.conf.lo.arp_ignore=1",
        "sysctl -w net.ipv4.conf.lo.arp_announce=2",
        "sysctl -w net.ipv4.conf.all.arp_ignore=1",
        "sysctl -w net.ipv4.conf.all.arp_announce=2",
      ]);
      expect((await agent(rs).start(CLUSTER, realServerDr)).changes).toEqual([]);
      const host = await snapshot(rs);
      expect(host.addresses).toContainEqual({ address: VIP, prefixLength: 32, interface: "lo", label: "lo:0" });
      expect(host.sysctls["net.ipv4.conf.all.arp_ignore"]).toBe("1");
    }
  });

  it("lvsdr start puts the VIP on eth0:1 and installs the service; a second start changes nothing", async () => {
    const first = await agent("dir1").start(CLUSTER, directorConfig(table([3, 1]), 1));
    expect(first.changes.map((c) => c.description)).toEqual([
      `ip addr add ${VIP}/32 dev eth0 label eth0:1`,
      `ip route add ${VIP} dev eth0`,
      `add-service TCP ${VIP}:80 wrr`,
      `add-destination TCP ${VIP}:80 -> ${SERVER_NET}.11:80 dr weight 3`,
      `add-destination TCP ${VIP}:80 -> ${SERVER_NET}.12:80 dr weight 1`,
    ]);
    expect(first.state.table.services[0]?.destinations.map((d) => d.weight)).toEqual([3, 1]);
    expect((await agent("dir1").start(CLUSTER, directorConfig(table([3, 1]), 1))).changes).toEqual([]);
    expect((await snapshot("dir1")).addresses).toContainEqual({
      address: VIP,
      prefixLength: 32,
      interface: "eth0",
      label: "eth0:1",
    });
  });

  it("ARP: only the director answers for the VIP while the real servers hold it on lo", async () => {
    expect(await lab.arpAnswers()).toEqual([lab.host("dir1").mac]);
  });

  it("wrr 3:1: 400 new connections split 3:1 (±5 points), none fails", async () => {
    const result = await lab.burst(400);
    figures.wrr31 = result.counts;
    expect(result.failures).toBe(0);
    expect(Math.abs(share(result.counts, "rs1") - 75)).toBeLessThanOrEqual(5);
    expect(Math.abs(share(result.counts, "rs2") - 25)).toBeLessThanOrEqual(5);
    const load = await lab.burst(2000, 8);
    expect(load.failures).toBe(0);
    figures.requestsPerSecond = load.rps;
    // The same client straight to one real server through the router, for comparison.
    figures.directRequestsPerSecond = (await lab.burst(2000, 8, `http://${SERVER_NET}.11/`)).rps;
    figures.loadSplit = load.counts;
  });

  it("a weight change is followed: 1:1 splits 400 connections evenly (±5 points)", async () => {
    const t0 = performance.now();
    const applied = await agent("dir1").apply({ cluster: CLUSTER, generation: 2, desired: table([1, 1]) });
    figures.weightChangeApplyMs = Math.round(performance.now() - t0);
    expect(applied.operations.map((o) => o.op)).toEqual(["edit-destination"]);
    const result = await lab.burst(400);
    figures.wrr11 = result.counts;
    expect(result.failures).toBe(0);
    expect(Math.abs(share(result.counts, "rs1") - 50)).toBeLessThanOrEqual(5);
  });

  it("weight 0 drains: no new connection reaches the server, its open connection still completes there", async () => {
    const kept = await lab.keepConnection("rs2");
    try {
      expect(kept.first).toBe("rs2");
      await agent("dir1").apply({ cluster: CLUSTER, generation: 3, desired: table([1, 0]) });
      const result = await lab.burst(100);
      figures.drain = result.counts;
      expect(result).toMatchObject({ failures: 0, counts: { rs1: 100 } });
      const state = await agent("dir1").getState();
      const rs2 = state.table.services[0]?.destinations.find((d) => d.address === `${SERVER_NET}.12`);
      expect(rs2).toMatchObject({ weight: 0 });
      expect(rs2?.activeConns).toBeGreaterThanOrEqual(1);
      expect(await kept.next()).toBe("rs2");
    } finally {
      await kept.close();
    }
    await agent("dir1").apply({ cluster: CLUSTER, generation: 4, desired: table([3, 1]) });
  });

  it("doctor: a real server with arp_ignore reset to 0 answers ARP for the VIP, and the doctor says so with the fix", async () => {
    const rs2 = lab.linux("rs2");
    await rs2.writeSysctl("net.ipv4.conf.all.arp_ignore", "0");
    try {
      expect(await lab.arpAnswers()).toEqual([lab.host("dir1").mac, lab.host("rs2").mac].sort());
      const facts = await gatherFacts(rs2, undefined, realServerDoctor.sysctls(realServerDr));
      const problems = realServerDoctor.check({ facts, config: realServerDr, running: true });
      expect(problems).toEqual([
        expect.objectContaining({
          code: "arp-ignore",
          subject: "net.ipv4.conf.all.arp_ignore",
          fix: "sysctl -w net.ipv4.conf.all.arp_ignore=1",
        }),
      ]);
    } finally {
      await rs2.writeSysctl("net.ipv4.conf.all.arp_ignore", "1");
    }
    expect(await lab.arpAnswers()).toEqual([lab.host("dir1").mac]);
  });

  it("stopping a real server removes its VIP and restores its ARP settings; starting again brings traffic back", async () => {
    const stopped = await agent("rs2").stop(CLUSTER);
    expect(stopped.changes.map((c) => c.kind)).toEqual([
      "set-sysctl",
      "set-sysctl",
      "set-sysctl",
      "set-sysctl",
      "remove-route",
      "remove-address",
    ]);
    expect(await snapshot("rs2")).toEqual(before.rs2);
    expect((await agent("rs2").stop(CLUSTER)).changes).toEqual([]);
    await agent("rs2").start(CLUSTER, realServerDr);
    const result = await lab.burst(40);
    expect(result).toMatchObject({ failures: 0, counts: { rs1: 30, rs2: 10 } });
  });

  it("stopping the director removes the VIP and its nftables tables (the VIP stops answering); starting again restores traffic", async () => {
    const stopped = await agent("dir1").stop(CLUSTER);
    expect(stopped.changes.map((c) => c.kind)).toEqual(["delete-service", "remove-route", "remove-address"]);
    expect(await snapshot("dir1")).toEqual(before.dir1);
    expect((await agent("dir1").stop(CLUSTER)).changes).toEqual([]);
    expect(await lab.arpAnswers(VIP, 2)).toEqual([]);
    await lab.flushClientNeighbours();
    const down = await lab.burst(2, 2);
    expect(down.failures).toBe(2);
    await agent("dir1").start(CLUSTER, directorConfig(table([3, 1]), 5));
    const up = await lab.burst(40);
    expect(up).toMatchObject({ failures: 0, counts: { rs1: 30, rs2: 10 } });
  });

  it("failover with sh: the second director sends a connection it never saw to the same real server", async () => {
    await agent("dir1").apply({ cluster: CLUSTER, generation: 6, desired: table([1, 1], { scheduler: "sh" }) });
    const kept = await lab.keepConnection();
    try {
      const t0 = performance.now();
      await agent("dir1").stop(CLUSTER);
      await agent("dir2").start(CLUSTER, directorConfig(table([1, 1], { scheduler: "sh" }), 6));
      await lab.flushClientNeighbours();
      expect(await kept.next()).toBe(kept.first);
      figures.failoverMs = Math.round(performance.now() - t0);
    } finally {
      await kept.close();
    }
    await agent("dir2").stop(CLUSTER);
  });

  it("NAT: the real servers route replies via the director, 3:1 holds, and stop puts every route and sysctl back", async () => {
    for (const rs of ["rs1", "rs2"]) await agent(rs).stop(CLUSTER);
    // The VIP was last on dir2: the client must learn it moved (keepalived sends a gratuitous ARP).
    await lab.flushClientNeighbours();
    const started = await agent("dir1").start(CLUSTER, directorConfig(table([3, 1], { forwarding: "nat" }), 7));
    expect(started.changes.map((c) => c.description)).toEqual(
      expect.arrayContaining(["sysctl -w net.ipv4.ip_forward=1", "sysctl -w net.ipv4.conf.all.send_redirects=0"]),
    );
    for (const rs of ["rs1", "rs2"]) {
      const r = await agent(rs).start(CLUSTER, realServerNat);
      expect(r.changes.map((c) => c.description)).toEqual([`ip route replace default via ${SERVER_NET}.2`]);
    }
    const result = await lab.burst(400);
    figures.nat31 = result.counts;
    expect(result.failures).toBe(0);
    expect(Math.abs(share(result.counts, "rs1") - 75)).toBeLessThanOrEqual(5);
    for (const rs of ["rs1", "rs2"]) {
      await agent(rs).stop(CLUSTER);
      expect(await snapshot(rs)).toEqual(before[rs]);
    }
    await agent("dir1").stop(CLUSTER);
    expect(await snapshot("dir1")).toEqual(before.dir1);
  });
});
