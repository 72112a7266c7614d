import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directorWeights } from "./fleet.ts";
import {
  finished,
  type MaintenanceFleet,
  readEvents,
  SERVERS,
  specWeights,
  startMaintenanceFleet,
  until,
} from "./maintenance-fleet.ts";

/**
 * Maintenance jobs end to end: the server, Redis and six agents as real processes (two sim
 * directors with the kernel-faithful IPVS simulator, four real servers), clients held on real
 * servers through the sim driver's SetSimulatedTraffic. Drains end when those connections end,
 * time out when they do not, cancel restores, one job per cluster at a time, idempotency keys,
 * runAt and cron schedules, the SSE stream.
 */
let fleet: MaintenanceFleet;
const WEB2 = "192.168.1.231";

beforeAll(async () => {
  fleet = await startMaintenanceFleet();
});
afterAll(async () => {
  await fleet?.cleanup();
});

const submit = (body: unknown) => fleet.api.post("/v1/clusters/web/jobs", body);

async function hold(address: string, count: number, lifetimeSeconds = 0) {
  const traffic = await fleet.master.setSimulatedTraffic({
    hold: [{ address, port: 80, count, lifetimeSeconds }],
  });
  expect(traffic.held).toBeGreaterThanOrEqual(count);
}

describe("drain", () => {
  it("finishes when the sim driver's connections end, and undrain restores the weight", async () => {
    await hold(WEB2, 5, 2);
    const started = Date.now();
    const response = await submit({ kind: "drain", targets: [`${WEB2}:80`], options: { timeout: "20s" } });
    expect(response.status).toBe(202);
    const id = response.body.job.id;
    expect(id).toMatch(/^m-\d+$/);
    // while the connections live, the job waits and reports them
    const waiting = await until("connections reported as progress", async () => {
      const { body } = await fleet.api.get(`/v1/jobs/${id}`);
      return body.progress?.connectionsLeft > 0 ? body : undefined;
    });
    expect(waiting.state).toBe("active");
    expect(waiting.drained).toEqual([`http/${WEB2}:80`]);
    expect((await directorWeights(fleet, "lb-master"))[`${WEB2}:80`]).toBe(0);
    const job = await finished(fleet, id);
    expect(job.state).toBe("completed");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(job.steps.map((s: any) => s.state)).toEqual(["done", "done", "done"]);
    expect(job.steps[1].detail).toBe("no connections left");
    expect((await specWeights(fleet))[`${WEB2}:80`]).toBe(0);
    const undrain = await submit({ kind: "undrain", targets: [WEB2] });
    expect(undrain.status).toBe(202);
    expect((await finished(fleet, undrain.body.job.id)).state).toBe("completed");
    expect((await specWeights(fleet))[`${WEB2}:80`]).toBe(1);
    await until("both directors back at weight 1", async () =>
      (await directorWeights(fleet, "lb-master"))[`${WEB2}:80`] === 1 &&
      (await directorWeights(fleet, "lb-backup"))[`${WEB2}:80`] === 1
        ? true
        : undefined,
    );
    // nothing left to undrain
    expect((await submit({ kind: "undrain", targets: [WEB2] })).status).toBe(409);
  });

  it("times out at its deadline while connections stay, and restores the weight", async () => {
    await hold(WEB2, 3);
    try {
      const started = Date.now();
      const response = await submit({ kind: "drain", targets: [`${WEB2}:80`], options: { timeout: "1500ms" } });
      const job = await finished(fleet, response.body.job.id);
      const took = Date.now() - started;
      expect(job.state).toBe("failed");
      expect(job.error).toMatch(/deadline \(1\.5 s\) passed with 3 connection\(s\) left on 192\.168\.1\.231:80/);
      expect(took).toBeGreaterThanOrEqual(1_500);
      expect(took).toBeLessThan(8_000);
      expect(job.steps[1].state).toBe("failed");
      expect(job.drained).toEqual([]);
      expect((await specWeights(fleet))[`${WEB2}:80`]).toBe(1);
      expect((await directorWeights(fleet, "lb-master"))[`${WEB2}:80`]).toBe(1);
    } finally {
      await fleet.master.setSimulatedTraffic({ releaseHeld: true });
    }
  });

  it("cancel stops at a safe point and restores the previous weight", async () => {
    await fleet.api.patch(`/v1/clusters/web/services/http/real-servers/${WEB2}:80`, { weight: 4 });
    await until("weight 4 stored", async () => ((await specWeights(fleet))[`${WEB2}:80`] === 4 ? true : undefined));
    await hold(WEB2, 2);
    try {
      const id = (await submit({ kind: "maintenance", targets: [WEB2], options: { for: "1h" } })).body.job.id;
      await until("the drain to wait for connections", async () => {
        const { body } = await fleet.api.get(`/v1/jobs/${id}`);
        return body.steps[1]?.state === "running" ? true : undefined;
      });
      expect((await specWeights(fleet))[`${WEB2}:80`]).toBe(0);
      const cancel = await fleet.api.post(`/v1/jobs/${id}/cancel`);
      expect(cancel.status).toBe(200);
      expect(cancel.body.control).toBe("cancel");
      const job = await finished(fleet, id);
      expect(job.state).toBe("cancelled");
      expect(job.result.summary).toMatch(/weight 0 -> 4/);
      expect((await specWeights(fleet))[`${WEB2}:80`]).toBe(4);
      await until("lb-master back at weight 4", async () =>
        (await directorWeights(fleet, "lb-master"))[`${WEB2}:80`] === 4 ? true : undefined,
      );
      // a finished job cannot be cancelled again
      expect((await fleet.api.post(`/v1/jobs/${id}/cancel`)).status).toBe(409);
    } finally {
      await fleet.master.setSimulatedTraffic({ releaseHeld: true });
      await fleet.api.patch(`/v1/clusters/web/services/http/real-servers/${WEB2}:80`, { weight: 1 });
    }
  });
});

