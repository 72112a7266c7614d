import { ClusterSpec, type ClusterSpecInput, desiredTable, type IpvsTable, validate } from "@lvsfleet/model";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide, type ServerHealth } from "../src/health/decide.ts";
import { healthPolicies } from "../src/health/policy.ts";
import { nextQuorumState } from "../src/health/quorum.ts";
import { nextSlowStartStep, slowStartWeight } from "../src/health/slow-start.ts";
import { checkTiming } from "../src/health/timing.ts";
import { combinedState, initialVerdict, nextVerdict } from "../src/health/verdict.ts";

const tcp = { type: "tcp" as const };

function cluster(service: Record<string, unknown> = {}, servers?: Record<string, unknown>[]): ClusterSpec {
  const input: ClusterSpecInput = {
    name: "web",
    vips: ["198.18.1.100"],
    services: [
      {
        name: "http",
        address: "198.18.1.100",
        port: 80,
        scheduler: "wrr",
        realServers: (servers ?? [
          { address: "198.18.0.11", port: 80, weight: 3, healthChecks: [tcp] },
          { address: "198.18.0.12", port: 80, weight: 1, healthChecks: [tcp] },
        ]) as never,
        ...service,
      },
    ],
  };
  return validate(ClusterSpec, input);
}

const down = (reason = "connect ECONNREFUSED"): ServerHealth => ({ state: "down", reason });
const up: ServerHealth = { state: "up", reason: "connected" };

function run(spec: ClusterSpec, health: Record<string, ServerHealth>, now = 0, quorum = new Map()) {
  const desired = desiredTable(spec);
  const before = structuredClone(desired);
  const result = decide(desired, healthPolicies(spec), (_s, rs) => health[rs.address] ?? up, quorum, now);
  // the operator's desired table is never touched
  expect(desired).toEqual(before);
  return result;
}

const weights = (table: IpvsTable) =>
  Object.fromEntries((table.services[0]?.destinations ?? []).map((d) => [`${d.address}:${d.port}`, d.weight]));

describe("check timing (keepalived defaults, safe to run)", () => {
  it("fills in keepalived's defaults and the service's delay_loop", () => {
    expect(checkTiming({ type: "tcp" }, {})).toEqual({
      intervalMs: 60_000,
      timeoutMs: 5_000,
      retries: 1,
      retryDelayMs: 1_000,
      warmupMs: 60_000,
      rise: 1,
      fall: 1,
    });
    expect(checkTiming({ type: "http", urls: [{ path: "/" }] }, { delayLoop: 6 })).toMatchObject({
      intervalMs: 6_000,
      retryDelayMs: 3_000,
    });
    expect(checkTiming({ type: "misc", script: "check-web" }, { delayLoop: 2 })).toMatchObject({
      timeoutMs: 2_000,
      retries: 0,
    });
  });

  it("never lets a check's timeout exceed its interval (the guide's connect_timeout 10 with delay_loop 6)", () => {
    expect(
      checkTiming({ type: "tcp", connectTimeout: 10, retry: 3, delayBeforeRetry: 3 }, { delayLoop: 6 }),
    ).toMatchObject({ intervalMs: 6_000, timeoutMs: 6_000, retries: 3, retryDelayMs: 3_000 });
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (delayLoop, connectTimeout) => {
          const t = checkTiming({ type: "tcp", connectTimeout, delayLoop }, {});
          return t.timeoutMs <= t.intervalMs && t.intervalMs >= 20 && t.timeoutMs >= 1;
        },
      ),
    );
  });
});

describe("verdicts: rise and fall", () => {
  it("takes a server down after fall failed rounds in a row and back after rise good ones", () => {
    const streaks = { rise: 2, fall: 3 };
    let v = initialVerdict(false);
    expect(v.state).toBe("up");
    v = nextVerdict(v, false, streaks);
    v = nextVerdict(v, false, streaks);
    expect(v.state).toBe("up");
    v = nextVerdict(v, true, streaks); // a good round resets the streak
    v = nextVerdict(v, false, streaks);
    v = nextVerdict(v, false, streaks);
    expect(v.state).toBe("up");
    v = nextVerdict(v, false, streaks);
    expect(v.state).toBe("down");
    v = nextVerdict(v, true, streaks);
    expect(v.state).toBe("down");
    v = nextVerdict(v, true, streaks);
    expect(v.state).toBe("up");
  });

  it("with alpha starts unknown: the first failure takes it down, rise successes bring it up", () => {
    const v = initialVerdict(true);
    expect(v.state).toBe("unknown");
    expect(nextVerdict(v, false, { rise: 3, fall: 3 }).state).toBe("down");
    expect(nextVerdict(nextVerdict(v, true, { rise: 2, fall: 1 }), true, { rise: 2, fall: 1 }).state).toBe("up");
  });

  it("a server is up only while every check is", () => {
    expect(combinedState(["up", "up"])).toBe("up");
    expect(combinedState(["up", "down"])).toBe("down");
    expect(combinedState(["unknown", "up"])).toBe("unknown");
    expect(combinedState(["unknown", "down"])).toBe("down");
  });
});

