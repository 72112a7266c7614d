// bench/failover: real-server failure detection and director fail-over on the namespace lab, with
// keepalived-like settings and with lvsfleet's fast ones, each figure the median of TRIALS (default 10).
//
//   node scripts/build.mjs            # the agents' bundles and this one (bench/dist/failover.js)
//   sudo node bench/dist/failover.js [TRIALS]
//
// Needs root (network namespaces), iproute2, nftables, keepalived. Prints a table and one JSON line.

import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "@lvsfleet/devfleet";
import { ClusterSpec, type ClusterSpecInput, directorRoleConfig, validate } from "@lvsfleet/model";
import type { AgentClient } from "@lvsfleet/rpc";
import {
  AddressWatch,
  holdConnections,
  keepalivedPids,
  NeighbourWatch,
  overlapMs,
  Traffic,
  until,
} from "../../test/lab/failover-lab.ts";
import { Lab, type LabAgent, SERVER_NET, VIP } from "../../test/lab/lab.ts";

const TRIALS = Number(process.argv[2] ?? process.env.TRIALS ?? 10);
const PROGRAMS = join(repoRoot(), "test", "lab", "programs");
const RS1 = `${SERVER_NET}.11`;

interface Profile {
  name: string;
  /** The check's delay loop and the VRRP advert interval (ms): each trial starts at a random phase of them. */
  checkIntervalMs: number;
  advertMs: number;
  /** The real servers' TCP_CHECK. */
  check: Record<string, unknown>;
  vrrp: Record<string, unknown>;
  /** How long a trial may take before it counts as failed. */
  limitMs: number;
}

const PROFILES: Profile[] = [
  {
    name: "keepalived-like (the guide's keepalived.conf)",
    // delay_loop 6, connect_timeout 10 (cut to the 6 s interval), nb_get_retry 3, delay_before_retry 3; advert_int 1
    check: { type: "tcp", delayLoop: 6, connectTimeout: 10, retry: 3, delayBeforeRetry: 3 },
    vrrp: { advertInt: 1 },
    checkIntervalMs: 6_000,
    advertMs: 1_000,
    limitMs: 30_000,
  },
  {
    name: "lvsfleet fast",
    // a round every 100 ms, 100 ms timeout, no retry; VRRPv3 adverts every 100 ms
    check: { type: "tcp", delayLoop: 0.1, connectTimeout: 0.1, retry: 0, warmup: 0 },
    vrrp: { advertInt: 0.1, version: 3 },
    checkIntervalMs: 100,
    advertMs: 100,
    limitMs: 10_000,
  },
];