describe("one job per cluster", () => {
  it("two jobs on one cluster never overlap; the second waits its turn", async () => {
    const a = (await submit({ kind: "maintenance", targets: [SERVERS[0]], options: { for: "1s" } })).body.job.id;
    const b = (await submit({ kind: "maintenance", targets: [SERVERS[2]], options: { for: "200ms" } })).body.job.id;
    const [jobA, jobB] = [await finished(fleet, a), await finished(fleet, b)];
    expect(jobA.state).toBe("completed");
    expect(jobB.state).toBe("completed");
    expect(Date.parse(jobB.startedAt)).toBeGreaterThanOrEqual(Date.parse(jobA.finishedAt) - 5);
    const eventsB = await readEvents(fleet, b);
    expect(eventsB.some((e) => e.state === "waiting" && e.message.includes(a))).toBe(true);
    // every event of either job: never both servers out together
    const eventsA = await readEvents(fleet, a);
    const timeline = [...eventsA, ...eventsB].sort((x, y) => x.time - y.time);
    let outA: string[] = [];
    let outB: string[] = [];
    for (const e of timeline) {
      if (eventsA.includes(e)) outA = e.drained;
      else outB = e.drained;
      expect(outA.length + outB.length).toBeLessThanOrEqual(1);
    }
    expect(await specWeights(fleet)).toEqual(Object.fromEntries(SERVERS.map((s) => [s, 1])));
  });
});

