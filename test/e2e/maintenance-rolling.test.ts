import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentControlClient, signSlackCommand } from "@lvsfleet/devfleet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directorWeights, responseUrlServer, SLACK_SECRET } from "./fleet.ts";
import {
  FOUR_AGENTS,
  finished,
  type MaintenanceFleet,
  readEvents,
  SERVERS,
  specWeights,
  startMaintenanceFleet,
  until,
} from "./maintenance-fleet.ts";

/**
 * Rolling restarts, switch-over and chat, end to end with real processes: a rolling job over four
 * servers with min 75 % never has two out at once (checked on the directors while it runs and on
 * every recorded event), stops when a server stays unhealthy, and finishes with every server
 * restored after the server process is SIGKILLed mid-job and started again.
 */
let fleet: MaintenanceFleet;
/** Each real-server agent's allowlist (--actions-file): what a rolling job may run there, by name. */
const actionsDir = mkdtempSync(join(tmpdir(), "lvsfleet-actions-"));

beforeAll(async () => {
  const agents = FOUR_AGENTS.map((agent) => {
    if (agent.role !== "real-server") return agent;
    const file = join(actionsDir, `${agent.host}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        actions: {
          "restart-web": { command: ["/usr/bin/touch", join(actionsDir, `${agent.host}.restarted`)] },
          broken: { command: ["/bin/false"], description: "always fails" },
        },
      }),
    );
    return { ...agent, args: ["--actions-file", file] };
  });
  fleet = await startMaintenanceFleet({}, agents);
});
afterAll(async () => {
  await fleet?.cleanup();
  rmSync(actionsDir, { recursive: true, force: true });
});

const submit = (body: unknown) => fleet.api.post("/v1/clusters/web/jobs", body);
const ALL_ONE = Object.fromEntries(SERVERS.map((s) => [s, 1]));

/** Samples lb-master's table until stopped: how many of the four servers are at weight 0 (or gone). */
function watchDrained(): { stop(): Promise<number[]> } {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const weights = await directorWeights(fleet, "lb-master").catch(() => undefined);
      if (weights) samples.push(SERVERS.filter((s) => !weights[s]).length);
      await new Promise((r) => setTimeout(r, 40));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

describe("rolling", () => {
  it("over four servers with min 75 %: never more than one drained, every one restored", async () => {
    const watch = watchDrained();
    const response = await submit({
      kind: "rolling",
      targets: ["http"],
      options: { batch: 2, minCapacity: 75, action: { pause: "300ms" }, healthTimeout: "10s" },
    });
    expect(response.status).toBe(202);
    const id = response.body.job.id;
    const job = await finished(fleet, id, 60_000);
    const samples = await watch.stop();
    expect(job.state, job.error).toBe("completed");
    // batch 2 asked, but two of four is 50 %: the planner takes one at a time
    expect(job.steps.filter((s: any) => s.kind === "drain")).toHaveLength(4);
    expect(job.progress).toMatchObject({ serversDone: 4, serversTotal: 4 });
    expect(samples.length).toBeGreaterThan(10);
    expect(Math.max(...samples)).toBe(1);
    // the property over every recorded event: at most one server out at any moment, each one back
    const events = await readEvents(fleet, id);
    expect(events.every((e) => e.drained.length <= 1)).toBe(true);
    const outAtSomePoint = new Set(events.flatMap((e) => e.drained));
    expect(outAtSomePoint.size).toBe(4);
    expect(events.at(-1).drained).toEqual([]);
    expect(await specWeights(fleet)).toEqual(ALL_ONE);
  });

  it("refuses at once a rolling job that cannot keep its minimum", async () => {
    const response = await submit({ kind: "rolling", options: { minCapacity: 80 } });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ field: "options.minCapacity" });
    expect(response.body.error.message).toMatch(/leaves 3 of 4 weight in service http \(75%\), below 80%/);
  });

  it("stops when a server stays unhealthy, leaving it drained and marked; the rest untouched", async () => {
    const web3 = fleet.agents.get("web3")!;
    const id = (
      await submit({
        kind: "rolling",
        targets: ["web3", "web4"],
        options: { minCapacity: 75, action: { pause: "1500ms" }, healthTimeout: "3s" },
      })
    ).body.job.id;
    await until("web3's action to run", async () => {
      const { body } = await fleet.api.get(`/v1/jobs/${id}`);
      return body.steps[2]?.state === "running" ? true : undefined;
    });
    process.kill(web3.pid, "SIGSTOP"); // its agent stops answering: no heartbeats, unhealthy
    try {
      const job = await finished(fleet, id, 30_000);
      expect(job.state).toBe("failed");
      expect(job.error).toMatch(/192\.168\.1\.221:80 did not pass its health check within 3 s/);
      expect(job.error).toMatch(/agent web3 unreachable/);
      expect(job.steps[3].state).toBe("failed");
      expect(job.steps.slice(4).every((s: any) => s.state === "pending")).toBe(true);
      expect(await specWeights(fleet)).toEqual({ ...ALL_ONE, "192.168.1.221:80": 0 });
    } finally {
      process.kill(web3.pid, "SIGCONT");
    }
    await fleet.waitForAgents(["web3"]);
    const undrain = await submit({ kind: "undrain", targets: ["192.168.1.221"] });
    expect((await finished(fleet, undrain.body.job.id)).state).toBe("completed");
    expect(await specWeights(fleet)).toEqual(ALL_ONE);
  });

  it("survives a SIGKILL of the server mid-job: the restarted server resumes and restores every server", async () => {
    const id = (
      await submit({ kind: "rolling", options: { minCapacity: 75, action: { pause: "1s" }, healthTimeout: "20s" } })
    ).body.job.id;
    await until("the second server's pause", async () => {
      const { body } = await fleet.api.get(`/v1/jobs/${id}`);
      return body.steps[7]?.state === "running" ? true : undefined;
    });
    expect((await specWeights(fleet))["192.168.1.231:80"]).toBe(0);
    await fleet.server.kill();
    await fleet.restartServer();
    const job = await finished(fleet, id, 45_000);
    expect(job.state, job.error).toBe("completed");
    expect(job.attempts.made).toBeGreaterThanOrEqual(2);
    expect(job.steps[7].state).toBe("skipped"); // the interrupted action is not run twice
    expect(job.steps.every((s: any) => s.state === "done" || s.state === "skipped")).toBe(true);
    const events = await readEvents(fleet, id);
    expect(events.some((e) => /resumed by a restarted server/.test(e.message))).toBe(true);
    expect(events.every((e) => e.drained.length <= 1)).toBe(true);
    expect(await specWeights(fleet)).toEqual(ALL_ONE);
    await until("both directors at weight 1 everywhere", async () => {
      const [a, b] = [await directorWeights(fleet, "lb-master"), await directorWeights(fleet, "lb-backup")];
      return SERVERS.every((s) => a[s] === 1 && b[s] === 1) ? true : undefined;
    });
  });
});

describe("actions on the real-server agents", () => {
  it("runs the allowlisted command on each server in turn, by name only", async () => {
    const id = (
      await submit({ kind: "rolling", targets: ["web1", "web2"], options: { action: { command: "restart-web" } } })
    ).body.job.id;
    const job = await finished(fleet, id, 30_000);
    expect(job.state, job.error).toBe("completed");
    expect(existsSync(join(actionsDir, "web1.restarted"))).toBe(true);
    expect(existsSync(join(actionsDir, "web2.restarted"))).toBe(true);
    expect(existsSync(join(actionsDir, "web3.restarted"))).toBe(false);
    expect(job.steps.filter((s: any) => s.kind === "action").map((s: any) => s.detail)).toEqual([
      expect.stringMatching(/^action restart-web exited 0 on web1/),
      expect.stringMatching(/^action restart-web exited 0 on web2/),
    ]);
  });

  it("a failing action stops the job and restores the server; an unknown one is refused by the agent", async () => {
    const broken = await finished(
      fleet,
      (await submit({ kind: "rolling", targets: ["web3"], options: { action: { command: "broken" } } })).body.job.id,
    );
    expect(broken.state).toBe("failed");
    expect(broken.error).toMatch(/action broken failed on web3: exit 1/);
    const unknown = await finished(
      fleet,
      (await submit({ kind: "rolling", targets: ["web3"], options: { action: { command: "rm-rf" } } })).body.job.id,
    );
    expect(unknown.state).toBe("failed");
    expect(unknown.error).toMatch(/no action rm-rf in this agent's allowlist; it has: restart-web, broken/);
    expect(await specWeights(fleet)).toEqual(ALL_ONE);
    // names outside the grammar never reach an agent
    const bad = await submit({ kind: "rolling", targets: ["web3"], options: { action: { command: "../../bin/sh" } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("options.action.command");
  });
});

describe("switchover", () => {
  it("moves the VIP to the backup, verifies it holds it and traffic flows, and moves it back", async () => {
    const backup = await agentControlClient({
      dataDir: fleet.dataDir,
      host: "lb-backup",
      endpoint: fleet.agents.get("lb-backup")!.ready.endpoint,
      role: "director",
    });
    // the clients that follow the VIP to the backup (the sim has no network: they are told to)
    const load = { connectionsPerSecond: 20, meanLifetimeSeconds: 0.5, clients: 100 };
    await backup.setSimulatedTraffic({ load });
    await fleet.master.setSimulatedTraffic({ load });
    let job: any;
    try {
      const response = await submit({
        kind: "switchover",
        options: { moveBackAfter: "1s", verifyTimeout: "10s", verifyTraffic: true },
      });
      expect(response.status).toBe(202);
      job = await finished(fleet, response.body.job.id, 30_000);
    } finally {
      for (const director of [backup, fleet.master])
        await director.setSimulatedTraffic({ load: { connectionsPerSecond: 0 } }).catch(() => undefined);
      backup.close();
    }
    expect(job.state, job.error).toBe("completed");
    expect(job.steps.map((s: any) => s.kind)).toEqual([
      "director-up",
      "demote",
      "verify-vip",
      "hold",
      "restore",
      "verify-vip",
    ]);
    expect(job.steps[2].detail).toMatch(
      /lb-backup holds 192\.168\.1\.229 and serves http; \d+ new connection\(s\) through it/,
    );
    expect(job.steps[5].detail).toMatch(/lb-master holds 192\.168\.1\.229 and serves http; \d+ new connection/);
    const status = (await fleet.api.get("/v1/clusters/web/status")).body;
    for (const host of ["lb-master", "lb-backup"])
      expect(status.hosts.find((h: any) => h.host === host).roleState).toBe("running");
  });
});

describe("chat", () => {
  async function chat(text: string, user = "U0002", responseUrl?: string) {
    const { body, headers } = signSlackCommand(SLACK_SECRET, {
      text,
      user_id: user,
      user_name: `user-${user}`,
      ...(responseUrl ? { response_url: responseUrl } : {}),
    });
    const response = await fetch(`${fleet.url}/v1/chat/slack/commands`, { method: "POST", headers, body });
    return (await response.json()) as any;
  }

  it("drain posts its progress to the response_url; jobs lists it; undrain restores", async () => {
    const hook = await responseUrlServer();
    try {
      const reply = await chat("drain 192.168.1.231", "U0002", hook.url);
      expect(reply.text).toMatch(/^Queued job (m-\d+): drain 192\.168\.1\.231:80 in web\/http/);
      const id = /job (m-\d+)/.exec(reply.text)![1]!;
      await until("the completion message", async () =>
        hook.received.some((m: any) => m.text.includes(":white_check_mark:")) ? true : undefined,
      );
      const texts = hook.received.map((m: any) => m.text as string);
      expect(texts[0]).toMatch(new RegExp(`Job ${id} .*started`));
      expect(texts.filter((t) => /step \d\/3 done/.test(t))).toHaveLength(3);
      expect(texts.at(-1)).toMatch(/completed|drained/);
      expect((await chat("jobs web")).text).toContain(id);
      const undrain = await chat("undrain 192.168.1.231");
      await finished(fleet, /job (m-\d+)/.exec(undrain.text)![1]!);
      expect(await specWeights(fleet)).toEqual(ALL_ONE);
    } finally {
      hook.close();
    }
  });

  it("asks to confirm draining the last healthy server; cancel restores a window", async () => {
    for (const s of SERVERS.slice(0, 3))
      await fleet.api.patch(`/v1/clusters/web/services/http/real-servers/${s}`, { weight: 0 });
    try {
      const reply = await chat("drain 192.168.1.222");
      expect(reply.text).toMatch(/last healthy real server of web\/http/);
      expect(reply.text).toMatch(/confirm \d{6}/);
    } finally {
      for (const s of SERVERS.slice(0, 3))
        await fleet.api.patch(`/v1/clusters/web/services/http/real-servers/${s}`, { weight: 1 });
    }
    await until("weights back", async () => ((await specWeights(fleet))["192.168.1.221:80"] === 1 ? true : undefined));
    await fleet.master.setSimulatedTraffic({ hold: [{ address: "192.168.1.222", port: 80, count: 2 }] });
    try {
      const queued = await chat("drain 192.168.1.222 for 1h");
      const id = /job (m-\d+)/.exec(queued.text)![1]!;
      await until("the drain to wait", async () =>
        (await specWeights(fleet))["192.168.1.222:80"] === 0 ? true : undefined,
      );
      expect((await chat(`cancel ${id}`, "U0003")).text).toMatch(/:no_entry:.*viewer/);
      expect((await chat(`cancel ${id}`)).text).toMatch(/Cancelling job/);
      expect((await finished(fleet, id)).state).toBe("cancelled");
      expect(await specWeights(fleet)).toEqual(ALL_ONE);
    } finally {
      await fleet.master.setSimulatedTraffic({ releaseHeld: true });
    }
  });

  it("switchover needs an admin and a confirmation", async () => {
    const operatorAsked = await chat("switchover web", "U0002");
    const operatorCode = /confirm (\d{6})/.exec(operatorAsked.text)![1]!;
    expect((await chat(`confirm ${operatorCode}`, "U0002")).text).toMatch(/:no_entry:.*needs admin/);
    const asked = await chat("switchover web", "U0001");
    const code = /confirm (\d{6})/.exec(asked.text)![1]!;
    const operator = await chat("rolling http batch 1 min 90%", "U0002");
    expect(operator.text).toMatch(/below 90%/);
    const confirmed = await chat(`confirm ${code}`, "U0001");
    const id = /job (m-\d+)/.exec(confirmed.text)![1]!;
    const job = await finished(fleet, id, 30_000);
    expect(job.state, job.error).toBe("completed");
    expect(job.summary ?? job.result.summary).toMatch(/the VIPs are on lb-backup/);
    // and back, as an operator would: start the master, switch over the other way
    const back = await submit({ kind: "switchover", options: { from: "lb-backup", to: "lb-master" } });
    expect((await finished(fleet, back.body.job.id, 30_000)).state).toBe("completed");
    await fleet.api.waitForJob((await fleet.api.post("/v1/clusters/web/start", { host: "lb-backup" })).body.job.id);
  });
});
