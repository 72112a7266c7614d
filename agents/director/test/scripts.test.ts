import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExtensionEvent } from "@lvsfleet/agent-runtime";
import { SimHostDriver, StateFile, stockSimHost } from "@lvsfleet/agent-runtime";
import {
  ClusterSpec,
  type ClusterSpecInput,
  DEMO_CLUSTER,
  desiredTable,
  ScriptsSection,
  validate,
} from "@lvsfleet/model";
import pino from "pino";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DirectorFailover } from "../src/health/extension.ts";
import { ProbeGuard } from "../src/health/probe-guard.ts";
import { DirectorScripts } from "../src/scripts/allowlist.ts";
import { notifyScripts } from "../src/vrrp/notify-scripts.ts";

/**
 * The director runs only what its own allowlist maps a name to, with the agents' one program runner
 * (packages/agent-runtime/test/program-run.test.ts), and the three ways a spec names a script — misc
 * checks, quorum up/down and VRRP notify — each really run through the director's real (not
 * simulated) health checks and VRRP supervision.
 */

const dir = mkdtempSync(join(tmpdir(), "lvsfleet-scripts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const silent = pino({ level: "silent" });

/** A script that appends its arguments (one line, separated by |) to a file in the test's directory. */
function recorder(name: string): { path: string; log: string; lines(): string[] } {
  const path = join(dir, `${name}.sh`);
  const log = join(dir, `${name}.log`);
  writeFileSync(path, `#!/bin/sh\nIFS='|'\nprintf '%s\\n' "$*" >> '${log}'\n`, { mode: 0o755 });
  chmodSync(path, 0o755);
  return {
    path,
    log,
    lines: () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : []),
  };
}

async function until<T>(what: string, read: () => T, ok: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("resolving names from the allowlist", () => {
  const scripts = new DirectorScripts(
    "/etc/lvsfleet/actions.json",
    ScriptsSection.parse({
      "check-web": { command: ["/usr/lib/check-web", "{address}", "--port={port}", "{service}"], timeoutSeconds: 4 },
    }),
  );

  it("fills the use's placeholders and nothing else", () => {
    expect(scripts.resolve("check-web", "misc", { address: "198.18.0.11", port: "80", service: "http" })).toEqual({
      name: "check-web",
      argv: ["/usr/lib/check-web", "198.18.0.11", "--port=80", "http"],
      timeoutMs: 4_000,
    });
    // quorum provides {service} and {state}, not {address}: nothing to run
    expect(() => scripts.resolve("check-web", "quorum", { service: "http", state: "up" })).toThrow(
      /no value for \{address\}/,
    );
  });

  it("refuses unknown names, inherited names, and everything when scripts are off", () => {
    expect(() => scripts.resolve("constructor", "misc", {})).toThrow(
      "script constructor is not in this director's allowlist (/etc/lvsfleet/actions.json); it has: check-web",
    );
    expect(() => new DirectorScripts(undefined, undefined).resolve("check-web", "misc", {})).toThrow(
      /^scripts are off on this director: start it with --actions-file FILE holding a scripts section/,
    );
    expect(() => scripts.resolve("check-web", "misc", { address: "1.2.3.4 -x", port: "80", service: "http" })).toThrow(
      /refused value for \{address\}/,
    );
  });
});

describe("notify scripts of a transition", () => {
  const spec = validate(ClusterSpec, {
    ...DEMO_CLUSTER,
    vips: ["192.168.1.229", "192.168.1.228"],
    vrrp: {
      instances: [
        {
          name: "VI_1",
          virtualRouterId: 51,
          vips: ["192.168.1.229"],
          notify: { master: "to-master", any: "log-state" },
        },
        { name: "VI_2", virtualRouterId: 52, vips: ["192.168.1.228"] },
      ],
      syncGroup: { name: "G1", notify: { fault: "page" } },
    },
  });

  it("are the state's own, then any, with keepalived's four values", () => {
    const values = { type: "INSTANCE", instance: "VI_1", state: "MASTER", priority: "100" };
    expect(notifyScripts(spec, { kind: "INSTANCE", name: "VI_1", state: "MASTER", priority: 100 })).toEqual([
      { name: "to-master", values },
      { name: "log-state", values },
    ]);
    expect(notifyScripts(spec, { kind: "INSTANCE", name: "VI_1", state: "BACKUP", priority: 100 })).toEqual([
      { name: "log-state", values: { ...values, state: "BACKUP" } },
    ]);
    expect(notifyScripts(spec, { kind: "INSTANCE", name: "VI_2", state: "MASTER", priority: 100 })).toEqual([]);
    expect(notifyScripts(spec, { kind: "GROUP", name: "G1", state: "FAULT", priority: 0 })).toEqual([
      { name: "page", values: { type: "GROUP", instance: "G1", state: "FAULT", priority: "0" } },
    ]);
    expect(notifyScripts(spec, { kind: "GROUP", name: "VI_1", state: "FAULT", priority: 0 })).toEqual([]);
  });
});

describe("a director with real checks runs its allowlisted scripts", () => {
  let failover: DirectorFailover | undefined;
  afterEach(async () => {
    await failover?.stop();
    await failover?.close();
    failover = undefined;
  });

  function director(driver: string, scripts: DirectorScripts, stateDir = mkdtempSync(join(dir, "state-"))) {
    const host = new SimHostDriver(
      new StateFile(join(stateDir, "sim-host.json"), () => stockSimHost("192.168.1.252", 24, "eth0")),
    );
    const events: ExtensionEvent[] = [];
    failover = new DirectorFailover(
      {
        hostName: "lb-master",
        driver,
        host,
        stateDir,
        log: silent,
        guard: new ProbeGuard(),
        keepalived: join(dir, "fake-keepalived"),
        scripts,
      },
      { publish: (e) => events.push(e), refresh: async () => undefined },
    );
    return { failover, events };
  }

  const fast = { delayLoop: 0.05, warmup: 0 };
  const specWith = (healthChecks: unknown[], extra: Partial<ClusterSpecInput> = {}) =>
    validate(ClusterSpec, {
      ...DEMO_CLUSTER,
      services: [
        {
          ...DEMO_CLUSTER.services?.[0],
          realServers: [{ address: "127.0.0.1", port: 8080, weight: 2, healthChecks }],
          ...(extra.services?.[0] ?? {}),
        },
      ],
      ...(extra.vrrp ? { vrrp: extra.vrrp } : {}),
    } as ClusterSpecInput);

  it("a misc check runs the script the allowlist maps its name to, with the real server's values", async () => {
    const check = recorder("misc");
    const scripts = new DirectorScripts(
      join(dir, "actions.json"),
      ScriptsSection.parse({ "check-web": { command: [check.path, "{address}", "port={port}", "{service}"] } }),
    );
    const { failover } = director("nftables", scripts);
    const spec = specWith([{ type: "misc", script: "check-web", ...fast }]);
    await failover.configure({ cluster: "web", config: undefined as never, spec, desired: desiredTable(spec) });
    const lines = await until(
      "the check ran twice",
      () => check.lines(),
      (l) => l.length >= 2,
    );
    expect(lines[0]).toBe("127.0.0.1|port=8080|http");
    expect((await failover.report()).realServers[0]?.checks[0]?.detail).toMatch(/^check-web: exit status 0/);
  });

  it("the sim driver runs nothing: checks are simulated", async () => {
    const check = recorder("sim");
    const scripts = new DirectorScripts(
      join(dir, "actions.json"),
      ScriptsSection.parse({ "check-web": { command: [check.path] } }),
    );
    const { failover } = director("sim", scripts);
    const spec = specWith([{ type: "misc", script: "check-web", ...fast }]);
    await failover.configure({ cluster: "web", config: undefined as never, spec, desired: desiredTable(spec) });
    await new Promise((r) => setTimeout(r, 300));
    expect(check.lines()).toEqual([]);
    expect((await failover.report()).realServers[0]?.checks[0]).toMatchObject({ state: "up" });
  });

  it("quorum down and up run their scripts with {service} and {state}", async () => {
    const quorum = recorder("quorum");
    const scripts = new DirectorScripts(
      join(dir, "actions.json"),
      ScriptsSection.parse({
        "quorum-change": { command: [quorum.path, "{service}", "{state}"] },
        "exit-1": { command: ["/bin/sh", "-c", "exit 1"] },
        ok: { command: ["/bin/true"] },
      }),
    );
    const { failover } = director("nftables", scripts);
    const down = specWith([{ type: "misc", script: "exit-1", ...fast }], {
      services: [{ quorum: { weight: 1, up: "quorum-change", down: "quorum-change" } } as never],
    });
    await failover.configure({ cluster: "web", config: undefined as never, spec: down, desired: desiredTable(down) });
    failover.effective(desiredTable(down));
    await until(
      "the server down",
      () => failover.beat()?.realServersDown ?? 0,
      (n) => n === 1,
    );
    failover.effective(desiredTable(down));
    await until(
      "quorum-down ran",
      () => quorum.lines(),
      (l) => l.length === 1,
    );
    const up = specWith([{ type: "misc", script: "ok", ...fast }], {
      services: [{ quorum: { weight: 1, up: "quorum-change", down: "quorum-change" } } as never],
    });
    await failover.configure({ cluster: "web", config: undefined as never, spec: up, desired: desiredTable(up) });
    await until(
      "the server up",
      () => failover.beat()?.realServersDown ?? 1,
      (n) => n === 0,
    );
    failover.effective(desiredTable(up));
    expect(
      await until(
        "quorum-up ran",
        () => quorum.lines(),
        (l) => l.length === 2,
      ),
    ).toEqual(["http|down", "http|up"]);
  });

  it("VRRP notify scripts run on the transitions keepalived reports, not from keepalived.conf", async () => {
    // keepalived itself is a stand-in that accepts any configuration (-t) and then sleeps: the test
    // writes the transitions into the notify FIFO as keepalived would.
    const fake = join(dir, "fake-keepalived");
    writeFileSync(fake, '#!/bin/sh\n[ "$1" = "-t" ] && exit 0\nexec sleep 600\n', { mode: 0o755 });
    const notify = recorder("notify");
    const scripts = new DirectorScripts(
      join(dir, "actions.json"),
      ScriptsSection.parse({
        "to-master": { command: [notify.path, "master", "{instance}"] },
        "log-state": { command: [notify.path, "{type}", "{instance}", "{state}", "{priority}"] },
      }),
    );
    const stateDir = mkdtempSync(join(dir, "state-"));
    const { failover } = director("nftables", scripts, stateDir);
    const spec = validate(ClusterSpec, {
      ...DEMO_CLUSTER,
      vrrp: {
        instances: [
          {
            name: "VI_1",
            virtualRouterId: 51,
            vips: ["192.168.1.229"],
            notify: { master: "to-master", any: "log-state", stop: "log-state" },
          },
        ],
      },
    });
    await failover.configure({ cluster: "web", config: undefined as never, spec, desired: desiredTable(spec) });
    const conf = readFileSync(join(stateDir, "keepalived", "keepalived.conf"), "utf8");
    expect(conf).not.toMatch(/notify_master|notify_backup|notify_stop|notify |script_user|to-master|log-state/);
    writeFileSync(join(stateDir, "keepalived", "notify.fifo"), 'INSTANCE "VI_1" MASTER 100\n');
    expect(
      await until(
        "notify scripts ran",
        () => notify.lines(),
        (l) => l.length === 2,
      ),
    ).toEqual(expect.arrayContaining(["master|VI_1", "INSTANCE|VI_1|MASTER|100"]));
    await failover.stop();
    expect(
      await until(
        "stop scripts ran",
        () => notify.lines(),
        (l) => l.length === 4,
      ),
    ).toEqual(expect.arrayContaining(["INSTANCE|VI_1|STOP|100"]));
  });
});
