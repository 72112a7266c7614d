import type { IpvsDestinationConfig, IpvsServiceConfig, Operation } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { renderConnections, renderList, Simulator } from "../src/index.ts";

const svc = (extra: Partial<IpvsServiceConfig> = {}): IpvsServiceConfig => ({
  protocol: "tcp",
  address: "198.18.0.100",
  port: 80,
  family: "inet",
  scheduler: "wrr",
  schedulerFlags: [],
  ...extra,
});
const rs = (n: number, weight = 1, extra: Partial<IpvsDestinationConfig> = {}): IpvsDestinationConfig => ({
  address: `198.18.0.${n}`,
  port: 80,
  forwarding: "dr",
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...extra,
});
const setup = (service: IpvsServiceConfig, ...dests: IpvsDestinationConfig[]): Operation[] => [
  { op: "add-service", service },
  ...dests.map((destination): Operation => ({ op: "add-destination", service, destination })),
];

let port = 10000;
function connect(
  sim: Simulator,
  client = "198.18.9.1",
  extra: { protocol?: "tcp" | "udp"; port?: number; address?: string } = {},
) {
  const r = sim.openConnection({
    client,
    clientPort: port++,
    address: extra.address ?? "198.18.0.100",
    port: extra.port ?? 80,
    ...(extra.protocol ? { protocol: extra.protocol } : {}),
  });
  if (r.ok) sim.establish(r.id);
  return r;
}
const to = (r: ReturnType<typeof connect>) => (r.ok ? r.destination.address : r.reason);
const counts = (sim: Simulator) =>
  Object.fromEntries(sim.table().services[0]!.destinations.map((d) => [d.address, [d.activeConns, d.inactConns]]));

