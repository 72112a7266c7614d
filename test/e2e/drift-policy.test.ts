import { DEMO_CLUSTER } from "@lvsfleet/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoFleet } from "./fleet.ts";

let fleet: Awaited<ReturnType<typeof startDemoFleet>>;

beforeAll(async () => {
  fleet = await startDemoFleet();
});
afterAll(async () => {
  await fleet?.cleanup();
});

describe("driftPolicy in the cluster spec (REST)", () => {
  it("a value other than report or correct is a 400 naming driftPolicy and the values it takes; nothing changes", async () => {
    const before = (await fleet.api.get("/v1/clusters/web")).body;
    const response = await fleet.api.put("/v1/clusters/web", { ...DEMO_CLUSTER, driftPolicy: "repair" });
    expect(response.status).toBe(400);
    expect(response.body.error.field).toBe("driftPolicy");
    expect(response.body.error.message).toMatch(/must be report .* or correct/);
    const after = (await fleet.api.get("/v1/clusters/web")).body;
    expect(after.generation).toBe(before.generation);
    expect(after.spec.driftPolicy).toBeUndefined();
  });

  it("correct is stored with the spec and applied (the job completes); the OpenAPI document describes it and the status field drift", async () => {
    const response = await fleet.api.put("/v1/clusters/web", { ...DEMO_CLUSTER, driftPolicy: "correct" });
    expect(response.status, response.text).toBe(202);
    expect((await fleet.api.waitForJob(response.body.job.id)).state).toBe("completed");
    expect((await fleet.api.get("/v1/clusters/web")).body.spec.driftPolicy).toBe("correct");
    const doc = (await (await fetch(`${fleet.url}/openapi.json`)).json()) as {
      components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> };
    };
    expect(doc.components.schemas.ClusterSpec?.properties.driftPolicy?.enum).toEqual(["report", "correct"]);
    expect(doc.components.schemas.ClusterStatus?.properties).toHaveProperty("drift");
  });
});
