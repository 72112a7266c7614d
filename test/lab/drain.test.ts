import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Traffic, until } from "./failover-lab.ts";
import { type Child, Lab, SERVER_NET, VIP } from "./lab.ts";
import { LabFleet, labClusterSpec } from "./lab-fleet.ts";

/**
 * Issue 6's lab test: a drain under steady HTTP load loses no request. The server (REST) with
 * Redis on loopback, the real agents in namespaces (the nftables data plane on the director, which
 * counts connections in its per-connection sets), a client sending a request every 20 ms on a new
 * connection, and a few keep-alive connections held on the server being drained until a few
 * seconds into the drain. Every request's outcome is kept; the drained server's own SYN counter
 * (an nftables counter inside its namespace) says whether a new connection reached it.
 */

const CLUSTER = "lab";
const RS1 = `${SERVER_NET}.11`;
const RS2 = `${SERVER_NET}.12`;
/** rs2's weight before the drain: not 1, so that a restore to a default would show. */
const RS2_WEIGHT = 2;
const HELD = 3;
/** How long the held connections stay open after the weight went to 0. */
const HOLD_MS = 3_000;
const PROGRAMS = new URL("./programs/", import.meta.url).pathname;
const SPEC = labClusterSpec(CLUSTER, { rs1: 1, rs2: RS2_WEIGHT });

let lab: Lab;
let fleet: LabFleet;
let traffic: Traffic;
const figures: Record<string, unknown> = {};

/** One answer on a held connection: who answered, on which local port, or why it failed. */
interface HeldAnswer {
  t: number;
  server?: string;
  port?: number;
  error?: string;
}

/**
 * A keep-alive connection from the client that landed on `target` (programs/load.mjs keep),
 * sending one request on that same connection every `everyMs` until closed.
 */
async function holdOn(target: string, everyMs = 100) {
  const { child } = await lab.spawnProgram(
    "client",
    "held",
    "node",
    [join(PROGRAMS, "load.mjs"), "keep", `http://${VIP}/`, target],
    { ready: false },
  );
  const lines = lineReader(child);
  const first = JSON.parse(await lines.next()) as { first: string; port: number };
  const answers: HeldAnswer[] = [];
  let closing = false;
  const loop = (async () => {
    while (!closing) {
      await new Promise((r) => setTimeout(r, everyMs));
      if (closing) break;
      const t = Date.now();
      child.process.stdin?.write("next\n");
      const answer = JSON.parse(await lines.next()) as { next?: string; port?: number; error?: string };
      answers.push(answer.error ? { t, error: answer.error } : { t, server: answer.next, port: answer.port });
    }
  })();
  return {
    first,
    answers,
    /** Stops sending, then closes the connection (the client's FIN passes the director); resolves when closed. */
    async close(): Promise<number> {
      closing = true;
      await loop;
      const closedAt = Date.now();
      const exited = new Promise<void>((r) => child.process.once("exit", () => r()));
      child.process.stdin?.end();
      await exited;
      return closedAt;
    },
  };
}

function lineReader(child: Child): { next(): Promise<string> } {
  const queued: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let buffer = "";
  child.process.stdout?.on("data", (d: Buffer) => {
    buffer += d.toString();
    let end = buffer.indexOf("\n");
    while (end >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else queued.push(line);
      end = buffer.indexOf("\n");
    }
  });
  return {
    next: () =>
      new Promise<string>((resolve, reject) => {
        const line = queued.shift();
        if (line !== undefined) return resolve(line);
        const timer = setTimeout(
          () => reject(new Error(`no answer from ${child.name} in 10 s: ${child.output.join("").slice(-1000)}`)),
          10_000,
        );
        waiters.push((l) => {
          clearTimeout(timer);
          resolve(l);
        });
      }),
  };
}

/** New TCP connections (SYN without ACK) to port 80 that reached rs2, counted by rs2's own kernel. */
const PROBE = "drainprobe";
async function installSynCounter(): Promise<void> {
  await lab.runner("rs2").run("nft", ["-f", "-"], {
    input: `table inet ${PROBE} {
  chain input {
    type filter hook input priority -300; policy accept;
    tcp dport 80 tcp flags & (syn | ack) == syn counter
  }
}
`,
  });
}
async function synsAtRs2(): Promise<number> {
  const { stdout } = await lab.runner("rs2").run("nft", ["-j", "list", "chain", "inet", PROBE, "input"]);
  const rule = (JSON.parse(stdout).nftables as any[]).find((o) => o.rule)?.rule;
  const counter = rule?.expr.find((e: any) => e.counter)?.counter;
  if (!counter) throw new Error(`no counter in ${stdout}`);
  return counter.packets as number;
}

async function job(id: string): Promise<any> {
  const { status, body } = await fleet.api.get(`/v1/jobs/${id}`);
  if (status !== 200) throw new Error(`GET /v1/jobs/${id}: ${status}`);
  return body;
}

