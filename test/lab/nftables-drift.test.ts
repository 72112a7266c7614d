import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { AgentEvent, IpvsTable, RoleConfig } from "@lvsfleet/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lab, type LabAgent, SERVER_NET, VIP } from "./lab.ts";

/**
 * The nftables data plane's read-back compares what the kernel really forwards: a rule deleted by
 * hand (`nft delete rule`) breaks real traffic, the agent's periodic read-back (every second here)
 * shows the service as missing and reports drift, and the next Apply of the same desired table puts
 * it back — traffic flows again. (An Apply plans against the table the agent applied as last read
 * back: a hand change is seen by the read-back, not by a read of the whole kernel on every Apply.)
 */

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;
const CLUSTER = "lab";
const SID = "4tcp_198_18_1_100_80";

const destination = (address: string, weight: number) => ({
  address,
  port: 80,
  forwarding: "dr" as const,
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
  activeConns: 0,
  inactConns: 0,
  persistConns: 0,
});

const desired: IpvsTable = {
  services: [
    {
      protocol: "tcp",
      address: VIP,
      port: 80,
      family: "inet",
      scheduler: "wrr",
      schedulerFlags: [],
      destinations: [destination(`${SERVER_NET}.11`, 1), destination(`${SERVER_NET}.12`, 1)],
    },
  ],
};

const director = (generation: number): RoleConfig => ({
  kind: "director",
  director: { vips: [VIP], interface: "eth0", desired, generation },
});
const realServer: RoleConfig = { kind: "real-server", realServer: { vips: [{ address: VIP, forwarding: ["dr"] }] } };

let lab: Lab;
const agents = new Map<string, LabAgent>();
const agent = (name: string) => {
  const a = agents.get(name);
  if (!a) throw new Error(`no agent on ${name}`);
  return a.client;
};

/** `nft -a list chain …`: the handle of the rule of `chain` whose text contains `text`. */
async function handleOf(chain: string, text: string): Promise<string> {
  const { stdout } = await lab.runner("dir1").run("nft", ["-a", "list", "chain", "netdev", "lvsfleet", chain]);
  const line = stdout.split("\n").find((l) => l.includes(text));
  const handle = line ? /# handle (\d+)/.exec(line)?.[1] : undefined;
  if (!handle) throw new Error(`no rule with ${text} in ${chain}:\n${stdout}`);
  return handle;
}

/** The director's next drift event that says the kernel drifted (the read-back runs every second). */
function nextDrift(timeoutMs = 10_000): Promise<AgentEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      watch.cancel();
      reject(new Error(`no drift event within ${timeoutMs} ms`));
    }, timeoutMs);
    const watch = agent("dir1").watchEvents(
      { heartbeatIntervalMs: 60_000 },
      (event) => {
        const e = event as { type: string; subject?: string; to?: string };
        if (e.type !== "state" || e.subject !== "drift" || e.to !== "drifted") return;
        clearTimeout(timer);
        watch.cancel();
        resolve(event);
      },
      () => undefined,
    );
  });
}

beforeAll(async () => {
  await run("node", ["scripts/build.mjs"], { cwd: ROOT });
  lab = await Lab.build({ realServers: 2 });
  await Promise.all(lab.realServers.map((rs) => lab.startWebServer(rs.name)));
  const started = await Promise.all([
    lab.startAgent("dir1", "director", "nftables", ["--readback-interval", "1"]),
    lab.startAgent("rs1", "realserver", "linux"),
    lab.startAgent("rs2", "realserver", "linux"),
  ]);
  for (const a of started) agents.set(a.host.name, a);
  for (const rs of ["rs1", "rs2"]) await agent(rs).start(CLUSTER, realServer);
  await agent("dir1").start(CLUSTER, director(1));
});

afterAll(async () => {
  for (const a of agents.values()) await a.stop().catch(() => undefined);
  await lab?.teardown();
});

describe("nftables: a rule deleted by hand is seen by the read-back and repaired by the next Apply", () => {
  it("traffic flows through the service as installed", async () => {
    const result = await lab.burst(100);
    expect(result.failures).toBe(0);
    expect(Object.keys(result.counts).sort()).toEqual(["rs1", "rs2"]);
  });

  it("the dispatch rule deleted with nft: connections break, the read-back no longer has the service, Apply restores it", async () => {
    const drift = nextDrift();
    await lab
      .runner("dir1")
      .run("nft", [
        "delete",
        "rule",
        "netdev",
        "lvsfleet",
        `s_${SID}`,
        "handle",
        await handleOf(`s_${SID}`, "jump d_tcp4"),
      ]);
    // Without it, a connection's later packets are placed by the orphan hash, which sends about
    // half of them to the other real server: those connections are reset.
    const broken = await lab.burst(40);
    expect(broken.failures).toBeGreaterThan(0);
    // The comments are all still there; the read-back compares the rules themselves.
    expect((await agent("dir1").getState()).table.services).toEqual([]);
    expect(JSON.stringify(await drift)).toContain("add-service");
    const applied = await agent("dir1").apply({ cluster: CLUSTER, generation: 2, desired });
    expect(applied.operations.map((o) => o.op)).toEqual(["add-service", "add-destination", "add-destination"]);
    const { stdout } = await lab.runner("dir1").run("nft", ["list", "chain", "netdev", "lvsfleet", `s_${SID}`]);
    expect(stdout).toContain("jump d_tcp4");
    const result = await lab.burst(100);
    expect(result.failures).toBe(0);
    expect(Object.keys(result.counts).sort()).toEqual(["rs1", "rs2"]);
  });

  it("a real server's forward rule deleted with nft: the read-back no longer has the service as it was, Apply puts it back", async () => {
    const drift = nextDrift();
    const chain = `t_${SID}_198_18_0_12_80`;
    await lab
      .runner("dir1")
      .run("nft", ["delete", "rule", "netdev", "lvsfleet", chain, "handle", await handleOf(chain, "fwd")]);
    // Connections picked for rs2 now go nowhere (the chain ends without a verdict: the VIP's own stack refuses them).
    const broken = await lab.burst(40);
    expect(broken.failures).toBeGreaterThan(0);
    // Its settings went with the rule's comment, so the picker that still names it no longer matches
    // what the service's settings render: the whole service is read back as missing.
    expect((await agent("dir1").getState()).table.services).toEqual([]);
    expect(JSON.stringify(await drift)).toContain("add-service");
    const applied = await agent("dir1").apply({ cluster: CLUSTER, generation: 3, desired });
    expect(applied.operations.map((o) => o.op)).toEqual(["add-service", "add-destination", "add-destination"]);
    const { stdout } = await lab.runner("dir1").run("nft", ["list", "chain", "netdev", "lvsfleet", chain]);
    expect(stdout).toContain(`fwd ip to ${SERVER_NET}.12 device "eth0"`);
    const result = await lab.burst(100);
    expect(result.failures).toBe(0);
    expect(Object.keys(result.counts).sort()).toEqual(["rs1", "rs2"]);
  });
});
