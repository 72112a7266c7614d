import {
  type AgentState,
  ClusterSpec,
  DEMO_CLUSTER,
  desiredTable,
  type IpvsService,
  ValidationError,
  validate,
} from "@lvsfleet/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, ForbiddenError } from "../src/access/roles.ts";
import type { Confirmations } from "../src/chat/confirmations.ts";
import { type ChatAction, dispatch } from "../src/chat/dispatch.ts";
import { parseChatCommand, USAGE } from "../src/chat/parse.ts";
import type { CommandContext } from "../src/commands/context.ts";
import { AmbiguousError, NotFoundError } from "../src/commands/errors.ts";
import { simulateChange } from "../src/commands/whatif.ts";
import { SimulationAbortedError, SimulationBusyError } from "../src/simulation/errors.ts";
import { renderWhatIfText } from "../src/status/whatif-render.ts";
import { inProcessSimulations } from "./in-process-simulations.ts";
import { answeringFleet, seedCluster, testContext } from "./support/context.ts";
import { type PrivateRedis, startRedis } from "./support/redis.ts";

const viewer: Actor = { type: "token", name: "ops", role: "viewer", channel: "rest" };
const spec = validate(ClusterSpec, DEMO_CLUSTER);

/** The guide's service as lb-master holds it under a light load: 2 conn/s, ActiveConn 45 + 15. */
function liveService(): IpvsService {
  const s = structuredClone(desiredTable(spec).services[0]!);
  s.rates = { cps: 2, inPps: 10, outPps: 0, inBps: 600, outBps: 0 };
  s.destinations[0]!.activeConns = 45;
  s.destinations[0]!.inactConns = 180;
  s.destinations[1]!.activeConns = 15;
  s.destinations[1]!.inactConns = 60;
  return s;
}

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/**
 * A context whose directors answer GetState from `answers` (an Error: the call fails; absent: not
 * registered; any other call fails the test), with the cluster stored and owning every host it names.
 */
async function fakeContext(
  answers: Record<string, Partial<AgentState> | Error>,
  calls: string[] = [],
  cluster: ClusterSpec = spec,
): Promise<CommandContext> {
  const ctx = testContext(redis, answeringFleet(answers, calls));
  await seedCluster(ctx, cluster, Object.keys(answers));
  return ctx;
}

const busy = () =>
  fakeContext({
    "lb-master": { table: { services: [liveService()] } },
    "lb-backup": { table: { services: [desiredTable(spec).services[0]!] } },
  });

