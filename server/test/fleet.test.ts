import { AgentCallError } from "@lvsfleet/rpc";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AgentNotRegisteredError, AgentRefusedError } from "../src/agents/pool.ts";
import { HostNotOwnedError, HostOwnedError } from "../src/store/host-owners.ts";
import { FakeFleet } from "./support/fake-fleet.ts";

let fleet: FakeFleet;
beforeEach(async () => {
  fleet = new FakeFleet();
  await fleet.director("lb1", { cluster: "web" });
  await fleet.director("lb9", { cluster: "shop" });
  await fleet.director("lb-new", { cluster: undefined });
});
afterEach(async () => {
  await fleet.close();
});

describe("Fleet: a cluster reaches only the hosts it owns", () => {
  it("answers for an owned, registered host", async () => {
    expect((await fleet.state("web", "lb1")).info.host).toBe("lb1");
  });

  it("refuses another cluster's host, a host nobody owns, an unregistered one, a revoked one; nothing is called", async () => {
    await expect(fleet.state("web", "lb9")).rejects.toThrow(HostOwnedError);
    await expect(fleet.stop("web", "lb9")).rejects.toThrow("lb9 belongs to cluster shop");
    await expect(fleet.state("web", "lb-new")).rejects.toThrow(HostNotOwnedError);
    await fleet.owners.reserve("ghost", "web");
    await expect(fleet.state("web", "ghost")).rejects.toThrow(AgentNotRegisteredError);
    fleet.revoke("lb1", "revoked by admin");
    await expect(fleet.runAction("web", "lb1", "restart")).rejects.toThrow(AgentRefusedError);
    await expect(fleet.state("web", "lb1")).rejects.toThrow("agent lb1 is not called: revoked by admin");
    expect(fleet.calls).toEqual([]);
  });

  it("a plan's preview may reach the hosts it would claim, and only those", async () => {
    const claiming = new Set(["lb-new", "lb9"]);
    expect((await fleet.states("web", ["lb-new", "lb9"], { claiming })).map((r) => r.ok)).toEqual([true, true]);
    const dry = await fleet.apply(
      "web",
      "lb-new",
      { generation: 1, desired: { services: [] }, dryRun: true },
      { claiming },
    );
    expect(dry.operations).toEqual([]);
    await expect(
      fleet.apply("web", "lb-new", { generation: 1, desired: { services: [] }, dryRun: true }),
    ).rejects.toThrow(HostNotOwnedError);
    // claiming is for previews only: a real Apply to a host the cluster does not own never goes out
    await expect(fleet.apply("web", "lb9", { generation: 1, desired: { services: [] } }, { claiming })).rejects.toThrow(
      "only a dry run may reach hosts web does not own yet",
    );
    expect(fleet.calls.filter((c) => c.startsWith("Apply lb9"))).toEqual([]);
  });

  it("states: every host read at once, each with its answer or the reason it has none", async () => {
    await fleet.owners.reserve("ghost", "web");
    await fleet.director("lb2", { cluster: "web" });
    await fleet.director("lb3", { cluster: "web" });
    fleet.down("lb2", "connection refused");
    fleet.revoke("lb3", "revoked");
    const readings = await fleet.states("web", ["lb1", "lb9", "lb-new", "ghost", "lb2", "lb3"]);
    expect(readings.map((r) => (r.ok ? `${r.host} ok` : `${r.host} ${r.reason}`))).toEqual([
      "lb1 ok",
      "lb9 owned-elsewhere",
      "lb-new not-owned",
      "ghost not-registered",
      "lb2 unreachable",
      "lb3 refused",
    ]);
    const down = readings[4]!;
    expect(!down.ok && down.error).toBe(
      new AgentCallError("lb2", "lb2.fake:7100", "GetState", 14, "connection refused").message,
    );
    expect(fleet.calls.sort()).toEqual(["GetState lb1", "GetState lb2"]);
  });
});