describe("quorum with hysteresis", () => {
  it("loses the quorum below quorum - hysteresis and gains it at quorum + hysteresis", () => {
    expect(nextQuorumState(undefined, 3, 4, 1)).toBe("down");
    expect(nextQuorumState("up", 3, 4, 1)).toBe("up");
    expect(nextQuorumState("up", 2, 4, 1)).toBe("down");
    expect(nextQuorumState("down", 4, 4, 1)).toBe("down");
    expect(nextQuorumState("down", 5, 4, 1)).toBe("up");
  });
});

describe("slow start", () => {
  it("ramps from 1 to the weight over the duration, in at most 10 steps", () => {
    expect(slowStartWeight(10, 0, 10_000)).toBe(1);
    expect(slowStartWeight(10, 5_000, 10_000)).toBe(5);
    expect(slowStartWeight(10, 10_000, 10_000)).toBe(10);
    expect(slowStartWeight(3, 0, 0)).toBe(3);
    expect(nextSlowStartStep(10, 5_000, 10_000)).toBe(6_000);
    expect(nextSlowStartStep(10, 10_000, 10_000)).toBeUndefined();
  });

  it("never goes down, stays within 1..weight, and ends at the weight", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 65535 }),
        fc.integer({ min: 1, max: 3_600_000 }),
        fc.array(fc.integer({ min: 0, max: 4_000_000 }), { minLength: 2 }),
        (weight, duration, times) => {
          const sorted = [...times].sort((a, b) => a - b);
          const ws = sorted.map((t) => slowStartWeight(weight, t, duration));
          return (
            ws.every((w, i) => w >= 1 && w <= weight && (i === 0 || w >= (ws[i - 1] as number))) &&
            slowStartWeight(weight, duration, duration) === weight
          );
        },
      ),
    );
  });
});

