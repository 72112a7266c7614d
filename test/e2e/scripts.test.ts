import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_AGENTS, repoRoot, signSlackCommand } from "@lvsfleet/devfleet";
import { type ClusterSpecInput, DEMO_CLUSTER } from "@lvsfleet/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SLACK_SECRET, startDemoFleet } from "./fleet.ts";

/**
 * Issue 11: no command from the API runs on a host unless that host's own configuration allows it.
 * A cluster spec names scripts; each director runs only what its own --actions-file maps a name to.
 * The fleet: lb-master with an allowlist (one script, written into this test's directory), lb-backup
 * without one (scripts off), the demo's real servers; every agent a real process from dist.
 */

const work = mkdtempSync(join(tmpdir(), "lvsfleet-e2e-scripts-"));
const actionsFile = join(work, "lb-master-actions.json");
const recorded = join(work, "check-web.log");
const checkWeb = join(work, "check-web.sh");
writeFileSync(checkWeb, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${recorded}'\n`, { mode: 0o755 });
writeFileSync(
  actionsFile,
  JSON.stringify({ scripts: { "check-web": { command: [checkWeb, "{address}", "{port}"], timeoutSeconds: 5 } } }),
);

let fleet: Awaited<ReturnType<typeof startDemoFleet>>;

beforeAll(async () => {
  fleet = await startDemoFleet(
    // a refused spec fails its job after two attempts rather than eight
    { LVSFLEET_JOB_ATTEMPTS: "2" },
    DEMO_AGENTS.map((a) => (a.host === "lb-master" ? { ...a, args: ["--actions-file", actionsFile] } : a)),
  );
});
afterAll(async () => {
  await fleet?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const service = DEMO_CLUSTER.services?.[0] as NonNullable<ClusterSpecInput["services"]>[number];
/** The demo cluster with a health check on the first real server. */
const withCheck = (check: unknown): ClusterSpecInput =>
  ({
    ...DEMO_CLUSTER,
    services: [
      {
        ...service,
        realServers: [
          { address: "192.168.1.220", port: 80, weight: 3, host: "web1", healthChecks: [check] },
          { address: "192.168.1.231", port: 80, weight: 1, host: "web2" },
        ],
      },
    ],
  }) as ClusterSpecInput;

/** What the server and each director hold: spec generation, the directors' generations and tables. */
async function snapshot() {
  const [cluster, status] = await Promise.all([
    fleet.api.get("/v1/clusters/web"),
    fleet.api.get("/v1/clusters/web/status"),
  ]);
  return {
    generation: cluster.body.generation,
    spec: cluster.body.spec,
    directors: status.body.hosts
      .filter((h: any) => h.kind === "director")
      .map((h: any) => ({ host: h.host, generation: h.generation, table: h.table })),
  };
}

const put = async (spec: ClusterSpecInput) => {
  const response = await fleet.api.put("/v1/clusters/web", spec);
  expect(response.status, response.text).toBe(202);
  return fleet.api.waitForJob(response.body.job.id);
};

describe("the attack: a spec that names a program", () => {
  it("an admin's PUT with a misc check path is a 400 naming the field; nothing is stored and nothing runs", async () => {
    const pwned = `/tmp/pwned-${randomBytes(6).toString("hex")}`;
    const before = await snapshot();
    const response = await fleet.api.put("/v1/clusters/web", withCheck({ type: "misc", path: `/bin/touch ${pwned}` }));
    expect(response.status).toBe(400);
    expect(response.body.error.field).toBe("services[0].realServers[0].healthChecks[0].path");
    expect(response.body.error.message).toMatch(
      /^is no longer accepted: name a script from the director's allowlist instead \(`script`: NAME.*docs\/operations\.md/,
    );
    // the same program given where a name goes, in every place a spec names a script
    const asName = await fleet.api.put("/v1/clusters/web", withCheck({ type: "misc", script: `/bin/touch ${pwned}` }));
    expect(asName.status).toBe(400);
    expect(asName.body.error).toMatchObject({
      field: "services[0].realServers[0].healthChecks[0].script",
      message: expect.stringMatching(/^a path or command line is no longer accepted: name a script/),
    });
    const quorum = await fleet.api.put("/v1/clusters/web", {
      ...DEMO_CLUSTER,
      services: [{ ...service, quorum: { weight: 1, down: `/bin/touch ${pwned}` } }],
    });
    expect(quorum.status).toBe(400);
    expect(quorum.body.error.field).toBe("services[0].quorum.down");
    const notify = await fleet.api.put("/v1/clusters/web", {
      ...DEMO_CLUSTER,
      vrrp: {
        instances: [
          { name: "VI_1", virtualRouterId: 51, vips: ["192.168.1.229"], notify: { master: `/bin/touch ${pwned}` } },
        ],
      },
    });
    expect(notify.status).toBe(400);
    expect(notify.body.error.field).toBe("vrrp.instances[0].notify.master");
    // the dry run refuses it the same way
    const plan = await fleet.api.post(
      "/v1/clusters/web/plan",
      withCheck({ type: "misc", path: `/bin/touch ${pwned}` }),
    );
    expect(plan.status).toBe(400);
    expect(plan.body.error.field).toBe("services[0].realServers[0].healthChecks[0].path");
    await new Promise((r) => setTimeout(r, 1_500));
    expect(existsSync(pwned)).toBe(false);
    expect(await snapshot()).toEqual(before);
  });
});

describe("the API documents it", () => {
  it("/openapi.json: misc checks name a script, plans carry each director's problems", async () => {
    const response = await fetch(`${fleet.url}/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as any;
    expect(doc.components.schemas.DirectorPlan.properties.problems).toBeDefined();
    const checks =
      doc.components.schemas.ClusterSpec.properties.services.items.properties.realServers.items.properties.healthChecks
        .items.oneOf;
    const misc = checks.find((c: any) => c.properties.type.enum?.[0] === "misc");
    expect(misc.required).toEqual(["type", "script"]);
  });
});

describe("a spec naming a script a director does not allow", () => {
  const file = () => actionsFile;

  it("POST …/plan flags it per director, before anything is stored", async () => {
    const before = await snapshot();
    const plan = await fleet.api.post("/v1/clusters/web/plan", withCheck({ type: "misc", script: "check-mail" }));
    expect(plan.status).toBe(200);
    const byHost = Object.fromEntries(plan.body.directors.map((d: any) => [d.host, d]));
    expect(byHost["lb-master"].problems).toEqual([
      {
        code: "script-not-allowed",
        severity: "error",
        subject: "check-mail",
        message: `script check-mail is not in this director's allowlist (${file()}); it has: check-web (named at services[0].realServers[0].healthChecks[0].script)`,
        fix: `add "check-mail" to the scripts section of ${file()} and restart the agent, or name one of its scripts`,
      },
    ]);
    expect(byHost["lb-backup"].problems).toEqual([
      expect.objectContaining({
        code: "scripts-off",
        message:
          "scripts are off on this director: start it with --actions-file FILE holding a scripts section (the spec names check-mail at services[0].realServers[0].healthChecks[0].script)",
      }),
    ]);
    // a name lb-master allows is still refused by lb-backup, which allows none
    const allowed = await fleet.api.post("/v1/clusters/web/plan", withCheck({ type: "misc", script: "check-web" }));
    const hosts = Object.fromEntries(allowed.body.directors.map((d: any) => [d.host, d]));
    expect(hosts["lb-master"].problems).toBeUndefined();
    expect(hosts["lb-backup"].problems?.[0]?.code).toBe("scripts-off");
    expect(await snapshot()).toEqual(before);
  });

  it("the apply job fails with each director's reason, nothing changes on them, and the doctor reports it", async () => {
    const before = await snapshot();
    const job = await put(withCheck({ type: "misc", script: "check-mail" }));
    expect(job.state).toBe("failed");
    expect(job.error).toContain(
      `host lb-master refuses the cluster spec, nothing changed: script check-mail is not in this director's allowlist (${file()}); it has: check-web`,
    );
    expect(job.error).toContain(
      "host lb-backup refuses the cluster spec, nothing changed: scripts are off on this director: start it with --actions-file FILE holding a scripts section",
    );
    const after = await snapshot();
    expect(after.generation).toBe(before.generation + 1); // the spec is stored: it is valid, the directors refuse it
    expect(after.directors).toEqual(before.directors); // generation and table on each director unchanged

    const doctor = await fleet.api.get("/v1/clusters/web/doctor");
    expect(doctor.status).toBe(200);
    expect(doctor.body.healthy).toBe(false);
    const problems = Object.fromEntries(doctor.body.hosts.map((h: any) => [h.host, h.problems]));
    expect(problems["lb-master"]).toContainEqual(
      expect.objectContaining({ code: "script-not-allowed", subject: "check-mail" }),
    );
    expect(problems["lb-backup"]).toContainEqual(expect.objectContaining({ code: "scripts-off" }));
    expect(problems.web1).toEqual([]);

    const { body, headers } = signSlackCommand(SLACK_SECRET, { text: "doctor web", user_id: "U0003" });
    const chat = await (await fetch(`${fleet.url}/v1/chat/slack/commands`, { method: "POST", headers, body })).json();
    expect(JSON.stringify(chat)).toContain("script check-mail is not in this director's allowlist");

    // the operator fixes the spec: the directors take it, the doctor is quiet again
    expect((await put(DEMO_CLUSTER)).state).toBe("completed");
    const healed = await fleet.api.get("/v1/clusters/web/doctor");
    expect(healed.body.hosts.flatMap((h: any) => h.problems)).toEqual([]);
  });

  it("start refuses it too: a stopped director stays stopped and unchanged", async () => {
    const stop = await fleet.api.post("/v1/clusters/web/stop", { host: "lb-master" });
    expect(stop.status, stop.text).toBe(202);
    expect((await fleet.api.waitForJob(stop.body.job.id)).state).toBe("completed");
    try {
      const response = await fleet.api.put("/v1/clusters/web", withCheck({ type: "misc", script: "check-mail" }));
      await fleet.api.waitForJob(response.body.job.id);
      const before = await snapshot();
      const start = await fleet.api.post("/v1/clusters/web/start", { host: "lb-master" });
      const job = await fleet.api.waitForJob(start.body.job.id);
      expect(job.state).toBe("failed");
      expect(job.error).toContain(
        "host lb-master cannot take up its role: script check-mail is not in this director's allowlist",
      );
      const after = await snapshot();
      expect(after.directors).toEqual(before.directors);
      const status = await fleet.api.get("/v1/clusters/web/status");
      expect(status.body.hosts.find((h: any) => h.host === "lb-master").roleState).toBe("stopped");
    } finally {
      expect((await put(DEMO_CLUSTER)).state).toBe("completed");
      const start = await fleet.api.post("/v1/clusters/web/start", { host: "lb-master" });
      expect((await fleet.api.waitForJob(start.body.job.id)).state).toBe("completed");
    }
  });
});

describe("a director whose allowlist has the script", () => {
  it("takes the spec (lb-backup, without an allowlist, refuses it); its sim driver never runs a script", async () => {
    const job = await put(withCheck({ type: "misc", script: "check-web", delayLoop: 0.1, warmup: 0 }));
    try {
      expect(job.state).toBe("failed");
      expect(job.error).toContain("host lb-backup refuses the cluster spec");
      expect(job.error).not.toContain("host lb-master");
      const status = await fleet.api.get("/v1/clusters/web/status");
      const master = status.body.hosts.find((h: any) => h.host === "lb-master");
      expect(master.inSync).toBe(true);
      const checked = master.failover.realServers.find((rs: any) => rs.address === "192.168.1.220");
      expect(checked.checks).toEqual([expect.objectContaining({ type: "misc" })]);
      await new Promise((r) => setTimeout(r, 1_000));
      const again = await fleet.api.get("/v1/clusters/web/status");
      const rs = again.body.hosts
        .find((h: any) => h.host === "lb-master")
        .failover.realServers.find((r: any) => r.address === "192.168.1.220");
      expect(rs.checks[0]).toMatchObject({ type: "misc", state: "up", detail: "simulated: healthy" });
      expect(existsSync(recorded)).toBe(false);
      const doctor = await fleet.api.get("/v1/clusters/web/doctor");
      const problems = Object.fromEntries(doctor.body.hosts.map((h: any) => [h.host, h.problems]));
      expect(problems["lb-master"]).toEqual([]);
      expect(problems["lb-backup"]).toEqual([expect.objectContaining({ code: "scripts-off" })]);
    } finally {
      expect((await put(DEMO_CLUSTER)).state).toBe("completed");
    }
  });
});

describe("lvsctl import and export of the scripts keepalived.conf runs", () => {
  const LVSCTL = join(repoRoot(), "packages/cli/dist/lvsctl.js");
  const lvsctl = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [LVSCTL, ...args],
        {
          env: { PATH: process.env.PATH, HOME: work, LVSFLEET_URL: fleet.url, LVSFLEET_TOKEN: fleet.api.token },
          timeout: 30_000,
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
      );
    });
  const GUIDE = readFileSync(join(repoRoot(), "packages/keepalived/test/fixtures/guide-keepalived.conf"), "utf8");

  it("import prints the scripts section to add (or writes it with --scripts-out), and the spec names them", async () => {
    const conf = join(work, "scripted.conf");
    writeFileSync(
      conf,
      GUIDE.replace(/TCP_CHECK \{[^}]*\}/, 'MISC_CHECK {\n misc_path "/usr/local/bin/check_web.sh 80"\n }').replace(
        "virtual_router_id 51",
        'virtual_router_id 51\n notify_master "/etc/keepalived/to-master.sh"',
      ),
    );
    const printed = await lvsctl([
      "import",
      conf,
      "--name",
      "web",
      "--director",
      "lb-master=192.168.1.252",
      "--print",
      "-o",
      "json",
    ]);
    expect(printed.code, printed.stderr).toBe(0);
    const spec = JSON.parse(printed.stdout);
    expect(spec.services[0].realServers[0].healthChecks).toEqual([{ type: "misc", script: "check_web" }]);
    expect(spec.vrrp.instances[0].notify).toEqual({ master: "to-master" });
    expect(printed.stderr).toContain(
      'warning: misc_path "/usr/local/bin/check_web.sh 80" becomes the script "check_web"',
    );
    const section = printed.stderr.slice(printed.stderr.indexOf('{\n  "scripts"'));
    expect(JSON.parse(section).scripts).toEqual({
      "to-master": { command: ["/etc/keepalived/to-master.sh"], description: expect.stringMatching(/notify_master/) },
      check_web: { command: ["/usr/local/bin/check_web.sh", "80"], description: expect.stringMatching(/misc_path/) },
    });
    const out = join(work, "suggested.json");
    const written = await lvsctl([
      "import",
      conf,
      "--name",
      "web",
      "--director",
      "lb-master=192.168.1.252",
      "--print",
      "--scripts-out",
      out,
    ]);
    expect(written.code).toBe(0);
    expect(written.stderr).toContain(`wrote the scripts section for every director's --actions-file to ${out}`);
    expect(Object.keys(JSON.parse(readFileSync(out, "utf8")).scripts)).toEqual(["to-master", "check_web"]);
  });

  it("export writes the allowlist's command for a named script, or /etc/lvsfleet/scripts/NAME with a warning", async () => {
    // stored spec naming check-web (refused by lb-backup, which does not matter to export)
    const response = await fleet.api.put("/v1/clusters/web", withCheck({ type: "misc", script: "check-web" }));
    await fleet.api.waitForJob(response.body.job.id);
    try {
      const plain = await lvsctl(["export", "web", "--format", "keepalived", "--director", "lb-master"]);
      expect(plain.code).toBe(0);
      expect(plain.stdout).toContain('misc_path "/etc/lvsfleet/scripts/check-web"');
      expect(plain.stderr).toContain(
        "warning: services[0].realServers[0].healthChecks[0].script: script check-web: written as /etc/lvsfleet/scripts/check-web",
      );
      const real = await lvsctl([
        "export",
        "web",
        "--format",
        "keepalived",
        "--director",
        "lb-master",
        "--scripts",
        actionsFile,
      ]);
      expect(real.code).toBe(0);
      expect(real.stdout).toContain(`misc_path "${checkWeb} 192.168.1.220 80"`);
      expect(real.stderr).not.toContain("script");
      const bad = join(work, "bad-actions.json");
      writeFileSync(bad, JSON.stringify({ scripts: { x: { command: ["relative"] } } }));
      const refused = await lvsctl(["export", "web", "--format", "keepalived", "--scripts", bad]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/must be an absolute path/);
    } finally {
      await put(DEMO_CLUSTER);
    }
  });
});
