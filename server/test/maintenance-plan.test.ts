import { ClusterSpec, DEMO_CLUSTER, ValidationError } from "@lvsfleet/model";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseMaintenanceChat } from "../src/chat/maintenance.ts";
import { parseChatCommand } from "../src/chat/parse.ts";
import { describeSeconds, parseDuration } from "../src/maintenance/duration.ts";
import { drainedBy } from "../src/maintenance/job-text.ts";
import { capacityAfter, machines, planBatches, planSteps, serviceTotals } from "../src/maintenance/plan.ts";
import { planOptions, resolveRollingTargets, resolveServerTargets } from "../src/maintenance/request.ts";
import { parseWhen } from "../src/maintenance/when.ts";

const demo = ClusterSpec.parse(DEMO_CLUSTER);

function cluster(weights: number[]): ClusterSpec {
  return ClusterSpec.parse({
    ...DEMO_CLUSTER,
    services: [
      {
        name: "http",
        address: "192.168.1.229",
        port: 80,
        realServers: weights.map((weight, i) => ({ address: `198.18.0.${i + 1}`, port: 80, weight, host: `web${i}` })),
      },
    ],
  });
}

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.errors[0]?.field;
    throw error;
  }
  return undefined;
}

describe("durations", () => {
  it("reads 90s, 15m, 2h, 1d, 500ms and seconds; refuses the rest naming the field", () => {
    expect([parseDuration("90s", "f"), parseDuration("15m", "f"), parseDuration("2h", "f")]).toEqual([90, 900, 7200]);
    expect([parseDuration("1d", "f"), parseDuration("500ms", "f"), parseDuration(12, "f")]).toEqual([86400, 0.5, 12]);
    for (const bad of ["soon", "5", "-1s", "0s", "31d", "", 0, null])
      expect(fieldOf(() => parseDuration(bad, "options.timeout"))).toBe("options.timeout");
    expect(describeSeconds(0.25)).toBe("250 ms");
    expect(describeSeconds(600)).toBe("10 min");
    expect(describeSeconds(7500)).toBe("2 h 5 min");
  });
});

describe("when a job runs", () => {
  const now = Date.parse("2030-03-30T12:00:00Z");
  it("reads runAt in its time zone, cron in its time zone, or now", () => {
    expect(parseWhen({}, now)).toEqual({ kind: "now" });
    expect(parseWhen({ runAt: "2030-04-01T02:30", timeZone: "Europe/Paris" }, now)).toMatchObject({
      kind: "at",
      at: Date.parse("2030-04-01T00:30:00Z"), // CEST (+02:00) after the spring change
    });
    // 02:30 does not exist on the night of the change (02:00 → 03:00): it is read as 03:30 CEST
    expect(parseWhen({ runAt: "2030-03-31T02:30", timeZone: "Europe/Paris" }, now)).toMatchObject({
      at: Date.parse("2030-03-31T01:30:00Z"),
    });
    expect(parseWhen({ runAt: "2030-03-30T13:00:00Z", timeZone: "Asia/Tokyo" }, now)).toMatchObject({
      at: Date.parse("2030-03-30T13:00:00Z"), // an offset wins over the zone
    });
    const cron = parseWhen({ cron: "0 3 * * *", timeZone: "America/New_York" }, now);
    expect(cron).toMatchObject({ kind: "cron", cron: "0 3 * * *", next: Date.parse("2030-03-31T07:00:00Z") });
  });

  it("refuses what would never fire or fire wrongly", () => {
    expect(fieldOf(() => parseWhen({ runAt: "next tuesday" }, now))).toBe("runAt");
    expect(fieldOf(() => parseWhen({ runAt: "2029-01-01T00:00Z" }, now))).toBe("runAt");
    expect(fieldOf(() => parseWhen({ runAt: "2030-04-01T00:00Z", cron: "* * * * *" }, now))).toBe("cron");
    expect(fieldOf(() => parseWhen({ cron: "61 * * * *" }, now))).toBe("cron");
    expect(fieldOf(() => parseWhen({ cron: "* * *" }, now))).toBe("cron");
    expect(fieldOf(() => parseWhen({ timeZone: "Nowhere/Else" }, now))).toBe("timeZone");
  });
});

describe("targets and options", () => {
  it("resolves real servers by address, port and service, in every service that has them", () => {
    expect(resolveServerTargets(demo, ["192.168.1.220"])).toEqual([
      { service: "http", address: "192.168.1.220", port: 80, host: "web1" },
    ]);
    expect(resolveServerTargets(demo, [{ address: "192.168.1.231", port: 80, service: "http" }])).toHaveLength(1);
    expect(fieldOf(() => resolveServerTargets(demo, []))).toBe("targets");
    expect(fieldOf(() => resolveServerTargets(demo, ["192.168.1.220:81"]))).toBe("targets[0]");
    expect(fieldOf(() => resolveServerTargets(demo, ["nonsense"]))).toBe("targets[0]");
  });

  it("rolling targets: all, a service, hosts, addresses", () => {
    expect(resolveRollingTargets(demo, "all")).toHaveLength(2);
    expect(resolveRollingTargets(demo, ["http"])).toHaveLength(2);
    expect(resolveRollingTargets(demo, ["web2"]).map((s) => s.address)).toEqual(["192.168.1.231"]);
    expect(resolveRollingTargets(demo, [{ host: "web1" }, "192.168.1.220"])).toHaveLength(1);
    expect(fieldOf(() => resolveRollingTargets(demo, ["mail"]))).toBe("targets[0]");
  });

  it("fills defaults and refuses unknown options", () => {
    expect(planOptions(demo, "drain", {}).plan).toEqual({
      kind: "drain",
      remove: false,
      timeoutSeconds: 600,
      includeInactive: false,
      onTimeout: "fail",
    });
    expect(planOptions(demo, "switchover", {}).plan).toMatchObject({
      from: "lb-master",
      to: "lb-backup",
      method: "stop",
    });
    expect(planOptions(demo, "switchover", { from: "lb-backup" }).plan).toMatchObject({ to: "lb-master" });
    expect(fieldOf(() => planOptions(demo, "drain", { timout: "5m" }))).toBe("options");
    expect(fieldOf(() => planOptions(demo, "switchover", { to: "lb-master", from: "lb-master" }))).toBe("options.to");
    expect(fieldOf(() => planOptions(demo, "rolling", { action: { command: "rm -rf" } }))).toBe(
      "options.action.command",
    );
  });
});