describe("simulateChange (what-if)", () => {
  it("starts from the live table of the director with the connections, and fills the profile from it", async () => {
    const calls: string[] = [];
    const ctx = await fakeContext(
      {
        "lb-master": { table: { services: [liveService()] } },
        "lb-backup": { table: { services: [desiredTable(spec).services[0]!] } },
      },
      calls,
    );
    const report = await simulateChange(ctx, viewer, "web", {
      change: { kind: "weight", server: "192.168.1.231", weight: 0 },
    });
    expect(calls.sort()).toEqual(["GetState lb-backup", "GetState lb-master"]);
    expect(report.source).toEqual({
      kind: "director",
      host: "lb-master",
      generation: 1,
      activeConns: 60,
      inactConns: 240,
    });
    expect(report.traffic).toMatchObject({
      connectionsPerSecond: 2,
      connectionsPerSecondFrom: "observed",
      // Little's law: 60 active / 2 per second = 30 s
      lifetime: { kind: "exponential", meanSeconds: 30 },
      lifetimeFrom: "estimated",
      persistence: { timeout: 60, netmask: 32 },
    });
    expect(report.changes).toEqual(["weight 192.168.1.231:80 1 → 0"]);
    expect(report.operations).toEqual(["edit-destination TCP 192.168.1.229:80 -> 192.168.1.231:80 dr weight 0"]);
    const web2 = report.servers.find((s) => s.address === "192.168.1.231")!;
    expect(web2.weight).toEqual({ before: 1, after: 0 });
    expect(web2.activeConns.now).toBe(15);
    expect(web2.share.before).toBeGreaterThan(0.1);
    expect(web2.newConnections.after).toBeLessThan(web2.newConnections.before);
    expect(web2.emptyAfterSeconds.before).toBeUndefined();
    expect(web2.emptyAfterSeconds.after === null || web2.emptyAfterSeconds.after! > 0).toBe(true);
    const web1 = report.servers.find((s) => s.address === "192.168.1.220")!;
    expect(web1.share.after).toBeGreaterThan(web1.share.before);
    expect(web1.emptyAfterSeconds).toEqual({});
  });

  it("without persistence a drain takes no new connections at all, and says when the server is empty", async () => {
    const report = await simulateChange(await busy(), viewer, "web", {
      service: "http",
      change: { kind: "drain", server: "192.168.1.220:80" },
      traffic: { connectionsPerSecond: 5, lifetime: { kind: "fixed", seconds: 20 }, persistence: false },
    });
    expect(report.traffic.persistence).toBeNull();
    const web1 = report.servers.find((s) => s.address === "192.168.1.220")!;
    expect(web1.newConnections.after).toBe(0);
    expect(web1.share.before).toBeCloseTo(0.75, 2);
    expect(web1.share.after).toBe(0);
    // 45 connections end within 20 s, then FIN_WAIT for 120 s (its 180 inactive ones within 120 s)
    expect(web1.emptyAfterSeconds.after).toBeGreaterThan(120);
    expect(web1.emptyAfterSeconds.after).toBeLessThanOrEqual(141);
    expect(report.servers.find((s) => s.address === "192.168.1.231")!.share.after).toBe(1);
  });

  it("removal and scheduler changes, several at once", async () => {
    const report = await simulateChange(await busy(), viewer, "web", {
      change: [
        { kind: "remove", server: "192.168.1.231:80" },
        { kind: "scheduler", scheduler: "wlc" },
      ],
      traffic: { connectionsPerSecond: 4, persistence: false, durationSeconds: 60 },
    });
    expect(report.changes).toEqual(["remove 192.168.1.231:80 from http", "scheduler wrr → wlc"]);
    expect(report.operations.map((o) => o.split(" ")[0])).toEqual(["delete-destination", "edit-service"]);
    const web2 = report.servers.find((s) => s.address === "192.168.1.231")!;
    expect(web2.present).toEqual({ before: true, after: false });
    expect(web2.newConnections.after).toBe(0);
    expect(web2.emptyAfterSeconds.after).toBeGreaterThan(0);
  });

  it("predicts from the desired table when no director answers", async () => {
    const report = await simulateChange(
      await fakeContext({ "lb-master": new Error("UNAVAILABLE"), "lb-backup": { roleState: "stopped" } }),
      viewer,
      "web",
      { change: { kind: "weight", server: "192.168.1.231", weight: 3 }, traffic: { persistence: false } },
    );
    expect(report.source.kind).toBe("desired");
    expect(report.traffic).toMatchObject({ connectionsPerSecond: 10, connectionsPerSecondFrom: "default" });
    expect(report.servers.map((s) => [s.address, s.activeConns.now])).toEqual([
      ["192.168.1.220", 0],
      ["192.168.1.231", 0],
    ]);
    expect(report.servers.map((s) => Math.round(s.share.after * 100))).toEqual([50, 50]);
  });

  it("refuses unknown clusters, services and servers, bad input and too big a question, naming the field", async () => {
    const ctx = await busy();
    const change = { kind: "weight", server: "192.168.1.231", weight: 0 };
    await expect(simulateChange(ctx, viewer, "shop", { change })).rejects.toThrow(NotFoundError);
    await expect(simulateChange(ctx, viewer, "web", { service: "ftp", change })).rejects.toThrow(
      /no service ftp in cluster web; services: http/,
    );
    await expect(simulateChange(ctx, viewer, "web", { change: { ...change, server: "192.168.1.99" } })).rejects.toThrow(
      /no real server 192.168.1.99 in web\/http; real servers: 192.168.1.220:80, 192.168.1.231:80/,
    );
    const invalid = async (body: unknown) =>
      simulateChange(ctx, viewer, "web", body).then(
        () => undefined,
        (e: unknown) => e as ValidationError,
      );
    expect((await invalid({ change: { ...change, weight: 70000 } }))?.errors[0]?.field).toBe("change.weight");
    expect((await invalid({ change: { ...change, server: "web2" } }))?.errors[0]).toMatchObject({
      field: "change.server",
      message: expect.stringContaining("is not ADDRESS[:PORT]"),
    });
    expect((await invalid({ change: { kind: "reboot" } }))?.errors[0]?.field).toBe("change");
    expect((await invalid({ change, traffic: { clients: 0 } }))?.errors[0]?.field).toBe("traffic.clients");
    const big = await invalid({ change, traffic: { connectionsPerSecond: 5000 } });
    expect(big).toBeInstanceOf(ValidationError);
    expect(big?.errors[0]).toMatchObject({
      field: "traffic.connectionsPerSecond",
      message: expect.stringMatching(/limit 2,000 ms/),
    });
  });

  it("needs only the viewer role, within the actor's clusters", async () => {
    const outsider: Actor = { ...viewer, clusters: ["shop"] };
    await expect(
      simulateChange(await busy(), outsider, "web", { change: { kind: "drain", server: "192.168.1.231" } }),
    ).rejects.toThrow(ForbiddenError);
  });

  it("a several-service cluster needs the service", async () => {
    const two = validate(ClusterSpec, {
      ...DEMO_CLUSTER,
      services: [...(DEMO_CLUSTER.services ?? []), { ...DEMO_CLUSTER.services![0]!, name: "https", port: 443 }],
    });
    const ctx = await fakeContext(
      {
        "lb-master": { table: { services: [liveService()] } },
        "lb-backup": { table: { services: [desiredTable(spec).services[0]!] } },
      },
      [],
      two,
    );
    await expect(
      simulateChange(ctx, viewer, "web", {
        change: { kind: "drain", server: "192.168.1.231" },
      }),
    ).rejects.toThrow(AmbiguousError);
  });

  it("renders a short table for chat", async () => {
    const report = await simulateChange(await busy(), viewer, "web", {
      change: { kind: "weight", server: "192.168.1.231", weight: 0 },
      traffic: { persistence: false },
    });
    const text = renderWhatIfText(report);
    const lines = text.split("\n");
    expect(lines[0]).toBe("What if: weight 192.168.1.231:80 1 → 0 — web/http (TCP 192.168.1.229:80)");
    expect(lines[1]).toMatch(
      /^from lb-master's live table \(ActiveConn 60, InActConn 240\); 2 new conn\/s \(observed\)/,
    );
    expect(lines[2]).toMatch(/^server +weight +share of new +ActiveConn at 300s +empty after$/);
    expect(lines[3]).toMatch(/^192\.168\.1\.220:80 +3 → 3 +75% → 100% +\d+ → \d+ \(now 45\) +-$/);
    expect(lines[4]).toMatch(/^192\.168\.1\.231:80 +1 → 0 +25% → 0% +\d+ → 0 \(now 15\) +(\d+m\d\ds|\d+s|\d+m)$/);
    expect(lines.at(-1)).toBe("Nothing was changed.");
  });
});

