import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoFleet } from "./fleet.ts";

/**
 * Big specs through the front door (issue 14): the spec routes take bodies up to
 * LVSFLEET_MAX_SPEC_BYTES (32 MiB), every other route keeps LVSFLEET_MAX_BODY_BYTES (1 MiB); a body
 * over its limit is a 413 naming the limit and the setting, and changes nothing.
 */
let fleet: Awaited<ReturnType<typeof startDemoFleet>>;

beforeAll(async () => {
  fleet = await startDemoFleet();
});
afterAll(async () => {
  await fleet?.cleanup();
});

const MiB = 1024 * 1024;
const generation = async () => (await fleet.api.get("/v1/clusters/web")).body.generation as number;
const weights = async () =>
  (await fleet.api.get("/v1/clusters/web")).body.spec.services[0].realServers.map((r: { weight: number }) => r.weight);

/** A JSON object of about `bytes` bytes: a padding field the schema would refuse anyway (it is never read). */
const padded = (bytes: number, fields: Record<string, unknown> = {}) =>
  JSON.stringify({ ...fields, padding: "x".repeat(bytes) });

describe("body limits: specs have their own", () => {
  it("a spec over LVSFLEET_MAX_SPEC_BYTES (32 MiB) is refused with 413 naming the limit and the setting; nothing changes", async () => {
    const before = await generation();
    const put = await fleet.api.request("PUT", "/v1/clusters/web", padded(32 * MiB + 1), {
      "content-type": "application/json",
    });
    expect(put.status).toBe(413);
    expect(put.body.error.message).toBe(
      "the spec is larger than 33554432 bytes (32 MiB), the limit LVSFLEET_MAX_SPEC_BYTES sets",
    );
    const plan = await fleet.api.request("POST", "/v1/clusters/web/plan", padded(33 * MiB), {
      "content-type": "application/json",
    });
    expect(plan.status).toBe(413);
    expect(plan.body.error.message).toContain("LVSFLEET_MAX_SPEC_BYTES");
    expect(await generation()).toBe(before);
  });

  it("a 2 MiB body on a route that takes no spec is refused with 413 naming LVSFLEET_MAX_BODY_BYTES (1 MiB, unchanged); nothing changes", async () => {
    const before = await generation();
    const was = await weights();
    const patch = await fleet.api.request(
      "PATCH",
      "/v1/clusters/web/services/http/real-servers/192.168.1.220:80",
      padded(2 * MiB, { weight: 7 }),
      { "content-type": "application/json" },
    );
    expect(patch.status).toBe(413);
    expect(patch.body.error.message).toBe(
      "the body is larger than 1048576 bytes (1 MiB), the limit LVSFLEET_MAX_BODY_BYTES sets",
    );
    // a path that only looks like a spec route keeps the small limit too
    const jobs = await fleet.api.request("POST", "/v1/clusters/web/jobs", padded(2 * MiB), {
      "content-type": "application/json",
    });
    expect(jobs.status).toBe(413);
    expect(jobs.body.error.message).toContain("LVSFLEET_MAX_BODY_BYTES");
    expect(await generation()).toBe(before);
    expect(await weights()).toEqual(was);
  });

  it("a spec between 1 MiB and 32 MiB reaches validation on PUT and plan (a 400 naming the bad key, not a 413)", async () => {
    const before = await generation();
    for (const [method, path] of [
      ["PUT", "/v1/clusters/web"],
      ["POST", "/v1/clusters/web/plan"],
    ] as const) {
      const answer = await fleet.api.request(method, path, padded(2 * MiB, { vips: ["192.168.1.229"], services: [] }), {
        "content-type": "application/json",
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toContain("padding");
    }
    expect(await generation()).toBe(before);
  });
});
