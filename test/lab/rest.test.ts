import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lab, SERVER_NET, VIP } from "./lab.ts";
import { LabFleet, labClusterSpec } from "./lab-fleet.ts";

/**
 * The acceptance tests through the front doors: the server (REST and chat) with Redis on
 * the machine's loopback, the real agent programs in network namespaces (the nftables data plane
 * on the director, the linux host driver on the real servers), real HTTP from a client namespace.
 * Every host fact is read from the host itself (ip -j, /proc/sys, nft), not from what agents say.
 */

const CLUSTER = "lab";
const RS1 = `${SERVER_NET}.11`;
const RS2 = `${SERVER_NET}.12`;
const SPEC = labClusterSpec(CLUSTER, { rs1: 3, rs2: 1 });

const ARP_SYSCTLS = [
  "net.ipv4.conf.all.arp_ignore",
  "net.ipv4.conf.all.arp_announce",
  "net.ipv4.conf.lo.arp_ignore",
  "net.ipv4.conf.lo.arp_announce",
];
const SYSCTLS = ["net.ipv4.ip_forward", "net.ipv4.conf.all.send_redirects", ...ARP_SYSCTLS];

/** share of `name` in a burst, in percent */
const share = (counts: Record<string, number>, name: string) =>
  (100 * (counts[name] ?? 0)) / Object.values(counts).reduce((a, b) => a + b, 0);

let lab: Lab;
let fleet: LabFleet;
const figures: Record<string, unknown> = {};

/** What a host really has, read with hostops from outside its agent. */
async function snapshot(name: string) {
  const host = lab.linux(name);
  const [addresses, routes] = await Promise.all([host.addresses(), host.routes()]);
  const sysctls: Record<string, string | undefined> = {};
  for (const key of SYSCTLS) sysctls[key] = await host.readSysctl(key);
  const nft = (await lab.runner(name).run("nft", ["list", "tables"])).stdout;
  return { addresses, routes, sysctls, nft };
}
const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};

const weightPath = (address: string) => `/v1/clusters/${CLUSTER}/services/http/real-servers/${address}:80`;
const setWeight = (address: string, weight: number) => fleet.job("PATCH", weightPath(address), { weight });
const start = (host?: string) => fleet.job("POST", `/v1/clusters/${CLUSTER}/start`, host ? { host } : undefined);
const stop = (host?: string) => fleet.job("POST", `/v1/clusters/${CLUSTER}/stop`, host ? { host } : undefined);
const changesOf = (job: any, host: string): string[] =>
  job.result.hosts.find((h: { host: string }) => h.host === host)?.changes ?? [];

beforeAll(async () => {
  // @ts-expect-error plain ESM script without types
  const { buildAll } = await import("../../scripts/build.mjs");
  await buildAll({ quiet: true });
  const t0 = performance.now();
  lab = await Lab.build({ realServers: 2 });
  await Promise.all(lab.realServers.map((rs) => lab.startWebServer(rs.name)));
  for (const name of ["dir1", "rs1", "rs2"]) before[name] = await snapshot(name);
  fleet = await LabFleet.start(lab, [
    { name: "dir1", role: "director", driver: "nftables" },
    { name: "rs1", role: "realserver", driver: "linux" },
    { name: "rs2", role: "realserver", driver: "linux" },
  ]);
  figures.fleetUpMs = Math.round(performance.now() - t0);
});

afterAll(async () => {
  console.log(`lab REST figures: ${JSON.stringify(figures)}`);
  await lab?.teardown();
});

