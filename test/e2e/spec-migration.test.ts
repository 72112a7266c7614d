import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Fleet, startFleet } from "@lvsfleet/devfleet";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

/**
 * Upgrading a server whose Redis holds specs written before scripts were named (issue 11): the
 * real server from dist starts over a private prefix into which this test wrote, as an older
 * server would have, an old-style spec (`web`: command lines in misc checks, quorum and notify),
 * one whose migration still leaves it invalid (`broken`) and one that is not JSON (`garbage`).
 * One director agent (sim driver) with an --actions-file that has no scripts yet.
 */

const PREFIX = `e2e-migrate-${randomBytes(4).toString("hex")}`;
const work = mkdtempSync(join(tmpdir(), "lvsfleet-e2e-migrate-"));
const actionsFile = join(work, "lb-master-actions.json");
writeFileSync(actionsFile, "{}");
const serverLog = join(work, "logs", "server.log");
const redis = new Redis(inject("redisUrl"), { lazyConnect: true });
let fleet: Fleet;

/** `web` as an older server stored it (ClusterSpec's output then): programs, not names. */
const OLD_WEB = {
  name: "web",
  vips: ["192.168.1.229"],
  directors: [{ host: "lb-master", address: "192.168.1.252", role: "master", priority: 100, interface: "eth0" }],
  services: [
    {
      name: "http",
      protocol: "tcp",
      address: "192.168.1.229",
      port: 80,
      scheduler: "wrr",
      forwarding: "dr",
      inhibitOnFailure: true,
      realServers: [
        {
          address: "192.168.1.220",
          port: 80,
          weight: 3,
          healthChecks: [{ type: "misc", path: "/usr/local/bin/check_web.sh 192.168.1.220 80", timeout: 5 }],
        },
        {
          address: "192.168.1.231",
          port: 80,
          weight: 1,
          healthChecks: [{ type: "misc", path: '/usr/local/bin/check_web.sh 192.168.1.231 "80"', timeout: 5 }],
        },
      ],
      quorum: { weight: 1, down: "/usr/local/sbin/page-oncall --team lb" },
    },
  ],
  vrrp: {
    instances: [
      {
        name: "VI_1",
        virtualRouterId: 51,
        vips: ["192.168.1.229"],
        notify: { master: "/usr/local/sbin/page-oncall --team lb" },
      },
    ],
  },
};

/** What the migration makes of it: names, and the allowlist entries that run the same programs. */
const SUGGESTED = {
  check_web: {
    command: ["/usr/local/bin/check_web.sh", "192.168.1.220", "80"],
    description: "migrated from cluster web's services[0].realServers[0].healthChecks[0].path",
  },
  "check_web-2": {
    command: ["/usr/local/bin/check_web.sh", "192.168.1.231", "80"],
    description: "migrated from cluster web's services[0].realServers[1].healthChecks[0].path",
  },
  "page-oncall": {
    command: ["/usr/local/sbin/page-oncall", "--team", "lb"],
    description: "migrated from cluster web's services[0].quorum.down",
  },
};

/** Old-style too, but with a scheduler no version knows: naming its scripts cannot make it valid. */
const OLD_BROKEN = {
  name: "broken",
  vips: ["198.18.7.1"],
  directors: [{ host: "lb-broken", address: "198.18.7.2", role: "master", priority: 100, interface: "eth0" }],
  services: [
    {
      name: "http",
      protocol: "tcp",
      address: "198.18.7.1",
      port: 80,
      scheduler: "fastest",
      forwarding: "dr",
      realServers: [
        { address: "198.18.7.10", port: 80, healthChecks: [{ type: "misc", path: "/usr/bin/check-broken" }] },
      ],
    },
  ],
};
const GARBAGE = '{"name": "garbage", "vips": [';

async function store(name: string, text: string, generation: number) {
  await redis.hset(`${PREFIX}:cluster:${name}`, { spec: text, generation: String(generation), updatedAt: "1" });
  await redis.sadd(`${PREFIX}:clusters`, name);
}

/** The server's JSON log lines. */
function logLines(): { level: number; msg: string; [key: string]: unknown }[] {
  return readFileSync(serverLog, "utf8")
    .split("\n")
    .filter((line) => line.startsWith('{"level"'))
    .map((line) => JSON.parse(line));
}

const migrationEntries = async () =>
  (await fleet.api.get("/v1/audit?cluster=web")).body.entries.filter((e: { command: string }) =>
    e.command.startsWith("migrate cluster"),
  );

