import { describe, expect, it } from "vitest";
import {
  describeStep,
  EMPTY_LEDGER,
  type HostIntent,
  type HostSnapshot,
  planGiveUp,
  planTakeUp,
  recordSteps,
} from "../src/index.ts";

const eth0 = { address: "198.18.0.11", prefixLength: 24, interface: "eth0" };
const viaRouter = { destination: "default", via: "198.18.0.1", interface: "eth0" };
const host = (routes = [viaRouter]): HostSnapshot => ({ addresses: [eth0], routes, sysctls: {} });
const nat: HostIntent = {
  addresses: [],
  routes: [],
  sysctls: {},
  replaceRoutes: [{ destination: "default", via: "198.18.0.2" }],
};

describe("replace-route: a NAT real server's default route via the director", () => {
  it("replaces the default route and remembers the one it replaced", () => {
    const steps = planTakeUp(nat, host());
    expect(steps).toEqual([
      { kind: "replace-route", route: { destination: "default", via: "198.18.0.2" }, prior: viaRouter },
    ]);
    expect(steps.map(describeStep)).toEqual(["ip route replace default via 198.18.0.2"]);
    const ledger = recordSteps(EMPTY_LEDGER, steps, host());
    expect(ledger.replacedRoutes).toEqual([{ route: { destination: "default", via: "198.18.0.2" }, prior: viaRouter }]);
  });

  it("is idempotent: a host whose route already goes via the director needs nothing", () => {
    expect(planTakeUp(nat, host([{ destination: "default", via: "198.18.0.2", interface: "eth0" }]))).toEqual([]);
  });

  it("puts the prior route back on give-up", () => {
    const ledger = recordSteps(EMPTY_LEDGER, planTakeUp(nat, host()), host());
    const now = host([{ destination: "default", via: "198.18.0.2", interface: "eth0" }]);
    const steps = planGiveUp(ledger, now);
    expect(steps.map(describeStep)).toEqual(["ip route replace default via 198.18.0.1 dev eth0"]);
  });

  it("removes its route on give-up when the host had none before", () => {
    const ledger = recordSteps(EMPTY_LEDGER, planTakeUp(nat, host([])), host([]));
    expect(ledger.replacedRoutes).toEqual([{ route: { destination: "default", via: "198.18.0.2" }, prior: undefined }]);
    const steps = planGiveUp(ledger, host([{ destination: "default", via: "198.18.0.2", interface: "eth0" }]));
    expect(steps.map(describeStep)).toEqual(["ip route del default via 198.18.0.2 dev eth0"]);
  });

  it("leaves a route alone that someone changed after lvsfleet set it", () => {
    const ledger = recordSteps(EMPTY_LEDGER, planTakeUp(nat, host()), host());
    expect(planGiveUp(ledger, host([{ destination: "default", via: "198.18.0.9", interface: "eth0" }]))).toEqual([]);
  });

  it("keeps the first prior route when the route is replaced again (a new director)", () => {
    const first = recordSteps(EMPTY_LEDGER, planTakeUp(nat, host()), host());
    const moved: HostIntent = { ...nat, replaceRoutes: [{ destination: "default", via: "198.18.0.3" }] };
    const current = host([{ destination: "default", via: "198.18.0.2", interface: "eth0" }]);
    const second = recordSteps(first, planTakeUp(moved, current), current);
    expect(second.replacedRoutes).toEqual([{ route: { destination: "default", via: "198.18.0.3" }, prior: viaRouter }]);
  });
});
