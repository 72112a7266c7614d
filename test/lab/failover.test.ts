import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AddressWatch,
  alive,
  keepalivedPids,
  neighbourMac,
  overlapMs,
  Traffic,
  until,
  webhookCapture,
} from "./failover-lab.ts";
import { Lab, SERVER_NET, VIP } from "./lab.ts";
import { LabFleet } from "./lab-fleet.ts";

/**
 * The guide's fail-over acceptance tests, for real: the server (REST, chat, webhook) with Redis on
 * loopback, the agents in namespaces (nftables data plane, real keepalived in VRRP-only mode, real
 * TCP health checks), and a client sending a request every 20 ms on a new connection throughout.
 * Times are measured from the event (a web server killed, keepalived killed, a link cut) to the
 * moment traffic is right again, and printed at the end.
 */

const CLUSTER = "lab";
const RS1 = `${SERVER_NET}.11`;
const PROGRAMS = new URL("./programs/", import.meta.url).pathname;
const FAST_CHECK = { type: "tcp", delayLoop: 0.1, connectTimeout: 0.1, retry: 0, warmup: 0 };
const VRRP = {
  name: "VI_1",
  virtualRouterId: 51,
  vips: [VIP],
  advertInt: 0.1,
  version: 3,
  garp: { repeat: 3, delay: 1 },
};
/** keepalived's master-down interval at advert_int 0.1: 3 adverts and the skew. */
const MASTER_DOWN_MS = 3 * 100 + Math.round(((256 - 90) * 100) / 256);

const spec = (vrrp: Record<string, unknown> = {}, roles: ["master" | "backup", "backup"] = ["master", "backup"]) => ({
  name: CLUSTER,
  vips: [VIP],
  directors: [
    { host: "dir1", address: `${SERVER_NET}.2`, role: roles[0], priority: 100, interface: "eth0" },
    { host: "dir2", address: `${SERVER_NET}.3`, role: roles[1], priority: 90, interface: "eth0" },
  ],
  services: [
    {
      name: "http",
      protocol: "tcp",
      address: VIP,
      port: 80,
      scheduler: "wrr",
      forwarding: "dr",
      realServers: [
        { address: RS1, port: 80, weight: 3, host: "rs1", healthChecks: [FAST_CHECK] },
        { address: `${SERVER_NET}.12`, port: 80, weight: 1, host: "rs2", healthChecks: [FAST_CHECK] },
      ],
    },
  ],
  vrrp: { instances: [{ ...VRRP, ...vrrp }] },
});

let lab: Lab;
let fleet: LabFleet;
let hook: Awaited<ReturnType<typeof webhookCapture>>;
let traffic: Traffic;
let web: Map<string, ChildProcess>;
const watch: Record<string, AddressWatch> = {};
const figures: Record<string, string> = {};
const stateDir = (name: string) => join(lab.dir, "agents", name);

async function status(): Promise<any> {
  const { status, body } = await fleet.api.get(`/v1/clusters/${CLUSTER}/status`);
  if (status !== 200) throw new Error(`status: ${status}`);
  return body;
}
const director = (s: any, host: string) => s.hosts.find((h: any) => h.host === host);
const realServer = (s: any, host: string, address = RS1) =>
  director(s, host)?.failover?.realServers.find((r: any) => r.address === address);
const holder = async (): Promise<string[]> =>
  (
    await Promise.all(
      ["dir1", "dir2"].map(async (d) => ((await lab.linux(d).addresses()).some((a) => a.address === VIP) ? d : "")),
    )
  ).filter(Boolean);

async function startWeb(name: string): Promise<void> {
  const { child } = await lab.spawnProgram(name, "http", "node", [join(PROGRAMS, "http-server.mjs"), name]);
  web.set(name, child.process);
}

beforeAll(async () => {
  lab = await Lab.build();
  hook = await webhookCapture();
  web = new Map();
  await Promise.all(["rs1", "rs2"].map(startWeb));
  fleet = await LabFleet.start(
    lab,
    [
      { name: "rs1", role: "realserver", driver: "linux" },
      { name: "rs2", role: "realserver", driver: "linux" },
      { name: "dir1", role: "director", driver: "nftables" },
      { name: "dir2", role: "director", driver: "nftables" },
    ],
    {
      serverEnv: {
        LVSFLEET_CHAT_WEBHOOK_URL: hook.url,
        LVSFLEET_CHAT_RESPONSE_HOSTS: "127.0.0.1",
        LVSFLEET_HEARTBEAT_MS: "300",
      },
    },
  );
  const put = await fleet.api.put(`/v1/clusters/${CLUSTER}`, spec());
  if (put.status !== 202) throw new Error(`PUT: ${put.status} ${put.text}`);
  await fleet.api.waitForJob(put.body.job.id, 60_000);
  await fleet.job("POST", `/v1/clusters/${CLUSTER}/start`);
  await until("dir1 holds the VIP", holder, (h) => h.join() === "dir1", 10_000);
  watch.dir1 = new AddressWatch(lab.host("dir1").ns, VIP, true);
  watch.dir2 = new AddressWatch(lab.host("dir2").ns, VIP, false);
  traffic = await Traffic.start(lab, `http://${VIP}/`, 20, 1_000);
  await until(
    "traffic flows",
    () => traffic.ticks.filter((t) => t.server).length,
    (n) => n >= 10,
    5_000,
  );
}, 120_000);