describe("idempotency, schedules and the event stream", () => {
  it("the same idempotency key returns the first job", async () => {
    const body = { kind: "drain", targets: [WEB2], options: { timeout: "5s" }, idempotencyKey: "change-4711" };
    const first = await submit(body);
    const again = await submit(body);
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.job.id).toBe(first.body.job.id);
    const jobs = (await fleet.api.get("/v1/jobs?cluster=web&state=queued,active,waiting,completed")).body.jobs;
    expect(jobs.filter((j: any) => j.idempotencyKey === "change-4711")).toHaveLength(1);
    await finished(fleet, first.body.job.id);
    expect((await finished(fleet, (await submit({ kind: "undrain", targets: [WEB2] })).body.job.id)).state).toBe(
      "completed",
    );
  });

  it("a job with runAt fires at its time (time zone given)", async () => {
    const at = new Date(Date.now() + 2_500);
    // the same instant written as Tokyo wall time without an offset, read in timeZone
    const tokyo = new Date(at.getTime() + 9 * 3_600_000).toISOString().replace(/\.\d+Z$/, "");
    const response = await submit({
      kind: "maintenance",
      targets: [SERVERS[3]],
      options: { for: "200ms" },
      runAt: tokyo,
      timeZone: "Asia/Tokyo",
    });
    expect(response.status).toBe(202);
    expect(response.body.job.state).toBe("scheduled");
    const runAt = Date.parse(response.body.job.runAt);
    expect(Math.abs(runAt - Math.floor(at.getTime() / 1000) * 1000)).toBeLessThan(1_000);
    const job = await finished(fleet, response.body.job.id);
    expect(job.state).toBe("completed");
    expect(Date.parse(job.startedAt)).toBeGreaterThanOrEqual(runAt - 50);
    expect(Date.parse(job.startedAt) - runAt).toBeLessThan(2_500);
  });

  it("a cron schedule fires, is listed, and is removed", async () => {
    const response = await submit({
      kind: "maintenance",
      targets: [SERVERS[3]],
      options: { for: "100ms" },
      cron: "*/2 * * * * *",
      idempotencyKey: "every-two-seconds",
    });
    expect(response.status).toBe(201);
    const id = response.body.schedule.id;
    expect(id).toBe("s-web.every-two-seconds"); // a schedule belongs to its cluster
    expect((await fleet.api.get("/v1/schedules")).body.schedules.map((s: any) => s.id)).toContain(id);
    const fired = await until("a job made by the schedule", async () => {
      const jobs = (await fleet.api.get("/v1/jobs?cluster=web")).body.jobs;
      return jobs.find((j: any) => j.scheduleId === id);
    });
    expect(fired.kind).toBe("maintenance");
    expect((await fleet.api.request("DELETE", `/v1/schedules/${id}`)).status).toBe(200);
    expect((await fleet.api.get(`/v1/schedules/${id}`)).status).toBe(404);
    // let what it made finish before the next test
    await until("the schedule's jobs to finish", async () => {
      const jobs = (await fleet.api.get("/v1/jobs?cluster=web&state=queued,scheduled,waiting,active")).body.jobs;
      return jobs.length === 0 ? true : undefined;
    });
  });

  it("the SSE stream delivers every progress event in order and ends with the job", async () => {
    await hold(WEB2, 2, 1);
    const id = (await submit({ kind: "drain", targets: [WEB2], options: { timeout: "10s" } })).body.job.id;
    const events = await readEvents(fleet, id);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]).toMatchObject({ type: "state", state: "queued" });
    expect(events.at(-1)).toMatchObject({ type: "state", state: "completed" });
    const steps = events.filter((e) => e.type === "step" && e.stepState === "done").map((e) => e.step);
    expect(steps).toEqual([0, 1, 2]);
    const progress = events.filter((e) => e.type === "progress");
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1).progress.connectionsLeft).toBe(0);
    // resuming after an event number gives the rest only
    const rest = await readEvents(fleet, id, 3);
    expect(rest.map((e) => e.seq)).toEqual(events.slice(3).map((e) => e.seq));
    await finished(fleet, (await submit({ kind: "undrain", targets: [WEB2] })).body.job.id);
  });
});

describe("the queue dashboard", () => {
  it("is at /admin/queues for admin tokens only, as Bearer or as the Basic password", async () => {
    const page = (headers: Record<string, string>) =>
      fetch(`${fleet.url}/admin/queues`, { headers }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const none = await page({});
    expect(none.status).toBe(401);
    const operator = await fleet.api.post("/v1/tokens", { name: "dash-operator", role: "operator" });
    expect((await page({ authorization: `Bearer ${operator.body.token}` })).status).toBe(403);
    const bearer = await page({ authorization: `Bearer ${fleet.api.token}` });
    expect(bearer.status).toBe(200);
    expect(bearer.text).toMatch(/lvsfleet queues/);
    const basic = Buffer.from(`anyone:${fleet.api.token}`).toString("base64");
    expect((await page({ authorization: `Basic ${basic}` })).status).toBe(200);
    const queues = await fetch(`${fleet.url}/admin/queues/api/queues`, {
      headers: { authorization: `Bearer ${fleet.api.token}` },
    }).then((r) => r.json() as Promise<any>);
    expect(queues.queues.map((q: any) => q.name).sort()).toEqual(["commands", "maintenance"]);
    expect(queues.queues.every((q: any) => q.readOnlyMode)).toBe(true);
  });
});

describe("bad requests", () => {
  it("names the field and the reason", async () => {
    const cases: [unknown, string][] = [
      [{ kind: "drain" }, "targets"],
      [{ kind: "drain", targets: ["10.9.9.9"] }, "targets[0]"],
      [{ kind: "drain", targets: [WEB2], options: { timeout: "soon" } }, "options.timeout"],
      [{ kind: "rolling", options: { minCapacity: 90 } }, "options.minCapacity"],
      [{ kind: "drain", targets: [WEB2], runAt: "tomorrow" }, "runAt"],
      [{ kind: "drain", targets: [WEB2], cron: "* * *" }, "cron"],
      [{ kind: "drain", targets: [WEB2], timeZone: "Mars/Olympus" }, "timeZone"],
      [{ kind: "switchover", options: { method: "priority" } }, "options.method"],
      [{ kind: "nap" }, "kind"],
    ];
    for (const [body, field] of cases) {
      const response = await submit(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.field, JSON.stringify(response.body)).toBe(field);
    }
    expect((await fleet.api.post("/v1/clusters/nope/jobs", { kind: "drain", targets: [WEB2] })).status).toBe(404);
    expect((await fleet.api.get("/v1/jobs/m-999999")).status).toBe(404);
  });
});