beforeAll(async () => {
  await redis.connect();
  await store("web", JSON.stringify(OLD_WEB), 3);
  await store("broken", JSON.stringify(OLD_BROKEN), 7);
  await store("garbage", GARBAGE, 2);
  fleet = await startFleet({
    redisUrl: inject("redisUrl"),
    token: randomBytes(18).toString("base64url"),
    dataDir: work,
    agents: [
      { host: "lb-master", role: "director", address: "192.168.1.252/24", args: ["--actions-file", actionsFile] },
    ],
    env: {
      LVSFLEET_PREFIX: PREFIX,
      LVSFLEET_HEARTBEAT_MS: "300",
      LVSFLEET_AGENT_DEADLINE_MS: "1500",
      LVSFLEET_JOB_ATTEMPTS: "2",
      LVSFLEET_JOB_BACKOFF_MS: "100",
      LOG_LEVEL: "info",
    },
  });
});
afterAll(async () => {
  await fleet?.stop();
  const keys = await redis.keys(`${PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  rmSync(work, { recursive: true, force: true });
});

describe("a spec stored before scripts were named", () => {
  it("reads back migrated at start: names where command lines were, one generation later", async () => {
    const web = await fleet.api.get("/v1/clusters/web");
    expect(web.status, web.text).toBe(200);
    expect(web.body.generation).toBe(4);
    const service = web.body.spec.services[0];
    expect(service.realServers.map((rs: any) => rs.healthChecks)).toEqual([
      [{ type: "misc", script: "check_web", timeout: 5 }],
      [{ type: "misc", script: "check_web-2", timeout: 5 }],
    ]);
    expect(service.quorum).toMatchObject({ weight: 1, down: "page-oncall" });
    expect(web.body.spec.vrrp.instances[0].notify).toEqual({ master: "page-oncall" });
    expect(JSON.stringify(web.body.spec)).not.toContain("/usr/");
    // written with compare-and-set over the old generation
    expect(await redis.hget(`${PREFIX}:cluster:web`, "generation")).toBe("4");
  });

  it("has one audit entry by the system, with the fields changed and the scripts to allowlist", async () => {
    const entries = await migrationEntries();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: { type: "system", name: "lvsfleet" },
      channel: "system",
      command: "migrate cluster web (scripts by name)",
      cluster: "web",
      outcome: "completed",
      before: {
        generation: 3,
        fields: {
          "services[0].realServers[0].healthChecks[0].path": "/usr/local/bin/check_web.sh 192.168.1.220 80",
          "services[0].realServers[1].healthChecks[0].path": '/usr/local/bin/check_web.sh 192.168.1.231 "80"',
          "services[0].quorum.down": "/usr/local/sbin/page-oncall --team lb",
          "vrrp.instances[0].notify.master": "/usr/local/sbin/page-oncall --team lb",
        },
      },
      after: {
        generation: 4,
        fields: {
          "services[0].realServers[0].healthChecks[0].script": "check_web",
          "services[0].realServers[1].healthChecks[0].script": "check_web-2",
          "services[0].quorum.down": "page-oncall",
          "vrrp.instances[0].notify.master": "page-oncall",
        },
      },
    });
    expect(entries[0].detail).toBe(
      `create in the "scripts" section of each director's --actions-file: check_web = ["/usr/local/bin/check_web.sh","192.168.1.220","80"], check_web-2 = ["/usr/local/bin/check_web.sh","192.168.1.231","80"], page-oncall = ["/usr/local/sbin/page-oncall","--team","lb"]; until then the directors refuse these scripts (scripts are off by default) and with them every apply of this cluster`,
    );
  });

  it("the server log has the scripts section to add to each director's actions file", () => {
    const migrated = logLines().filter((l) => l.cluster === "web" && l.msg.includes("stored spec migrated"));
    expect(migrated).toHaveLength(1);
    expect(migrated[0]).toMatchObject({ level: 40, generation: 4, scripts: SUGGESTED, warnings: [] });
    expect(migrated[0]?.msg).toContain(
      `add this to each director's --actions-file: ${JSON.stringify({ scripts: SUGGESTED })}`,
    );
    expect(migrated[0]?.msg).toContain("the directors refuse these scripts (scripts are off by default)");
  });
});