describe("rolling batches under a minimum capacity", () => {
  it("takes one of four at a time for 75 %, two for 50 %, and refuses a server that alone breaks it", () => {
    const four = cluster([1, 1, 1, 1]);
    const all = resolveRollingTargets(four, "all");
    expect(planBatches(four, all, 4, 75).map((b) => b.length)).toEqual([1, 1, 1, 1]);
    expect(planBatches(four, all, 4, 50).map((b) => b.length)).toEqual([2, 2]);
    expect(planBatches(four, all, 3, 0).map((b) => b.length)).toEqual([3, 1]);
    const heavy = cluster([3, 1]);
    expect(fieldOf(() => planBatches(heavy, resolveRollingTargets(heavy, "all"), 1, 50))).toBe("options.minCapacity");
  });

  it("property: every batch keeps every service at or above the minimum, and each server is in exactly one", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 100 }),
        (weights, batch, min) => {
          const spec = cluster(weights);
          const servers = resolveRollingTargets(spec, "all");
          let batches: ReturnType<typeof planBatches>;
          try {
            batches = planBatches(spec, servers, batch, min);
          } catch (error) {
            // refused only when some server alone would break the minimum
            expect(error).toBeInstanceOf(ValidationError);
            const totals = serviceTotals(spec);
            const healthy = new Map(servers.map((s, i) => [`http|${s.address}|80`, weights[i]!]));
            expect(machines(servers).some((m) => !capacityAfter(totals, healthy, m, min).ok)).toBe(true);
            return;
          }
          const total = weights.reduce((a, b) => a + b, 0);
          for (const b of batches) {
            expect(b.length).toBeGreaterThan(0);
            expect(b.length).toBeLessThanOrEqual(batch);
            const out = b.reduce((n, s) => n + weights[servers.findIndex((x) => x.address === s.address)]!, 0);
            expect((total - out) * 100 + 1e-6).toBeGreaterThanOrEqual(min * total);
          }
          expect(batches.flat().map((s) => s.address)).toEqual(servers.map((s) => s.address));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("plans drain → wait → action → health → restore per batch", () => {
    const four = cluster([1, 1, 1, 1]);
    const { plan } = planOptions(four, "rolling", { minCapacity: 75, action: { pause: "5s" } });
    const steps = planSteps(four, plan, resolveRollingTargets(four, "all"));
    expect(steps).toHaveLength(20);
    expect(steps.slice(0, 5).map((s) => s.kind)).toEqual([
      "drain",
      "wait-drained",
      "action",
      "wait-healthy",
      "restore",
    ]);
    expect(steps[2]!.title).toBe("pause 5 s on 198.18.0.1:80 in web/http");
  });
});

describe("drained servers seen in the undo log", () => {
  it("counts weight 0 and removed servers, not other changes", () => {
    const ref = { service: "http", address: "192.168.1.220", port: 80 };
    expect(
      drainedBy([
        { kind: "weight", ref, before: 3, set: 0 },
        { kind: "weight", ref: { ...ref, address: "192.168.1.231" }, before: 1, set: 5 },
        { kind: "director-stopped", host: "lb-master" },
      ]),
    ).toEqual(["http/192.168.1.220:80"]);
  });
});

describe("chat", () => {
  it("reads the maintenance commands", () => {
    expect(parseChatCommand("drain 192.168.1.220 for 30m web")).toEqual({
      ok: true,
      command: { kind: "drain", target: "192.168.1.220", for: "30m", cluster: "web" },
    });
    expect(parseChatCommand("rolling web1,web2 batch 2 min 75% web")).toEqual({
      ok: true,
      command: { kind: "rolling", targets: "web1,web2", batch: 2, min: 75, cluster: "web" },
    });
    expect(parseChatCommand("undrain 192.168.1.220:80")).toMatchObject({ ok: true, command: { kind: "undrain" } });
    expect(parseChatCommand("switchover")).toEqual({ ok: true, command: { kind: "switchover", cluster: undefined } });
    expect(parseChatCommand("jobs web")).toEqual({ ok: true, command: { kind: "jobs", cluster: "web" } });
    expect(parseChatCommand("cancel m-3")).toEqual({ ok: true, command: { kind: "cancel", job: "m-3" } });
  });

  it("says what is wrong with the right form", () => {
    expect(parseChatCommand("drain 192.168.1.220 for soon")).toMatchObject({
      ok: false,
      error: expect.stringMatching(/not a duration/),
    });
    expect(parseChatCommand("rolling http min 150%")).toMatchObject({
      ok: false,
      usage: expect.stringMatching(/^rolling/),
    });
    expect(parseMaintenanceChat("cancel", [])).toMatchObject({ ok: false, kind: "cancel" });
    expect(parseMaintenanceChat("status", [])).toBeUndefined();
  });
});
