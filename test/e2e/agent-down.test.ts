import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directorWeights, startDemoFleet } from "./fleet.ts";

type Fleet = Awaited<ReturnType<typeof startDemoFleet>>;
const RS2 = "/v1/clusters/web/services/http/real-servers/192.168.1.231:80";

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function agentReachable(fleet: Fleet, host: string): Promise<boolean | undefined> {
  const { body } = await fleet.api.get("/v1/agents");
  return body.agents.find((a: any) => a.host === host)?.reachable;
}

describe("an agent that is down: the job retries with a clear error and succeeds once the agent returns", () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startDemoFleet({ LVSFLEET_JOB_ATTEMPTS: "12" });
  });
  afterAll(async () => {
    await fleet?.cleanup();
  });

  it("retries while lb-backup is down, then completes when it is back", async () => {
    await fleet.agents.get("lb-backup")!.kill();
    await waitFor("lb-backup to be marked unreachable", async () =>
      (await agentReachable(fleet, "lb-backup")) === false ? true : undefined,
    );

    const response = await fleet.api.patch(RS2, { weight: 4 });
    expect(response.status).toBe(202);
    const id = response.body.job.id;
    const retrying = await waitFor("the job to fail an attempt", async () => {
      const job = (await fleet.api.get(`/v1/jobs/${id}`)).body;
      return job.retrying ? job : undefined;
    });
    expect(retrying.state).not.toBe("completed");
    expect(retrying.error).toMatch(/^Apply on agent lb-backup \(127\.0\.0\.1:\d+\) failed: agent unreachable/);
    // The reachable director already has the change; the dead one cannot.
    expect((await directorWeights(fleet, "lb-master"))["192.168.1.231:80"]).toBe(4);

    await fleet.restartAgent("lb-backup");
    const job = await fleet.api.waitForJob(id, 30_000);
    expect(job.state).toBe("completed");
    expect(job.attempts.made).toBeGreaterThan(1);
    expect((await directorWeights(fleet, "lb-backup"))["192.168.1.231:80"]).toBe(4);
    await waitFor(
      "lb-backup to be reachable again",
      async () => ((await agentReachable(fleet, "lb-backup")) ? true : undefined),
      5_000,
    );
  });

  it("a director that kept running while the server could not reach it keeps its table (fail static)", async () => {
    const { body } = await fleet.api.get("/v1/clusters/web/status");
    const backup = body.hosts.find((h: any) => h.host === "lb-backup");
    expect(backup).toMatchObject({ roleState: "running", inSync: true });
  });
});

describe("when every attempt fails the job is failed with the reason, and a retry succeeds after the agent returns", () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startDemoFleet({ LVSFLEET_JOB_ATTEMPTS: "2" });
  });
  afterAll(async () => {
    await fleet?.cleanup();
  });

  it("fails, then POST /v1/jobs/{id}/retry completes it", async () => {
    await fleet.agents.get("lb-master")!.kill();
    const response = await fleet.api.patch(RS2, { weight: 6 });
    const failed = await fleet.api.waitForJob(response.body.job.id);
    expect(failed.state).toBe("failed");
    expect(failed.attempts).toEqual({ made: 2, max: 2 });
    expect(failed.error).toMatch(/^Apply on agent lb-master \(127\.0\.0\.1:\d+\) failed: agent unreachable/);

    await fleet.restartAgent("lb-master");
    await waitFor("lb-master to be reachable", async () =>
      (await agentReachable(fleet, "lb-master")) ? true : undefined,
    );
    const retried = await fleet.api.post(`/v1/jobs/${response.body.job.id}/retry`);
    expect(retried.status).toBe(200);
    const job = await fleet.api.waitForJob(response.body.job.id);
    expect(job.state).toBe("completed");
    expect((await directorWeights(fleet, "lb-master"))["192.168.1.231:80"]).toBe(6);
  });
});