describe("chat: whatif", () => {
  it("parses whatif weight like weight", () => {
    expect(parseChatCommand("whatif weight 192.168.1.231 0")).toEqual({
      ok: true,
      command: { kind: "whatif", target: "192.168.1.231", weight: 0, cluster: undefined, service: undefined },
    });
    expect(parseChatCommand("WHATIF weight [2001:db8::1]:80 2 web http")).toMatchObject({
      ok: true,
      command: { kind: "whatif", target: "[2001:db8::1]:80", weight: 2, cluster: "web", service: "http" },
    });
  });

  it("a full simulation pool and a simulation that ran too long are replies, not errors", async () => {
    const command = { kind: "whatif" as const, target: "192.168.1.231", weight: 0 };
    const chatViewer: Actor = { type: "chat", name: "carol (U0003)", role: "viewer", channel: "chat" };
    const ask = async (simulations: Partial<CommandContext["simulations"]>) => {
      const ctx: CommandContext = { ...(await busy()), simulations: { ...inProcessSimulations(), ...simulations } };
      return dispatch(ctx, undefined as unknown as Confirmations<ChatAction>, command, {
        actor: chatViewer,
        userId: "U0003",
      });
    };
    const full = await ask({
      admit: () => {
        throw new SimulationBusyError(3, { threads: 1, queue: 4 });
      },
    });
    expect(full.text).toBe(
      ":hourglass: the server is already running 1 simulation with 4 more waiting (LVSFLEET_SIM_THREADS, LVSFLEET_SIM_QUEUE); nothing was simulated: retry in 3 s",
    );
    const slow = await ask({
      run: async () => {
        throw new SimulationAbortedError("deadline", 10_000, "the simulation", "Ask a smaller question.");
      },
    });
    expect(slow.text).toBe(
      ":warning: the simulation took longer than 10 s (LVSFLEET_SIM_DEADLINE_MS) and was stopped; nothing changed. Ask a smaller question.",
    );
  });

  it("says what is wrong with the whatif form", () => {
    expect(parseChatCommand("whatif")).toMatchObject({ ok: false, usage: USAGE.whatif });
    expect(parseChatCommand("whatif stop web")).toMatchObject({
      ok: false,
      error: expect.stringContaining("whatif asks about a weight change"),
    });
    expect(parseChatCommand("whatif weight 192.168.1.231 lots")).toMatchObject({
      ok: false,
      error: expect.stringContaining("the weight must be a whole number"),
      usage: USAGE.whatif,
    });
    expect(parseChatCommand("whatif weight 192.168.1.231")).toMatchObject({
      ok: false,
      error: "whatif weight needs a real server and a weight",
    });
  });
});