async function directorWeights(): Promise<Record<string, number>> {
  const { body } = await fleet.api.get(`/v1/clusters/${CLUSTER}/status`);
  const dir1 = body.hosts.find((h: any) => h.host === "dir1");
  const service = dir1?.table?.services?.[0];
  return Object.fromEntries((service?.destinations ?? []).map((d: any) => [d.address, d.weight]));
}

async function specWeights(): Promise<Record<string, number>> {
  const { body } = await fleet.api.get(`/v1/clusters/${CLUSTER}`);
  return Object.fromEntries(body.spec.services[0].realServers.map((r: any) => [r.address, r.weight]));
}

const at = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);

beforeAll(async () => {
  // @ts-expect-error plain ESM script without types
  const { buildAll } = await import("../../scripts/build.mjs");
  await buildAll({ quiet: true });
  const t0 = performance.now();
  lab = await Lab.build({ realServers: 2 });
  await Promise.all(lab.realServers.map((rs) => lab.startWebServer(rs.name)));
  fleet = await LabFleet.start(lab, [
    { name: "dir1", role: "director", driver: "nftables" },
    { name: "rs1", role: "realserver", driver: "linux" },
    { name: "rs2", role: "realserver", driver: "linux" },
  ]);
  const put = await fleet.api.put(`/v1/clusters/${CLUSTER}`, SPEC);
  if (put.status !== 202) throw new Error(`PUT: ${put.status} ${put.text}`);
  await fleet.api.waitForJob(put.body.job.id, 60_000);
  await fleet.job("POST", `/v1/clusters/${CLUSTER}/start`);
  await installSynCounter();
  traffic = await Traffic.start(lab, `http://${VIP}/`, 20, 2_000);
  await until(
    "traffic flows",
    () => traffic.ticks.filter((t) => t.server).length,
    (n) => n >= 25,
    10_000,
  );
  figures.fleetUpMs = Math.round(performance.now() - t0);
}, 120_000);