afterAll(async () => {
  traffic?.stop();
  for (const w of Object.values(watch)) w.stop();
  hook?.close();
  console.log(
    `fail-over lab (advert_int 0.1 s VRRPv3; TCP_CHECK every 0.1 s, timeout 0.1 s; a request every 20 ms):\n${Object.entries(
      figures,
    )
      .map(([k, v]) => `  ${k.padEnd(58)} ${v}`)
      .join("\n")}`,
  );
  await lab?.teardown();
});

describe("fail-over on real namespaces with real keepalived and real traffic", () => {
  it("starts with dir1 MASTER holding the VIP, dir2 BACKUP with the same table, both checking both servers", async () => {
    const s = await status();
    expect(director(s, "dir1").failover.vrrp[0]).toMatchObject({
      instance: "VI_1",
      state: "MASTER",
      process: "running",
    });
    expect(director(s, "dir2").failover.vrrp[0]).toMatchObject({
      instance: "VI_1",
      state: "BACKUP",
      process: "running",
    });
    expect(director(s, "dir2").table.services[0].destinations).toHaveLength(2);
    expect(s.failover.vips).toMatchObject([{ vip: VIP, state: "ok", holders: ["dir1"] }]);
    for (const d of ["dir1", "dir2"]) expect(realServer(s, d)).toMatchObject({ state: "up", effectiveWeight: 3 });
    expect(traffic.ticks.filter((t) => t.error)).toEqual([]);
  });

  it("a dead web server leaves the table of both directors; after that no request fails or reaches it", async () => {
    const killed = Date.now();
    web.get("rs1")?.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 1_500));
    await traffic.settle(killed + 1_400);
    const after = traffic.between(killed, killed + 1_400);
    const bad = after.filter((t) => t.error || t.server === "rs1");
    const detection = bad.length > 0 ? Math.max(...bad.map((t) => t.t)) - killed : 0;
    figures["real server down: until no request fails or reaches it"] =
      `${detection} ms (${bad.length} of ${after.length} requests failed)`;
    expect(detection).toBeLessThan(1_000);
    const settled = traffic.between(killed + detection + 1, killed + 1_400);
    expect(settled.length).toBeGreaterThan(20);
    expect(settled.every((t) => t.server === "rs2")).toBe(true);

    const s = await status();
    for (const d of ["dir1", "dir2"]) {
      expect(realServer(s, d)).toMatchObject({ state: "down", action: "removed", desiredWeight: 3 });
      expect(director(s, d).table.services[0].destinations.map((x: any) => x.address)).toEqual([`${SERVER_NET}.12`]);
    }
    const text = (await fleet.api.request("GET", `/v1/clusters/${CLUSTER}/status?format=text`)).text;
    expect(text).toMatch(/http 198\.18\.0\.11:80 DOWN \[removed\], out of the table — tcp: connect ECONNREFUSED/);
    await hook.waitFor(
      /real server 198\.18\.0\.11:80 \(http\) is DOWN on dir1 — tcp: connect ECONNREFUSED; removed from the table/,
    );
    const audit = await fleet.api.get(`/v1/audit?cluster=${CLUSTER}`);
    expect(audit.body.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actor: expect.objectContaining({ type: "agent", name: "dir1" }),
          command: "health",
          target: `http ${RS1}:80`,
        }),
      ]),
    );
    const chat = await fleet.chat("status");
    expect(chat.text).toMatch(/198\.18\.0\.11:80 DOWN \[removed\]/);
  });

  it("started again, it is back in the split with its weight", async () => {
    const restarted = Date.now();
    await startWeb("rs1");
    const back = await until(
      "rs1 answers again",
      () => traffic.between(restarted).find((t) => t.server === "rs1"),
      Boolean,
      5_000,
    );
    figures["real server back: until it answers again"] = `${(back?.t ?? 0) - restarted} ms`;
    await new Promise((r) => setTimeout(r, 1_000));
    await traffic.settle(Date.now() - 100);
    const window = traffic.between((back?.t ?? 0) + 100, Date.now() - 100);
    expect(window.filter((t) => t.error)).toEqual([]);
    const rs1 = window.filter((t) => t.server === "rs1").length / window.length;
    expect(rs1).toBeGreaterThan(0.6);
    expect(rs1).toBeLessThan(0.9);
    const s = await status();
    for (const d of ["dir1", "dir2"])
      expect(realServer(s, d)).toMatchObject({ state: "up", action: "none", effectiveWeight: 3 });
    await hook.waitFor(/real server 198\.18\.0\.11:80 \(http\) is UP on dir1/, restarted);
  });

  it("keepalived killed on the master: its VIP goes at once, the backup takes over, the master preempts back", async () => {
    const pids = keepalivedPids(stateDir("dir1"));
    expect(pids).toHaveLength(2);
    const killed = Date.now();
    for (const pid of pids) process.kill(pid, "SIGKILL");
    const taken = await until("dir2 holds the VIP", () => watch.dir2?.firstAfter(killed, true), Boolean, 5_000);
    const arp = await until(
      "the client learns dir2's MAC",
      () => neighbourMac(lab, VIP),
      (m) => m === lab.host("dir2").mac,
      5_000,
    );
    const arpAt = Date.now();
    const preempted = await until(
      "dir1 preempts",
      () => watch.dir1?.firstAfter(taken ?? killed, true),
      Boolean,
      10_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    await traffic.settle(Date.now() - 100);
    const window = traffic.between(killed, Date.now() - 100);
    const failed = window.filter((t) => t.error);
    const overlap = overlapMs(watch.dir1 as AddressWatch, watch.dir2 as AddressWatch, killed, Date.now());
    const released = watch.dir1?.firstAfter(killed, false);
    figures["keepalived SIGKILL on master: its VIP removed by the agent"] = `${(released ?? killed) - killed} ms`;
    figures["keepalived SIGKILL on master: backup holds the VIP"] = `${(taken ?? 0) - killed} ms`;
    figures["keepalived SIGKILL on master: client ARP entry on backup by"] = `${arpAt - killed} ms (${arp})`;
    figures["keepalived SIGKILL on master: master back (preempt)"] = `${(preempted ?? 0) - killed} ms`;
    figures["keepalived SIGKILL on master: failed requests, both holding"] =
      `${failed.length} of ${window.length}, ${overlap} ms`;
    expect((taken ?? 0) - killed).toBeLessThan(1_000);
    expect(overlap).toBeLessThanOrEqual(MASTER_DOWN_MS);
    expect(failed).toEqual([]);
    // keepalived was started again by the agent, and reports MASTER again
    await until("dir1 MASTER in status", status, (s) => director(s, "dir1").failover.vrrp[0].state === "MASTER", 5_000);
    expect(keepalivedPids(stateDir("dir1")).every(alive)).toBe(true);
    await hook.waitFor(/dir2 is MASTER for VRRP VI_1/, killed);
    await hook.waitFor(/dir1 is MASTER for VRRP VI_1/, taken);
    const events = (await status()).recentEvents.map((e: any) => `${e.host} ${e.subject} ${e.from}->${e.to}`);
    expect(events).toEqual(expect.arrayContaining(["dir2 vrrp:VI_1 BACKUP->MASTER", "dir1 vrrp:VI_1 BACKUP->MASTER"]));
  });

  it("the master's link cut: the backup takes over and requests succeed again; link back: the master preempts", async () => {
    const cut = Date.now();
    await lab.runner("dir1").run("ip", ["link", "set", "eth0", "down"]);
    const taken = await until("dir2 holds the VIP", () => watch.dir2?.firstAfter(cut, true), Boolean, 5_000);
    await new Promise((r) => setTimeout(r, 1_200));
    await traffic.settle(Date.now() - 200);
    const window = traffic.between(cut, Date.now() - 200);
    const failed = window.filter((t) => t.error);
    const lastFailed = failed.length > 0 ? Math.max(...failed.map((t) => t.t)) - cut : 0;
    figures["link cut on master: backup holds the VIP"] = `${(taken ?? 0) - cut} ms`;
    figures["link cut on master: until requests succeed again"] =
      `${lastFailed} ms (${failed.length} of ${window.length} failed)`;
    expect((taken ?? 0) - cut).toBeLessThan(1_000);
    expect(lastFailed).toBeLessThan(1_000);
    expect(traffic.between(cut + lastFailed + 1, Date.now() - 200).every((t) => !t.error)).toBe(true);
    const up = Date.now();
    await lab.runner("dir1").run("ip", ["link", "set", "eth0", "up"]);
    const back = await until("dir1 preempts", () => watch.dir1?.firstAfter(up, true), Boolean, 10_000);
    figures["link back on master: master holds the VIP again"] = `${(back ?? 0) - up} ms`;
    await until(
      "dir2 lets go",
      () => watch.dir2?.holds(),
      (h) => h === false,
      5_000,
    );
    await hook.waitFor(/dir1 is FAULT for VRRP VI_1/, cut);
  });

  it("with nopreempt, the returning master does not take the VIP back", async () => {
    await fleet.job("PUT", `/v1/clusters/${CLUSTER}`, spec({ nopreempt: true }, ["backup", "backup"]));
    await until(
      "dir1's keepalived runs with nopreempt",
      () => keepalivedConf("dir1"),
      (text) => text.includes("nopreempt"),
      5_000,
    );
    const owner = (await holder())[0] as string;
    const other = owner === "dir1" ? "dir2" : "dir1";
    const killed = Date.now();
    for (const pid of keepalivedPids(stateDir(owner))) process.kill(pid, "SIGKILL");
    const taken = await until(`${other} holds the VIP`, () => watch[other]?.firstAfter(killed, true), Boolean, 5_000);
    figures["nopreempt: the other director holds the VIP"] = `${(taken ?? 0) - killed} ms`;
    // the restarted one comes back as BACKUP and stays so, several master-down intervals later
    await until(`${owner} BACKUP again`, status, (s) => director(s, owner).failover.vrrp[0].state === "BACKUP", 5_000);
    await new Promise((r) => setTimeout(r, 5 * MASTER_DOWN_MS));
    expect(await holder()).toEqual([other]);
    await traffic.settle(Date.now() - 100);
    expect(traffic.between(killed, Date.now() - 100).filter((t) => t.error)).toEqual([]);
  });

  it("forcing both directors to hold the VIP raises the split-brain alert within one second, and clears it", async () => {
    const owner = (await holder())[0] as string;
    const other = owner === "dir1" ? "dir2" : "dir1";
    const forced = Date.now();
    await lab.runner(other).run("ip", ["addr", "add", `${VIP}/32`, "dev", "eth0"]);
    const message = await hook.waitFor(/SPLIT-BRAIN: VIP 198\.18\.1\.100 \(VI_1\) is held by/, forced, 3_000);
    const alerted = message.t - forced;
    figures["split-brain forced: webhook alert after"] = `${alerted} ms`;
    expect(alerted).toBeLessThan(1_000);
    const s = await status();
    expect(s.failover.alerts).toMatchObject([{ vip: VIP, kind: "split-brain" }]);
    expect(s.failover.vips[0]).toMatchObject({ state: "split-brain" });
    expect((await fleet.chat("status")).text).toMatch(/SPLIT-BRAIN/);
    await lab.runner(other).run("ip", ["addr", "del", `${VIP}/32`, "dev", "eth0"]);
    await hook.waitFor(/VIP 198\.18\.1\.100 resolved \(split-brain over\)/, forced, 3_000);
    expect((await status()).failover.alerts).toEqual([]);
  });

  it("a restarted agent adopts its running keepalived (fail static): same pids, the VIP never moves", async () => {
    const owner = (await holder())[0] as string;
    const pids = keepalivedPids(stateDir(owner));
    const restarted = Date.now();
    await fleet.restartAgent(owner);
    const s = await until(
      `${owner} reports MASTER again`,
      status,
      (st) => director(st, owner)?.failover?.vrrp[0]?.state === "MASTER",
      10_000,
    );
    expect(director(s, owner).failover.vrrp[0]).toMatchObject({
      process: "running",
      detail: expect.stringMatching(/adopted/),
    });
    expect(keepalivedPids(stateDir(owner))).toEqual(pids);
    expect(pids.every(alive)).toBe(true);
    expect(watch[owner]?.firstAfter(restarted, false)).toBeUndefined();
    expect(await holder()).toEqual([owner]);
  });

  it("stop leaves nothing behind: keepalived gone, no VIP, no lvsfleet tables", async () => {
    traffic.stop();
    const pids = ["dir1", "dir2"].flatMap((d) => keepalivedPids(stateDir(d)));
    expect(pids.length).toBe(4);
    await fleet.job("POST", `/v1/clusters/${CLUSTER}/stop`);
    await until(
      "keepalived gone",
      () => pids.filter(alive),
      (left) => left.length === 0,
      10_000,
    );
    expect(await holder()).toEqual([]);
    for (const d of ["dir1", "dir2"])
      expect((await lab.runner(d).run("nft", ["list", "tables"])).stdout).not.toContain("lvsfleet");
  });
});

function keepalivedConf(name: string): string {
  try {
    return readFileSync(join(stateDir(name), "keepalived", "keepalived.conf"), "utf8");
  } catch {
    return "";
  }
}