describe("Simulator: what the kernel does", () => {
  it("wrr: the list is newest first, so the guide's A=3 then B=1 gives B, A, A, A, B, A, A, A", () => {
    const sim = new Simulator();
    sim.applyOperations(setup(svc(), rs(20, 3), rs(31, 1)));
    expect(Array.from({ length: 8 }, () => to(connect(sim)))).toEqual(
      ["31", "20", "20", "20", "31", "20", "20", "20"].map((n) => `198.18.0.${n}`),
    );
  });

  it("weight 0: no new connections; the existing ones stay until they end", () => {
    const sim = new Simulator();
    const s = svc({ scheduler: "rr" });
    sim.applyOperations(setup(s, rs(1), rs(2)));
    const onTwo = [connect(sim), connect(sim)].find((r) => r.ok && r.destination.address === "198.18.0.2");
    sim.applyOperations([{ op: "edit-destination", service: s, destination: rs(2, 0) }]);
    expect(Array.from({ length: 4 }, () => to(connect(sim)))).toEqual(Array(4).fill("198.18.0.1"));
    expect(counts(sim)["198.18.0.2"]).toEqual([1, 0]);
    if (onTwo?.ok) sim.closeConnection(onTwo.id);
    expect(counts(sim)["198.18.0.2"]).toEqual([0, 1]); // FIN_WAIT, inactive
    sim.tick(120_000);
    expect(counts(sim)["198.18.0.2"]).toEqual([0, 0]);
  });

  it("every server at weight 0 or overloaded: no destination available", () => {
    const sim = new Simulator();
    sim.applyOperations(setup(svc({ scheduler: "wlc" }), rs(1, 0), rs(2, 1, { upperThreshold: 1 })));
    expect(to(connect(sim))).toBe("198.18.0.2");
    expect(to(connect(sim))).toBe("no destination available");
  });

  it("thresholds: overloaded at the upper threshold (active + inactive), back under 3/4 of it or under the lower one", () => {
    const sim = new Simulator();
    sim.applyOperations(setup(svc({ scheduler: "rr" }), rs(1, 1, { upperThreshold: 4 }), rs(2, 1)));
    const ids = Array.from({ length: 8 }, () => connect(sim)).flatMap((r) =>
      r.ok && r.destination.address === "198.18.0.1" ? [r.id] : [],
    );
    expect(ids).toHaveLength(4);
    expect(to(connect(sim))).toBe("198.18.0.2");
    expect(to(connect(sim))).toBe("198.18.0.2"); // still overloaded
    for (const id of ids.slice(0, 2)) sim.closeConnection(id, "reset");
    sim.tick(10_000); // CLOSE lasts 10 s; then 2 connections left: 2*4 < 4*3, no longer overloaded
    expect(to(connect(sim))).toBe("198.18.0.1");
  });

  it("timeouts: ipvsadm --set changes ESTABLISHED and FIN_WAIT; NAT ends in TIME_WAIT, DR in FIN_WAIT; UDP is InActConn", () => {
    const sim = new Simulator();
    sim.setTimeouts({ tcp: 60, tcpfin: 30, udp: 0 });
    expect(sim.timeouts()).toEqual({ tcp: 60, tcpfin: 30, udp: 300 });
    sim.applyOperations(setup(svc({ scheduler: "rr" }), rs(1)));
    sim.applyOperations(setup(svc({ scheduler: "rr", port: 8080 }), rs(2, 1, { forwarding: "nat", port: 80 })));
    sim.applyOperations(setup(svc({ scheduler: "rr", protocol: "udp", port: 53 }), rs(3, 1, { port: 53 })));
    const dr = connect(sim);
    const nat = connect(sim, "198.18.9.1", { port: 8080 });
    connect(sim, "198.18.9.1", { port: 53, protocol: "udp" });
    const lines = () => renderConnections(sim.connections());
    expect(lines()).toContain("TCP 01:00  ESTABLISHED 198.18.9.1:");
    expect(lines()).toMatch(/UDP 05:00 {2}UDP {9}198\.18\.9\.1:\d+ +198\.18\.0\.100:53 +198\.18\.0\.3:53\n/);
    if (dr.ok) sim.closeConnection(dr.id);
    if (nat.ok) sim.closeConnection(nat.id);
    expect(lines()).toMatch(/TCP 00:30 {2}FIN_WAIT .* 198\.18\.0\.1:80\n/);
    expect(lines()).toMatch(/TCP 02:00 {2}TIME_WAIT .* 198\.18\.0\.2:80\n/);
    expect(sim.table().services[2]!.destinations[0]).toMatchObject({ activeConns: 0, inactConns: 1 });
    sim.tick(30_000);
    expect(sim.connections().map((c) => c.state)).toEqual(["TIME_WAIT", "UDP"]);
  });

  it("persistence: one template per client network (-M), kept while it controls connections, then 60 s more", () => {
    const sim = new Simulator();
    sim.applyOperations(setup(svc({ scheduler: "rr", persistence: { timeout: 30, netmask: 24 } }), rs(1), rs(2)));
    const a = connect(sim, "198.18.9.1");
    expect(to(connect(sim, "198.18.9.77"))).toBe(to(a));
    expect(to(connect(sim, "198.18.10.1"))).not.toBe(to(a));
    const template = () => sim.connections().find((c) => c.template && c.client === "198.18.9.0");
    expect(template()).toMatchObject({ state: "ASSURED", clientPort: 0, virtualPort: 80, destinationPort: 80 });
    sim.tick(30_000); // the connections are still open: the template waits 60 s more each time
    expect(template()?.expiresIn).toBe(60);
    expect(persisted(sim)).toBe(2);
  });

  it("a quiescent server keeps its persistent clients unless expire_quiescent_template is set", () => {
    const sim = new Simulator();
    const s = svc({ scheduler: "rr", persistence: { timeout: 300, netmask: 32 } });
    sim.applyOperations(setup(s, rs(1), rs(2)));
    const home = to(connect(sim, "198.18.9.1"));
    const n = home === "198.18.0.1" ? 1 : 2;
    sim.applyOperations([{ op: "edit-destination", service: s, destination: rs(n, 0) }]);
    expect(to(connect(sim, "198.18.9.1"))).toBe(home);
    sim.sysctls.expireQuiescentTemplate = true;
    expect(to(connect(sim, "198.18.9.1"))).not.toBe(home);
    // the old template is invalidated in place: ports 65535, found by nobody, until its timer
    expect(renderConnections(sim.connections())).toMatch(
      /IP |TCP 0\d:\d\d {2}ASSURED {5}198\.18\.9\.1:0 +198\.18\.0\.100:65535 198\.18\.0\.\d:65535\n/,
    );
  });

  it("a removed server: its connections stay, packets to them are dropped; expire_nodest_conn ends them", () => {
    const sim = new Simulator({ sysctls: { expireNodestConn: false } });
    const s = svc({ scheduler: "rr" });
    sim.applyOperations(setup(s, rs(1)));
    const r = connect(sim);
    sim.applyOperations([{ op: "delete-destination", service: s, destination: rs(1) }]);
    expect(sim.destinationLoad(s, rs(1))).toEqual({ activeConns: 1, inactConns: 0, persistConns: 0 });
    expect(r.ok && sim.transfer(r.id, { inPackets: 1, inBytes: 100 })).toBe(false);
    expect(sim.connectionCount()).toBe(1);
    sim.sysctls.expireNodestConn = true;
    expect(r.ok && sim.transfer(r.id, { inPackets: 1, inBytes: 100 })).toBe(false);
    expect(sim.connectionCount()).toBe(0);
    expect(sim.destinationLoad(s, rs(1))).toEqual({ activeConns: 0, inactConns: 0, persistConns: 0 });
  });

  it("fwmark persistence: templates are IP, with the mark as their virtual address", () => {
    const sim = new Simulator();
    const s = svc({
      protocol: "fwmark",
      address: undefined,
      port: undefined,
      fwmark: 7,
      persistence: { timeout: 60, netmask: 32 },
    });
    sim.applyOperations(setup(s, rs(1, 1, { port: 0 })));
    const r = sim.openConnection({
      client: "198.18.9.1",
      clientPort: 5000,
      address: "198.18.0.100",
      port: 443,
      fwmark: 7,
    });
    expect(r).toMatchObject({ ok: true, destination: { address: "198.18.0.1", port: 443 } });
    expect(renderConnections(sim.connections())).toContain(
      "IP  01:00  NONE        198.18.9.1:0       0.0.0.7:0          198.18.0.1:0\n",
    );
  });

  it("port 0 without persistence refuses; one-packet UDP counts the connection and keeps none", () => {
    const sim = new Simulator();
    sim.applyOperations(setup(svc({ scheduler: "rr", port: 0, persistence: undefined }), rs(1, 1, { port: 0 })));
    expect(to(connect(sim, "198.18.9.1", { port: 22 }))).toBe("port zero only supported in persistent services");
    const udp = svc({ protocol: "udp", port: 53, scheduler: "rr", onePacket: true });
    sim.applyOperations(setup(udp, rs(2, 1, { port: 53 })));
    expect(to(connect(sim, "198.18.9.1", { port: 53, protocol: "udp" }))).toBe("198.18.0.2");
    expect(sim.connectionCount()).toBe(0);
    expect(sim.table().services[1]!.stats?.conns).toBe(1);
  });

  it("counters and rates as ip_vs_est computes them: 10 connections/s settles at CPS 10", () => {
    const sim = new Simulator();
    sim.applyOperations(setup(svc({ scheduler: "rr" }), rs(1, 1, { forwarding: "nat" })));
    for (let i = 0; i < 600; i++) {
      const r = connect(sim, `198.18.9.${i % 200}`);
      if (r.ok) sim.transfer(r.id, { inPackets: 4, inBytes: 400, outPackets: 6, outBytes: 6000 });
      sim.tick(100);
    }
    const [service] = sim.table().services;
    expect(service!.stats).toEqual({
      conns: 600,
      inPkts: 600 * 6,
      outPkts: 600 * 7,
      inBytes: 600 * 512,
      outBytes: 600 * 6060,
    });
    // the moving averages (weight 1/4 every 2 s, rounded down) settle just under the true rates
    const rates = service!.rates!;
    expect([rates.cps, rates.inPps, rates.outPps]).toEqual([10, 60, 70]);
    expect(rates.inBps).toBeGreaterThan(5120 * 0.995);
    expect(rates.inBps).toBeLessThanOrEqual(5120);
    expect(rates.outBps).toBeGreaterThan(60600 * 0.995);
    expect(renderList(sim.table(), { format: "rate" })).toMatch(
      /\nTCP {2}198\.18\.0\.100:80 {20}10 {7}60 {7}70 {5}51\d\d {4}60\d\d\d\n/,
    );
  });
});

function persisted(sim: Simulator): number {
  return sim.table().services[0]!.destinations.reduce((n, d) => n + d.persistConns, 0);
}