describe("stored specs that cannot be migrated", () => {
  it("are left as they are and logged with the reason", async () => {
    expect(await redis.hgetall(`${PREFIX}:cluster:broken`)).toMatchObject({
      spec: JSON.stringify(OLD_BROKEN),
      generation: "7",
    });
    expect(await redis.hget(`${PREFIX}:cluster:garbage`, "spec")).toBe(GARBAGE);
    const errors = logLines().filter((l) => l.level === 50);
    expect(errors.find((l) => l.cluster === "broken")?.msg).toMatch(
      /^cluster broken: stored spec cannot be read and is left as it is: services\[0\]\.scheduler: .* \(still, after naming its scripts\); its endpoints answer 409 until PUT \/v1\/clusters\/broken replaces it/,
    );
    expect(errors.find((l) => l.cluster === "garbage")?.msg).toMatch(
      /^cluster garbage: stored spec cannot be read .*not JSON/,
    );
    expect((await fleet.api.get("/v1/audit?cluster=broken")).body.entries).toEqual([]);
  });

  it("do not stop the API: the list, the good cluster and the metrics answer; the bad ones are a 409 naming the reason", async () => {
    const list = await fleet.api.get("/v1/clusters");
    expect(list.status, list.text).toBe(200);
    expect(list.body.clusters).toEqual([
      {
        name: "broken",
        generation: 7,
        error: expect.stringMatching(
          /^the stored spec of cluster broken \(generation 7\) cannot be read: services\[0\]\.scheduler: .*; services\[0\]\.realServers\[0\]\.healthChecks\[0\]\.path: is no longer accepted.*; replace it with PUT \/v1\/clusters\/broken/,
        ),
      },
      { name: "garbage", generation: 2, error: expect.stringContaining("cannot be read: not JSON") },
      { name: "web", generation: 4 },
    ]);
    for (const path of ["/v1/clusters/web", "/v1/clusters/web/status", "/v1/clusters/web/doctor", "/metrics"])
      expect((await fleet.api.get(path)).status, path).toBe(200);
    for (const path of ["/v1/clusters/broken", "/v1/clusters/broken/status", "/v1/clusters/garbage/doctor"]) {
      const response = await fleet.api.get(path);
      expect(response.status, path).toBe(409);
      expect(response.body.error.message).toMatch(
        /^the stored spec of cluster (broken|garbage) \(generation \d\) cannot be read: /,
      );
    }
    // a change to one is refused too, and writes nothing
    const weight = await fleet.api.patch("/v1/clusters/broken/services/http/real-servers/198.18.7.10:80", {
      weight: 0,
    });
    expect(weight.status).toBe(409);
    expect(await redis.hget(`${PREFIX}:cluster:broken`, "generation")).toBe("7");
  });

  it("a PUT of a whole spec replaces one, as an update", async () => {
    const fixed = {
      ...OLD_BROKEN,
      services: [{ ...OLD_BROKEN.services[0], scheduler: "wrr", realServers: [{ address: "198.18.7.10", port: 80 }] }],
    };
    // its dry run first: compared with nothing, as the replacement it is
    const plan = await fleet.api.post("/v1/clusters/broken/plan", fixed);
    expect(plan.status, plan.text).toBe(200);
    expect(plan.body).toMatchObject({ cluster: "broken", exists: true, generation: 7, specChanged: true });
    const put = await fleet.api.put("/v1/clusters/broken", fixed);
    expect(put.status, put.text).toBe(202);
    expect(put.body).toMatchObject({ created: false, generation: 8 });
    const entry = (await fleet.api.get("/v1/audit?cluster=broken")).body.entries.at(-1);
    expect(entry).toMatchObject({
      command: "put cluster broken",
      before: { generation: 7, unreadable: expect.stringContaining("services[0].scheduler") },
      after: { generation: 8, changed: true },
    });
    const broken = await fleet.api.get("/v1/clusters/broken");
    expect(broken.status).toBe(200);
    expect(broken.body.spec.services[0].scheduler).toBe("wrr");
  });
});

describe("the directors after the upgrade", () => {
  it("refuse the migrated scripts until their allowlist has them, then take the cluster", async () => {
    const start = await fleet.api.post("/v1/clusters/web/start", { host: "lb-master" });
    expect(start.status, start.text).toBe(202);
    const refused = await fleet.api.waitForJob(start.body.job.id);
    expect(refused.state).toBe("failed");
    expect(refused.error).toContain(
      `host lb-master cannot take up its role: script check_web is not in this director's allowlist (${actionsFile}); it has: none`,
    );
    // the operator adds the section the server logged, and restarts the agent
    const logged = logLines().find((l) => l.cluster === "web" && l.msg.includes("stored spec migrated"));
    writeFileSync(actionsFile, JSON.stringify({ scripts: logged?.scripts }));
    await fleet.restartAgent("lb-master");
    await fleet.waitForAgents(["lb-master"]);
    const again = await fleet.api.post("/v1/clusters/web/start", { host: "lb-master" });
    const job = await fleet.api.waitForJob(again.body.job.id);
    expect(job.state, job.error).toBe("completed");
    const doctor = await fleet.api.get("/v1/clusters/web/doctor");
    expect(doctor.body.hosts.flatMap((h: any) => h.problems)).toEqual([]);
  });

  it("a restart of the server migrates nothing twice", async () => {
    await fleet.restartServer();
    expect((await fleet.api.get("/v1/clusters/web")).body.generation).toBe(4);
    expect(await migrationEntries()).toHaveLength(1);
    expect(logLines().filter((l) => l.cluster === "web" && l.msg.includes("stored spec migrated"))).toHaveLength(1);
    // the one that still cannot be read is reported again, and still does not stop the start
    expect(logLines().filter((l) => l.cluster === "garbage" && l.level === 50)).toHaveLength(2);
  });
});