describe("the cluster driven through REST and chat, on real hosts in network namespaces", () => {
  it("the agents registered themselves and the server reaches them", async () => {
    const { status, body } = await fleet.api.get("/v1/agents");
    expect(status).toBe(200);
    expect(body.agents.map((a: any) => [a.host, a.role, a.driver, a.reachable])).toEqual([
      ["dir1", "director", "nftables", true],
      ["rs1", "real-server", "linux", true],
      ["rs2", "real-server", "linux", true],
    ]);
  });

  it("PUT the spec, POST start: realdr on the real servers, lvsdr and the service on the director", async () => {
    expect((await fleet.api.put(`/v1/clusters/${CLUSTER}`, SPEC)).status).toBe(202);
    const t0 = performance.now();
    const job = await start();
    figures.startMs = Math.round(performance.now() - t0);
    for (const rs of ["rs1", "rs2"])
      expect(changesOf(job, rs)).toEqual([
        `ip addr add ${VIP}/32 dev lo label lo:0`,
        `ip route add ${VIP} dev lo`,
        "sysctl -w net.ipv4.conf.lo.arp_ignore=1",
        "sysctl -w net.ipv4.conf.lo.arp_announce=2",
        "sysctl -w net.ipv4.conf.all.arp_ignore=1",
        "sysctl -w net.ipv4.conf.all.arp_announce=2",
      ]);
    expect(changesOf(job, "dir1")).toEqual([
      `ip addr add ${VIP}/32 dev eth0 label eth0:1`,
      `ip route add ${VIP} dev eth0`,
      `add-service TCP ${VIP}:80 wrr`,
      `add-destination TCP ${VIP}:80 -> ${RS1}:80 dr weight 3`,
      `add-destination TCP ${VIP}:80 -> ${RS2}:80 dr weight 1`,
    ]);
    // What the hosts really have now.
    expect((await snapshot("dir1")).addresses).toContainEqual({
      address: VIP,
      prefixLength: 32,
      interface: "eth0",
      label: "eth0:1",
    });
    for (const rs of ["rs1", "rs2"]) {
      const host = await snapshot(rs);
      expect(host.addresses).toContainEqual({ address: VIP, prefixLength: 32, interface: "lo", label: "lo:0" });
      expect(ARP_SYSCTLS.map((k) => host.sysctls[k])).toEqual(["1", "2", "1", "2"]);
    }
    // A second start changes nothing on any host.
    const again = await start();
    for (const host of ["dir1", "rs1", "rs2"]) expect(changesOf(again, host)).toEqual([]);
    const status = await fleet.api.get(`/v1/clusters/${CLUSTER}/status`);
    expect(status.body.hosts.map((h: any) => [h.host, h.roleState, h.agent.reachable])).toEqual([
      ["dir1", "running", true],
      ["rs1", "running", true],
      ["rs2", "running", true],
    ]);
  });

  it("ARP (arping from the client): only the director answers for the VIP while the real servers hold it on lo", async () => {
    expect(await lab.arpAnswers()).toEqual([lab.host("dir1").mac]);
  });

  it("400 HTTP requests from the client to the VIP are all answered, split 3:1 (±5 points)", async () => {
    const result = await lab.burst(400);
    figures.wrr31 = result.counts;
    expect(result.failures).toBe(0);
    expect(Math.abs(share(result.counts, "rs1") - 75)).toBeLessThanOrEqual(5);
    expect(Math.abs(share(result.counts, "rs2") - 25)).toBeLessThanOrEqual(5);
  });

  it("a weight changed through REST is followed: rs2 at 3 splits 400 requests 1:1 (±5 points)", async () => {
    const t0 = performance.now();
    const job = await setWeight(RS2, 3);
    figures.weightChangeMs = Math.round(performance.now() - t0);
    expect(changesOf(job, "dir1")).toEqual([`edit-destination TCP ${VIP}:80 -> ${RS2}:80 dr weight 3`]);
    const result = await lab.burst(400);
    figures.wrr33 = result.counts;
    expect(result.failures).toBe(0);
    expect(Math.abs(share(result.counts, "rs1") - 50)).toBeLessThanOrEqual(5);
  });

  it("weight 0 through REST: no new request reaches rs2, while its open connection is still answered there", async () => {
    const kept = await lab.keepConnection("rs2");
    try {
      expect(kept.first).toBe("rs2");
      await setWeight(RS2, 0);
      const result = await lab.burst(100);
      figures.drain = result.counts;
      expect(result).toMatchObject({ failures: 0, counts: { rs1: 100 } });
      expect(await kept.next()).toBe("rs2");
    } finally {
      await kept.close();
    }
    await setWeight(RS2, 1);
    const back = await lab.burst(40);
    expect(back).toMatchObject({ failures: 0, counts: { rs1: 30, rs2: 10 } });
  });

  it("doctor: a real server with arp_ignore reset to 0 is reported by GET …/doctor, chat doctor and status, with the fix", async () => {
    const healthy = await fleet.api.get(`/v1/clusters/${CLUSTER}/doctor`);
    expect(healthy.status).toBe(200);
    expect(healthy.body).toMatchObject({ cluster: CLUSTER, healthy: true, problemCount: 0 });
    expect(healthy.body.hosts.every((h: any) => h.checked)).toBe(true);

    await lab.linux("rs2").writeSysctl("net.ipv4.conf.all.arp_ignore", "0");
    try {
      // The real consequence: rs2 now answers ARP for the VIP too.
      expect(await lab.arpAnswers()).toEqual([lab.host("dir1").mac, lab.host("rs2").mac].sort());
      const t0 = performance.now();
      const report = await fleet.api.get(`/v1/clusters/${CLUSTER}/doctor`);
      figures.doctorMs = Math.round(performance.now() - t0);
      expect(report.body).toMatchObject({ healthy: false, problemCount: 1 });
      const byHost = Object.fromEntries(report.body.hosts.map((h: any) => [h.host, h.problems]));
      expect(byHost.dir1).toEqual([]);
      expect(byHost.rs1).toEqual([]);
      expect(byHost.rs2).toEqual([
        expect.objectContaining({
          code: "arp-ignore",
          severity: "error",
          subject: "net.ipv4.conf.all.arp_ignore",
          message: expect.stringContaining("net.ipv4.conf.all.arp_ignore is 0, needs 1"),
          fix: "sysctl -w net.ipv4.conf.all.arp_ignore=1",
        }),
      ]);
      const text = await fleet.api.request("GET", `/v1/clusters/${CLUSTER}/doctor?format=text`);
      expect(text.text).toContain("real server rs2 (running): 1 problem");
      expect(text.text).toContain("fix: sysctl -w net.ipv4.conf.all.arp_ignore=1");

      const chat = await fleet.chat("doctor");
      expect(chat.status).toBe(200);
      expect(chat.text).toContain("doctor lab: 1 problem");
      expect(chat.text).toContain("ERROR arp-ignore (net.ipv4.conf.all.arp_ignore)");
      expect(chat.text).toContain("fix: sysctl -w net.ipv4.conf.all.arp_ignore=1");
      expect((await fleet.chat(`doctor ${CLUSTER}`)).text).toContain("real server rs2 (running): 1 problem");

      const status = await fleet.api.request("GET", `/v1/clusters/${CLUSTER}/status?format=text`);
      expect(status.text).toContain("fix: sysctl -w net.ipv4.conf.all.arp_ignore=1");
    } finally {
      await lab.linux("rs2").writeSysctl("net.ipv4.conf.all.arp_ignore", "1");
    }
    expect(await lab.arpAnswers()).toEqual([lab.host("dir1").mac]);
    // While rs2 answered, the client may have learnt rs2's MAC for the VIP (the damage this mistake
    // does: clients bypass the director); forget it, as the entry's expiry would.
    await lab.flushClientNeighbours();
    expect((await fleet.api.get(`/v1/clusters/${CLUSTER}/doctor`)).body).toMatchObject({ healthy: true });
    expect((await fleet.chat("doctor")).text).toContain("doctor lab: every host is fit for its role");
  });

  it("stopping a real server through REST removes its VIP and puts its ARP settings back; start brings traffic back", async () => {
    const job = await stop("rs2");
    expect(changesOf(job, "rs2")).toHaveLength(6);
    const host = await snapshot("rs2");
    expect(host.addresses.filter((a) => a.address === VIP)).toEqual([]);
    expect(host.routes.filter((r) => r.destination === VIP)).toEqual([]);
    expect(host).toEqual(before.rs2);
    // The director still has the VIP; rs1 is untouched.
    expect((await snapshot("rs1")).addresses).toContainEqual(expect.objectContaining({ address: VIP }));
    await start("rs2");
    const result = await lab.burst(40);
    expect(result).toMatchObject({ failures: 0, counts: { rs1: 30, rs2: 10 } });
  });

  it("stopping the director through REST: its VIP and nftables tables go, the VIP no longer answers; start again and traffic flows", async () => {
    const job = await stop("dir1");
    expect(changesOf(job, "dir1")).toEqual([
      `delete-service TCP ${VIP}:80`,
      `ip route del ${VIP} dev eth0`,
      `ip addr del ${VIP}/32 dev eth0 label eth0:1`,
    ]);
    expect(await snapshot("dir1")).toEqual(before.dir1);
    expect(await lab.arpAnswers(VIP, 2)).toEqual([]);
    await lab.flushClientNeighbours();
    const down = await lab.burst(2, 2);
    expect(down.failures).toBe(2);
    const t0 = performance.now();
    await start();
    figures.restartMs = Math.round(performance.now() - t0);
    const up = await lab.burst(400);
    figures.afterRestart = up.counts;
    expect(up.failures).toBe(0);
    expect(Math.abs(share(up.counts, "rs1") - 75)).toBeLessThanOrEqual(5);
  });

  it("stopping the whole cluster leaves every host exactly as it was before lvsfleet started", async () => {
    await stop();
    for (const name of ["dir1", "rs1", "rs2"]) expect(await snapshot(name)).toEqual(before[name]);
  });
});