afterAll(async () => {
  traffic?.stop();
  console.log(
    `drain lab (a request every 20 ms on a new connection, ${HELD} keep-alive connections held on rs2 for ${HOLD_MS} ms into the drain):\n${Object.entries(
      figures,
    )
      .map(([k, v]) => `  ${k.padEnd(44)} ${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join("\n")}`,
  );
  await lab?.teardown();
});

describe("a drain under steady HTTP load, on real hosts in network namespaces", () => {
  let drainedAt = 0;

  it("before the drain, the steady load is split 1:2 and every request is answered", async () => {
    await new Promise((r) => setTimeout(r, 1_000));
    const ticks = [...traffic.ticks];
    expect(ticks.filter((t) => t.error)).toEqual([]);
    const rs2 = ticks.filter((t) => t.server === "rs2").length;
    expect(ticks.length).toBeGreaterThanOrEqual(50);
    expect(Math.abs((100 * rs2) / ticks.length - 66.7)).toBeLessThanOrEqual(10);
  });

  it("drains rs2 through REST: no request fails, no new connection reaches rs2 after weight 0, its held connections end there, and the job completes only once they are gone", async () => {
    const held = await Promise.all(Array.from({ length: HELD }, () => holdOn("rs2")));
    for (const h of held) expect(h.first.first).toBe("rs2");

    const submitted = Date.now();
    const response = await fleet.api.post(`/v1/clusters/${CLUSTER}/jobs`, {
      kind: "drain",
      targets: [`${RS2}:80`],
      options: { timeout: "60s" },
    });
    expect(response.status).toBe(202);
    const id = response.body.job.id as string;

    // Every 100 ms, the job as GET /v1/jobs/{id} shows it, until it ends.
    const seen: { at: number; job: any }[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        seen.push({ at: Date.now(), job: await job(id) });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // The weight is 0 on every director once the drain step is done.
    const weighted = await until(
      "the drain step done",
      () => job(id),
      (j) => j.steps[0]?.state === "done",
      15_000,
      50,
    );
    drainedAt = at(weighted.steps[0].finishedAt);
    const synsAtWeightZero = await synsAtRs2();
    expect(await directorWeights()).toEqual({ [RS1]: 1, [RS2]: 0 });
    expect(weighted.steps[0].detail).toContain(`${RS2}:80 ${RS2_WEIGHT} -> 0`);

    // A few seconds into the drain, the held connections are still answered by rs2, then end.
    await new Promise((r) => setTimeout(r, Math.max(0, drainedAt + HOLD_MS - Date.now())));
    const waiting = await job(id);
    expect(waiting.state).toBe("active");
    expect(waiting.steps.map((s: any) => s.state)).toEqual(["done", "running", "pending"]);
    expect(waiting.progress.connectionsLeft).toBe(HELD);
    const closedAt = Math.min(...(await Promise.all(held.map((h) => h.close()))));
    const lastClosedAt = Date.now();

    const done = await fleet.api.waitForJob(id, 30_000, 50);
    const completedAt = at(done.finishedAt);
    watching = false;
    await watcher;
    const synsAfter = await synsAtRs2();

    // The job: its three steps done, the wait ended by the connections' end and not before.
    expect(done.state).toBe("completed");
    expect(done.steps.map((s: any) => [s.kind, s.state])).toEqual([
      ["drain", "done"],
      ["wait-drained", "done"],
      ["mark", "done"],
    ]);
    expect(done.steps[1].detail).toBe("no connections left");
    expect(at(done.steps[1].finishedAt)).toBeGreaterThanOrEqual(closedAt);
    expect(completedAt).toBeGreaterThanOrEqual(closedAt);
    for (const { at: t, job: j } of seen.filter((s) => s.at < closedAt)) {
      expect(j.state, `job at ${t - submitted} ms`).not.toBe("completed");
      expect(j.steps[1]?.state, `wait-drained at ${t - submitted} ms`).not.toBe("done");
    }
    // While the held connections lived, the job reported them (and never fewer) as progress.
    const reported = seen
      .filter((s) => s.at >= drainedAt && s.at < closedAt && s.job.progress?.connectionsLeft !== undefined)
      .map((s) => s.job.progress.connectionsLeft as number);
    expect(reported.length).toBeGreaterThan(0);
    expect(Math.min(...reported)).toBeGreaterThanOrEqual(HELD);
    expect(reported.at(-1)).toBe(HELD);
    expect(await specWeights()).toEqual({ [RS1]: 1, [RS2]: 0 });

    // The held connections: every request answered, by rs2, on the connection they opened.
    for (const [i, h] of held.entries()) {
      expect(
        h.answers.filter((a) => a.error),
        `held connection ${i}`,
      ).toEqual([]);
      expect(new Set(h.answers.map((a) => `${a.server}:${a.port}`))).toEqual(new Set([`rs2:${h.first.port}`]));
      expect(h.answers.filter((a) => a.t >= drainedAt).length).toBeGreaterThanOrEqual(HOLD_MS / 100 / 2);
    }

    // The steady load: nothing failed; after weight 0 nothing new went to rs2, as rs2's kernel confirms.
    await traffic.settle(completedAt + 500);
    const during = traffic.between(submitted, completedAt);
    expect(during.filter((t) => t.error)).toEqual([]);
    expect(during.length).toBeGreaterThanOrEqual((completedAt - submitted) / 20 / 2);
    expect(traffic.between(drainedAt).filter((t) => t.server === "rs2")).toEqual([]);
    expect(synsAfter - synsAtWeightZero).toBe(0);

    figures.drainJob = `${id}: submitted → weight 0 applied ${drainedAt - submitted} ms → completed ${completedAt - submitted} ms (weight 0 → completed ${completedAt - drainedAt} ms)`;
    figures.heldClosedToCompleted = `${completedAt - lastClosedAt}–${completedAt - closedAt} ms (the job polls every 1 s)`;
    figures.heldRequests = `${held.reduce((n, h) => n + h.answers.length, 0)} on ${HELD} connections, 0 failed, all rs2`;
    figures.ticksDuringDrain = `${during.length} sent, ${during.filter((t) => t.error).length} failed, ${traffic.between(drainedAt, completedAt).length} after weight 0 (rs1 ${traffic.between(drainedAt, completedAt).filter((t) => t.server === "rs1").length}, rs2 0)`;
    figures.newConnectionsAtRs2AfterWeight0 = synsAfter - synsAtWeightZero;
  });

  it("undrain through REST restores weight 2, and new connections reach rs2 again", async () => {
    const synsBefore = await synsAtRs2();
    const response = await fleet.api.post(`/v1/clusters/${CLUSTER}/jobs`, { kind: "undrain", targets: [RS2] });
    expect(response.status).toBe(202);
    const undrain = await fleet.api.waitForJob(response.body.job.id, 30_000, 50);
    expect(undrain.state).toBe("completed");
    expect(undrain.steps.map((s: any) => [s.kind, s.state])).toEqual([["restore", "done"]]);
    const restoredAt = at(undrain.steps[0].finishedAt);
    expect(await specWeights()).toEqual({ [RS1]: 1, [RS2]: RS2_WEIGHT });
    expect(await directorWeights()).toEqual({ [RS1]: 1, [RS2]: RS2_WEIGHT });

    await new Promise((r) => setTimeout(r, 2_500));
    await traffic.settle(restoredAt + 2_000);
    const after = traffic.between(restoredAt, restoredAt + 2_000);
    expect(after.filter((t) => t.error)).toEqual([]);
    expect(after.length).toBeGreaterThanOrEqual(50);
    const rs2 = after.filter((t) => t.server === "rs2").length;
    expect(Math.abs((100 * rs2) / after.length - 66.7)).toBeLessThanOrEqual(10);
    expect((await synsAtRs2()) - synsBefore).toBeGreaterThanOrEqual(rs2);
    figures.afterUndrain = `2 s: ${after.length} requests, rs2 ${rs2} (${((100 * rs2) / after.length).toFixed(1)} %)`;

    // The whole run: every request of the steady load was answered.
    const all = [...traffic.ticks];
    expect(all.filter((t) => t.error)).toEqual([]);
    figures.steadyLoadTotal = `${all.length} requests sent, ${all.filter((t) => t.error).length} failed`;
  });
});