describe("what the agent decides locally", () => {
  it("removes a failed real server, and gives it its weight back when it recovers", () => {
    const spec = cluster();
    const failed = run(spec, { "198.18.0.11": down() });
    expect(weights(failed.table)).toEqual({ "198.18.0.12:80": 1 });
    expect(failed.realServers[0]).toMatchObject({ state: "down", action: "removed", desiredWeight: 3 });
    expect(failed.realServers[0]?.effectiveWeight).toBeUndefined();
    expect(weights(run(spec, {}).table)).toEqual({ "198.18.0.11:80": 3, "198.18.0.12:80": 1 });
  });

  it("with inhibit_on_failure keeps it at weight 0 (service or server setting)", () => {
    const inhibited = run(cluster({ inhibitOnFailure: true }), { "198.18.0.11": down() });
    expect(weights(inhibited.table)).toEqual({ "198.18.0.11:80": 0, "198.18.0.12:80": 1 });
    expect(inhibited.realServers[0]).toMatchObject({ action: "inhibited", effectiveWeight: 0, desiredWeight: 3 });
    const perServer = cluster({}, [
      { address: "198.18.0.11", port: 80, weight: 3, healthChecks: [tcp], inhibitOnFailure: true },
      { address: "198.18.0.12", port: 80, weight: 1, healthChecks: [tcp] },
    ]);
    expect(weights(run(perServer, { "198.18.0.11": down(), "198.18.0.12": down() }).table)).toEqual({
      "198.18.0.11:80": 0,
    });
  });

  it("ramps a recovered server's weight with slow start, not a server that never failed", () => {
    const spec = cluster({ slowStart: 10 }, [
      { address: "198.18.0.11", port: 80, weight: 10, healthChecks: [tcp] },
      { address: "198.18.0.12", port: 80, weight: 1, healthChecks: [tcp] },
    ]);
    const recovered = run(spec, { "198.18.0.11": { ...up, recoveredAt: 1_000 } }, 6_000);
    expect(weights(recovered.table)["198.18.0.11:80"]).toBe(5);
    expect(recovered.realServers[0]).toMatchObject({ action: "slow-start", effectiveWeight: 5, desiredWeight: 10 });
    expect(weights(run(spec, { "198.18.0.11": { ...up, recoveredAt: 1_000 } }, 11_000).table)["198.18.0.11:80"]).toBe(
      10,
    );
    expect(weights(run(spec, {}, 6_000).table)["198.18.0.11:80"]).toBe(10);
  });

  it("lets a misc_dynamic check set the weight", () => {
    const result = run(cluster(), { "198.18.0.12": { ...up, dynamicWeight: 7 } });
    expect(weights(result.table)["198.18.0.12:80"]).toBe(7);
    expect(result.realServers[1]).toMatchObject({ action: "dynamic", desiredWeight: 1, effectiveWeight: 7 });
  });

  it("hands the traffic to the sorry server when the quorum is lost, and back when it returns", () => {
    const spec = cluster({ quorum: { weight: 3 }, sorryServer: { address: "198.18.0.99", port: 8080 } });
    const lost = run(spec, { "198.18.0.11": down() });
    expect(weights(lost.table)).toEqual({ "198.18.0.99:8080": 1 });
    expect(lost.services).toEqual([
      { service: "http", healthyWeight: 1, quorum: 3, quorumState: "down", sorryServer: "active" },
    ]);
    expect(lost.realServers.map((r) => r.action)).toEqual(["quorum-lost", "quorum-lost", "sorry"]);
    const back = run(spec, {}, 0, lost.quorum);
    expect(weights(back.table)).toEqual({ "198.18.0.11:80": 3, "198.18.0.12:80": 1 });
    expect(back.services[0]).toMatchObject({ quorumState: "up", sorryServer: "standby" });
  });

  it("keeps an inhibited sorry server at weight 0 while it is not needed", () => {
    const spec = cluster({ sorryServer: { address: "198.18.0.99", inhibit: true } });
    expect(weights(run(spec, {}).table)).toEqual({ "198.18.0.11:80": 3, "198.18.0.12:80": 1, "198.18.0.99:80": 0 });
    expect(weights(run(spec, { "198.18.0.11": down(), "198.18.0.12": down() }).table)).toEqual({
      "198.18.0.99:80": 1,
    });
  });

  it("without a sorry server a lost quorum only reports (keepalived keeps the live servers)", () => {
    const spec = cluster({ quorum: { weight: 4 } });
    const result = run(spec, { "198.18.0.12": down() });
    expect(weights(result.table)).toEqual({ "198.18.0.11:80": 3 });
    expect(result.services[0]?.quorumState).toBe("down");
  });

  it("leaves services without health policy, and destinations the spec does not know, as desired", () => {
    const spec = cluster();
    const desired = desiredTable(spec);
    const http = desired.services[0] as IpvsTable["services"][number];
    http.destinations.push({
      ...(http.destinations[0] as IpvsTable["services"][number]["destinations"][number]),
      address: "198.18.0.13",
    });
    desired.services.push({ ...http, port: 443 });
    const result = decide(desired, healthPolicies(spec), () => down(), new Map(), 0);
    expect(result.table.services[1]).toEqual(desired.services[1]);
    expect(weights(result.table)).toEqual({ "198.18.0.13:80": 3 });
  });

  it("never raises a weight above the desired one, nor invents a destination (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ w: fc.integer({ min: 0, max: 100 }), state: fc.constantFrom("up", "down", "unknown") }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.boolean(),
        fc.integer({ min: 0, max: 20_000 }),
        (servers, inhibit, now) => {
          const spec = cluster(
            { inhibitOnFailure: inhibit, slowStart: 10 },
            servers.map((s, i) => ({ address: `198.18.0.${20 + i}`, port: 80, weight: s.w, healthChecks: [tcp] })),
          );
          const health = Object.fromEntries(
            servers.map((s, i) => [
              `198.18.0.${20 + i}`,
              { state: s.state, reason: "x", recoveredAt: 0 } as ServerHealth,
            ]),
          );
          const result = run(spec, health, now);
          const desired = weights(desiredTable(spec));
          return Object.entries(weights(result.table)).every(([k, w]) => k in desired && w <= (desired[k] as number));
        },
      ),
    );
  });
});
