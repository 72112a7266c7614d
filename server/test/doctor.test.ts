import { type AgentState, ClusterSpec, DEMO_CLUSTER, type Problem, validate } from "@lvsfleet/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../src/access/roles.ts";
import { parseChatCommand, USAGE } from "../src/chat/parse.ts";
import type { CommandContext } from "../src/commands/context.ts";
import { clusterDoctor } from "../src/commands/doctor.ts";
import { renderDoctorText } from "../src/status/doctor-text.ts";
import { answeringFleet, seedCluster, testContext } from "./support/context.ts";
import { type PrivateRedis, startRedis } from "./support/redis.ts";

const viewer: Actor = { type: "token", name: "ops", role: "viewer", channel: "rest" };
const spec = validate(ClusterSpec, DEMO_CLUSTER);

const arpIgnore: Problem = {
  code: "arp-ignore",
  severity: "error",
  subject: "net.ipv4.conf.all.arp_ignore",
  message: "net.ipv4.conf.all.arp_ignore is 0, needs 1: with 0 this server answers ARP for the VIP",
  fix: "sysctl -w net.ipv4.conf.all.arp_ignore=1",
};

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/**
 * A context whose agents answer GetState from `answers` (an Error: the call fails; absent: not
 * registered), with the demo cluster stored and owning every host it names.
 */
async function fakeContext(answers: Record<string, Partial<AgentState> | Error>): Promise<CommandContext> {
  const ctx = testContext(redis, answeringFleet(answers));
  await seedCluster(ctx, spec, Object.keys(answers));
  return ctx;
}

describe("clusterDoctor", () => {
  it("reports every host's problems with the fix, and hosts it cannot ask", async () => {
    const report = await clusterDoctor(
      await fakeContext({
        "lb-master": { problems: [] },
        "lb-backup": new Error("deadline exceeded"),
        web1: { problems: [arpIgnore] },
      }),
      viewer,
      spec.name,
    );
    expect(report).toMatchObject({ cluster: spec.name, healthy: false, problemCount: 3 });
    const byHost = Object.fromEntries(report.hosts.map((h) => [h.host, h]));
    expect(byHost["lb-master"]).toEqual({
      host: "lb-master",
      kind: "director",
      checked: true,
      roleState: "running",
      problems: [],
    });
    expect(byHost.web1?.problems).toEqual([arpIgnore]);
    expect(byHost["lb-backup"]).toMatchObject({
      checked: false,
      problems: [
        { code: "agent-unreachable", subject: "lb-backup", message: expect.stringContaining("deadline exceeded") },
      ],
    });
    expect(byHost.web2).toMatchObject({ checked: false, problems: [{ code: "agent-not-registered" }] });

    const text = renderDoctorText(report);
    expect(text).toContain("doctor web: 3 problems");
    expect(text).toContain("director lb-master (running): ok");
    expect(text).toContain(
      "real server web1 (running): 1 problem\n  ERROR arp-ignore (net.ipv4.conf.all.arp_ignore): net.ipv4.conf.all.arp_ignore is 0",
    );
    expect(text).toContain("    fix: sysctl -w net.ipv4.conf.all.arp_ignore=1");
  });

  it("is healthy only when every host was checked and none has a problem", async () => {
    const fine = { problems: [] };
    const all = { "lb-master": fine, "lb-backup": fine, web1: fine, web2: fine };
    expect(await clusterDoctor(await fakeContext(all), viewer, spec.name)).toMatchObject({
      healthy: true,
      problemCount: 0,
    });
    const unchecked = { ...all, web2: {} };
    const report = await clusterDoctor(await fakeContext(unchecked), viewer, spec.name);
    expect(report).toMatchObject({ healthy: false, problemCount: 0 });
    expect(renderDoctorText(report)).toContain("real server web2 (running): not checked (no doctor)");
  });

  it("names an unknown cluster", async () => {
    await expect(clusterDoctor(await fakeContext({}), viewer, "nope")).rejects.toThrow("no cluster named nope");
  });
});

describe("chat doctor", () => {
  it("parses doctor [cluster] and refuses more", () => {
    expect(parseChatCommand("doctor")).toEqual({ ok: true, command: { kind: "doctor", cluster: undefined } });
    expect(parseChatCommand("Doctor web")).toEqual({ ok: true, command: { kind: "doctor", cluster: "web" } });
    expect(parseChatCommand("doctor web extra")).toEqual({
      ok: false,
      error: "doctor takes at most one argument (a cluster), got 2",
      usage: USAGE.doctor,
    });
  });
});