function spec(profile: Profile, scheduler: "wrr" | "sh"): ClusterSpec {
  const input: ClusterSpecInput = {
    name: "bench",
    vips: [VIP],
    directors: [
      { host: "dir1", address: `${SERVER_NET}.2`, role: "master", priority: 100, interface: "eth0" },
      { host: "dir2", address: `${SERVER_NET}.3`, role: "backup", priority: 90, interface: "eth0" },
    ],
    services: [
      {
        name: "http",
        address: VIP,
        port: 80,
        scheduler,
        forwarding: "dr",
        realServers: [
          { address: RS1, port: 80, weight: 3, host: "rs1", healthChecks: [profile.check as never] },
          { address: `${SERVER_NET}.12`, port: 80, weight: 1, host: "rs2", healthChecks: [profile.check as never] },
        ],
      },
    ],
    vrrp: { instances: [{ name: "VI_1", virtualRouterId: 51, vips: [VIP], ...profile.vrrp } as never] },
  };
  return validate(ClusterSpec, input);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const range = (xs: number[]) => (xs.length ? `${Math.min(...xs)}–${Math.max(...xs)}` : "-");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let lab: Lab;
const agents = new Map<string, LabAgent>();
const web = new Map<string, ChildProcess>();
const client = (name: string) => agents.get(name)?.client as AgentClient;

async function startWeb(name: string): Promise<void> {
  const { child } = await lab.spawnProgram(name, "http", "node", [join(PROGRAMS, "http-server.mjs"), name]);
  web.set(name, child.process);
}

/** Both directors run this spec (the apply carries it: checks and keepalived follow). */
async function configure(s: ClusterSpec, generation: number): Promise<void> {
  for (const d of s.directors) {
    const c = client(d.host);
    await c.start("bench", { kind: "director", director: directorRoleConfig(s, d, generation) });
    await c.apply({ cluster: "bench", generation, spec: s });
  }
}

/** Health events from both directors as they arrive (WatchEvents: no polling that would load the agents). */
const healthEvents: { at: number; host: string; address: string; to: string }[] = [];

function watchHealth(): () => void {
  const streams = ["dir1", "dir2"].map((d) =>
    client(d).watchEvents(
      { heartbeatIntervalMs: 60_000, deadlineMs: 24 * 3_600_000 },
      (e) => {
        if (e.type === "health") healthEvents.push({ at: Date.now(), host: e.host, address: e.address, to: e.to });
      },
      () => undefined,
    ),
  );
  return () => {
    for (const s of streams) s.cancel();
  };
}

/** When director `d` reported rs1 `to` (down/up) at or after `from`. */
const reported = (from: number, to: string, d: string) =>
  healthEvents.find((e) => e.at >= from && e.host === d && e.address === RS1 && e.to === to)?.at;

async function rsInTable(director: string): Promise<boolean> {
  const state = await client(director).getState();
  return (state.table.services[0]?.destinations ?? []).some((d) => d.address === RS1 && d.weight > 0);
}

async function holders(): Promise<string[]> {
  const out: string[] = [];
  for (const d of ["dir1", "dir2"]) if ((await lab.linux(d).addresses()).some((a) => a.address === VIP)) out.push(d);
  return out;
}

interface RsTrial {
  /** Until the last request that failed or reached the dead server (sent after the kill). */
  detectionMs: number;
  /** Until the master director reported it down (its table already changed). */
  tableMs: number;
  failedAfter: number;
  failed: number;
}

async function rsTrial(traffic: Traffic, profile: Profile): Promise<RsTrial> {
  // the failure lands anywhere in the check's round, not always just after one
  await sleep(Math.random() * profile.checkIntervalMs);
  const killed = Date.now();
  web.get("rs1")?.kill("SIGKILL");
  const removed: number[] = [];
  for (const d of ["dir1", "dir2"])
    removed.push(
      (await until(`rs1 down on ${d}`, () => reported(killed, "down", d), Boolean, profile.limitMs)) as number,
    );
  const tableMs = (removed[0] as number) - killed;
  await sleep(400);
  await traffic.settle(Date.now() - 200);
  const window = traffic.between(killed, Date.now() - 200);
  const bad = window.filter((t) => t.error || t.server === "rs1");
  const detectionMs = bad.length ? Math.max(...bad.map((t) => t.t)) - killed : 0;
  const failedAfter = window.filter((t) => t.t > killed + detectionMs && t.error).length;
  const restarted = Date.now();
  await startWeb("rs1");
  for (const d of ["dir1", "dir2"])
    await until(`rs1 up on ${d}`, () => reported(restarted, "up", d), Boolean, profile.limitMs);
  await sleep(200);
  return { detectionMs, tableMs, failedAfter, failed: bad.filter((t) => t.error).length };
}

interface DirTrial {
  backupMs: number;
  answeringMs: number;
  preemptMs: number;
  overlapMs: number;
  failedAfterSwitch: number;
  held: number;
  broken: number;
}

async function dirTrial(
  traffic: Traffic,
  watch: { dir1: AddressWatch; dir2: AddressWatch; arp: NeighbourWatch },
  profile: Profile,
): Promise<DirTrial> {
  const held = await holdConnections(lab, `http://${VIP}/`, 8, 50);
  // a neighbour entry changed less than locktime (1 s) ago ignores a gratuitous ARP: let it age
  await sleep(1_100 + Math.random() * profile.advertMs);
  const killed = Date.now();
  for (const pid of keepalivedPids(join(lab.dir, "dir1"))) process.kill(pid, "SIGKILL");
  const backupAt = await until(
    "dir2 holds the VIP",
    () => watch.dir2.firstAfter(killed, true),
    Boolean,
    profile.limitMs,
  );
  const dir2Mac = lab.host("dir2").mac;
  const answeringAt = await until(
    "the client sends to dir2",
    () => watch.arp.firstAfter(killed, dir2Mac),
    Boolean,
    profile.limitMs,
  );
  const preemptAt = await until(
    "dir1 takes the VIP back",
    () => watch.dir1.firstAfter(backupAt as number, true),
    Boolean,
    4 * profile.limitMs,
  );
  await until(
    "dir2 lets the VIP go",
    () => watch.dir2.holds(),
    (h) => !h,
    profile.limitMs,
  );
  await sleep(300);
  await traffic.settle(Date.now() - 200);
  const failedAfterSwitch = traffic.between(answeringAt as number, Date.now() - 200).filter((t) => t.error).length;
  const { broken } = await held.stop();
  return {
    backupMs: (backupAt as number) - killed,
    answeringMs: (answeringAt as number) - killed,
    preemptMs: (preemptAt as number) - killed,
    overlapMs: overlapMs(watch.dir1, watch.dir2, killed, Date.now()),
    failedAfterSwitch,
    held: 8,
    broken: broken.length,
  };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("bench/failover needs root (network namespaces)");
  lab = await Lab.build();
  const results: Record<string, unknown> = {};
  try {
    await Promise.all(["rs1", "rs2"].map(startWeb));
    for (const d of ["dir1", "dir2"]) agents.set(d, await lab.startAgent(d, "director", "nftables"));
    for (const r of ["rs1", "rs2"]) agents.set(r, await lab.startAgent(r, "realserver", "linux"));
    for (const r of ["rs1", "rs2"])
      await client(r).start("bench", {
        kind: "real-server",
        realServer: { vips: [{ address: VIP, forwarding: ["dr"] }] },
      });
    const stopWatching = watchHealth();
    let generation = 0;
    const rows: string[] = [];
    for (const profile of PROFILES) {
      const schedulers: ("wrr" | "sh")[] = ["sh", ...(profile.name.startsWith("lvsfleet") ? (["wrr"] as const) : [])];
      // real servers: wrr (the guide's), so that rs1 takes 3 requests of 4 and its failure shows
      await configure(spec(profile, "wrr"), ++generation);
      await until("dir1 alone holds the VIP", holders, (h) => h.join() === "dir1", 20_000, 50);
      for (const d of ["dir1", "dir2"]) await until(`rs1 up on ${d}`, () => rsInTable(d), Boolean, profile.limitMs, 50);
      const traffic = await Traffic.start(lab, `http://${VIP}/`, 20, 1_000);
      await sleep(500);
      const rs: RsTrial[] = [];
      for (let i = 0; i < TRIALS; i++) {
        rs.push(await rsTrial(traffic, profile));
        process.stderr.write(`${profile.name}: real-server trial ${i + 1}/${TRIALS}: ${JSON.stringify(rs.at(-1))}\n`);
      }
      const detection = rs.map((r) => r.detectionMs);
      rows.push(
        `| ${profile.name} | real-server failure: until no request fails or reaches it | ${median(detection)} ms | ${range(detection)} ms | failed after detection: ${rs.reduce((n, r) => n + r.failedAfter, 0)} |`,
      );
      results[`${profile.name}: real server`] = rs;
      for (const scheduler of schedulers) {
        await configure(spec(profile, scheduler), ++generation);
        await until("dir1 alone holds the VIP", holders, (h) => h.join() === "dir1", 20_000, 50);
        const watch = {
          dir1: new AddressWatch(lab.host("dir1").ns, VIP, true),
          dir2: new AddressWatch(lab.host("dir2").ns, VIP, false),
          arp: new NeighbourWatch(lab.host("client").ns, VIP),
        };
        const dir: DirTrial[] = [];
        for (let i = 0; i < TRIALS; i++) {
          dir.push(await dirTrial(traffic, watch, profile));
          process.stderr.write(
            `${profile.name} ${scheduler}: director trial ${i + 1}/${TRIALS}: ${JSON.stringify(dir.at(-1))}\n`,
          );
        }
        for (const w of Object.values(watch)) w.stop();
        const answering = dir.map((d) => d.answeringMs);
        const backup = dir.map((d) => d.backupMs);
        rows.push(
          `| ${profile.name} | director fail-over (${scheduler}): backup holds the VIP | ${median(backup)} ms | ${range(backup)} ms | |`,
          `| ${profile.name} | director fail-over (${scheduler}): the VIP answers from the backup | ${median(answering)} ms | ${range(answering)} ms | failed requests after the switch: ${dir.reduce((n, d) => n + d.failedAfterSwitch, 0)}; held connections broken: ${dir.reduce((n, d) => n + d.broken, 0)} of ${dir.reduce((n, d) => n + d.held, 0)}; both holding the VIP: max ${Math.max(...dir.map((d) => d.overlapMs))} ms |`,
        );
        results[`${profile.name}: director ${scheduler}`] = dir;
      }
      traffic.stop();
    }
    process.stdout.write(
      `bench/failover: ${TRIALS} trials each (median, range); a request every 20 ms on a new connection\n| settings | measure | median | range | notes |\n|---|---|---|---|---|\n${rows.join("\n")}\n`,
    );
    process.stdout.write(`${JSON.stringify({ trials: TRIALS, results })}\n`);
    stopWatching();
  } finally {
    await lab.teardown();
  }
}

await main();
