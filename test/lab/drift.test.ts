import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lab } from "./lab.ts";
import { LabFleet, labClusterSpec } from "./lab-fleet.ts";

/**
 * Drift on real hosts: the director agent (nftables data plane) reads its table back every second
 * (`--readback-interval 1`); someone deletes its forwarding by hand with `nft` in the director's
 * namespace. The server must hear of it within a period (REST status and events, the
 * lvsfleet_drift_operations metric), leave it alone under `driftPolicy: report`, and under
 * `correct` the director repairs it itself: real HTTP through the VIP again.
 */

const CLUSTER = "lab";
const SPEC = labClusterSpec(CLUSTER, { rs1: 1, rs2: 1 });
const PERIOD_MS = 1_000;

let lab: Lab;
let fleet: LabFleet;
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  // @ts-expect-error plain ESM script without types
  const { buildAll } = await import("../../scripts/build.mjs");
  await buildAll({ quiet: true });
  lab = await Lab.build({ realServers: 2 });
  await Promise.all(lab.realServers.map((rs) => lab.startWebServer(rs.name)));
  fleet = await LabFleet.start(
    lab,
    [
      { name: "dir1", role: "director", driver: "nftables" },
      { name: "rs1", role: "realserver", driver: "linux" },
      { name: "rs2", role: "realserver", driver: "linux" },
    ],
    { agentArgs: ["--readback-interval", String(PERIOD_MS / 1000)] },
  );
});

afterAll(async () => {
  console.log(`lab drift figures: ${JSON.stringify(figures)}`);
  await lab?.teardown();
});

/** What someone with a root shell on the director does: removes lvsfleet's DR table (the VIP's forwarding). */
async function deleteForwardingByHand(): Promise<void> {
  await lab.runner("dir1").run("nft", ["delete", "table", "netdev", "lvsfleet"]);
}

async function directorTables(): Promise<string> {
  return (await lab.runner("dir1").run("nft", ["list", "tables"])).stdout;
}

async function status(): Promise<any> {
  const response = await fleet.api.get(`/v1/clusters/${CLUSTER}/status`);
  expect(response.status).toBe(200);
  return response.body;
}

/** lvsfleet_drift_operations{cluster="lab",host="dir1",corrected=…} from the server's GET /metrics. */
async function driftOperations(corrected: boolean): Promise<number> {
  const response = await fetch(new URL("/metrics", fleet.api.baseUrl), {
    headers: { authorization: `Bearer ${fleet.token}` },
  });
  expect(response.status).toBe(200);
  const text = await response.text();
  const line = text
    .split("\n")
    .find((l) =>
      l.startsWith(`lvsfleet_drift_operations{cluster="${CLUSTER}",host="dir1",corrected="${String(corrected)}"}`),
    );
  return line ? Number(line.split(" ").at(-1)) : 0;
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const driftEvents = (body: any, to: string) =>
  (body.recentEvents as any[]).filter((e) => e.type === "state" && e.subject === "drift" && e.to === to);

describe("drift: a hand change of the director's nftables table, seen and handled", () => {
  it("the cluster is up: real traffic through the VIP reaches both real servers", async () => {
    await fleet.job("PUT", `/v1/clusters/${CLUSTER}`, SPEC);
    await fleet.job("POST", `/v1/clusters/${CLUSTER}/start`);
    const burst = await lab.burst(40);
    expect(burst.failures).toBe(0);
    expect(Object.keys(burst.counts).sort()).toEqual(["rs1", "rs2"]);
    expect(await driftOperations(false)).toBe(0);
    expect((await status()).drift).toBeUndefined();
  });

  it("under driftPolicy report (the default) the deletion is reported within a period and left alone", async () => {
    await deleteForwardingByHand();
    const t0 = performance.now();
    const seen = await until(
      "the drift in cluster status",
      async () => {
        const body = await status();
        return body.drift?.length ? body : undefined;
      },
      // within a period, plus the read and the event's way to the server
      PERIOD_MS + 1_000,
    );
    figures.reportedMs = Math.round(performance.now() - t0);
    expect(seen.drift).toMatchObject([
      { host: "dir1", detail: expect.stringMatching(/3 operations would repair it \(driftPolicy report\)/) },
    ]);
    expect(driftEvents(seen, "drifted")).toHaveLength(1);
    // the service and its two real servers
    expect(await driftOperations(false)).toBe(3);
    const text = (await fleet.api.get(`/v1/clusters/${CLUSTER}/status?format=text`)).text;
    expect(text).toMatch(/DRIFT on dir1 since .*add-service TCP 198\.18\.1\.100:80 wrr/);
    // left alone: three more periods later the table is still gone and the VIP forwards nothing
    await new Promise((r) => setTimeout(r, 3 * PERIOD_MS));
    expect(await directorTables()).not.toMatch(/table netdev lvsfleet/);
    const burst = await lab.burst(5);
    expect(burst.failures).toBe(5);
    // reported once, not once a period
    expect(driftEvents(await status(), "drifted")).toHaveLength(1);
    expect(await driftOperations(false)).toBe(3);
  });

  it("driftPolicy correct: the PUT's Apply restores the service; a later deletion is repaired by the director itself", async () => {
    const job = await fleet.job("PUT", `/v1/clusters/${CLUSTER}`, { ...SPEC, driftPolicy: "correct" });
    const dir1 = job.result.hosts.find((h: { host: string }) => h.host === "dir1");
    // the Apply plans against the table the director read back: it adds the service again
    expect(dir1.changes).toContain("add-service TCP 198.18.1.100:80 wrr");
    expect((await lab.burst(20)).failures).toBe(0);
    await until(
      "drift to end in status",
      async () => ((await status()).drift === undefined ? true : undefined),
      10 * PERIOD_MS,
    );
    expect(driftEvents(await status(), "in step").filter((e) => e.from === "drifted")).toHaveLength(1);

    await deleteForwardingByHand();
    const t0 = performance.now();
    await until(
      "the correction event",
      async () => (driftEvents(await status(), "corrected").length > 0 ? true : undefined),
      PERIOD_MS + 1_000,
    );
    figures.correctedMs = Math.round(performance.now() - t0);
    expect(await directorTables()).toMatch(/table netdev lvsfleet/);
    const burst = await lab.burst(40);
    expect(burst.failures).toBe(0);
    expect(Object.keys(burst.counts).sort()).toEqual(["rs1", "rs2"]);
    expect(await driftOperations(true)).toBe(3);
    expect((await status()).drift).toBeUndefined();
  });
});
