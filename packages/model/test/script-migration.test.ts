import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ClusterSpec,
  DEMO_CLUSTER,
  migrateScriptCommands,
  NOTIFY_APPENDS,
  SCRIPT_NAME,
  type ScriptMigration,
  splitCommand,
  splitDirectorCommand,
} from "../src/index.ts";

const service = DEMO_CLUSTER.services![0]!;
const VIPS = ["192.168.1.229", "192.168.1.228"];

/** A spec as a server stored it before scripts were named: command lines in every place a script goes. */
const OLD = {
  ...DEMO_CLUSTER,
  vips: VIPS,
  services: [
    {
      ...service,
      quorum: { weight: 1, up: "/usr/local/bin/quorum.sh up", down: "/usr/local/bin/page --team lb" },
      realServers: [
        {
          address: "192.168.1.220",
          port: 80,
          healthChecks: [{ type: "misc", path: "/usr/local/bin/check_web.sh 192.168.1.220 80", timeout: 5 }],
        },
        {
          address: "192.168.1.231",
          port: 80,
          healthChecks: [
            { type: "misc", path: "/usr/local/bin/check_web.sh 192.168.1.220 80", dynamic: true },
            { type: "misc", path: '/opt/checks/check_web.sh -m "GET /"' },
          ],
        },
      ],
    },
  ],
  vrrp: {
    instances: [
      {
        name: "VI_1",
        virtualRouterId: 51,
        vips: ["192.168.1.229"],
        notify: { master: "/usr/local/bin/page --team lb", any: "/usr/local/bin/page --team lb" },
      },
      { name: "VI_2", virtualRouterId: 52, vips: ["192.168.1.228"], notify: { backup: "/etc/keepalived/'to backup'" } },
    ],
    syncGroup: { name: "G1", notify: { fault: "notify-fault" } },
  },
};

describe("migrating a spec stored before scripts were named", () => {
  it("names every command line and suggests the allowlist entries that run them as before", () => {
    const result = migrateScriptCommands(OLD);
    const spec = result.spec as typeof OLD & { services: { realServers: { healthChecks: object[] }[] }[] };
    // misc: `path` gives way to `script`, the other keys stay; the same command line, the same name
    expect(spec.services[0]?.realServers[0]?.healthChecks).toEqual([{ type: "misc", script: "check_web", timeout: 5 }]);
    expect(spec.services[0]?.realServers[1]?.healthChecks).toEqual([
      { type: "misc", script: "check_web", dynamic: true },
      { type: "misc", script: "check_web-2" },
    ]);
    expect(spec.services[0]?.quorum).toEqual({ weight: 1, up: "quorum", down: "page" });
    // notify.master runs the same program as quorum.down (one name); notify.any gets four more arguments (another)
    expect(spec.vrrp.instances[0]?.notify).toEqual({ master: "page", any: "page-2" });
    expect(spec.vrrp.instances[1]?.notify).toEqual({ backup: "to-backup" });
    // already a name: read as one, and kept
    expect(spec.vrrp.syncGroup.notify).toEqual({ fault: "notify-fault" });

    expect(result.scripts).toEqual({
      check_web: {
        command: ["/usr/local/bin/check_web.sh", "192.168.1.220", "80"],
        description: "migrated from cluster web's services[0].realServers[0].healthChecks[0].path",
      },
      "check_web-2": {
        command: ["/opt/checks/check_web.sh", "-m", "GET /"],
        description: "migrated from cluster web's services[0].realServers[1].healthChecks[1].path",
      },
      quorum: {
        command: ["/usr/local/bin/quorum.sh", "up"],
        description: "migrated from cluster web's services[0].quorum.up",
      },
      page: {
        command: ["/usr/local/bin/page", "--team", "lb"],
        description: "migrated from cluster web's services[0].quorum.down",
      },
      "page-2": {
        command: ["/usr/local/bin/page", "--team", "lb", ...NOTIFY_APPENDS],
        description: "migrated from cluster web's vrrp.instances[0].notify.any",
      },
      "to-backup": {
        command: ["/etc/keepalived/to backup"],
        description: "migrated from cluster web's vrrp.instances[1].notify.backup",
      },
    });
    expect(result.changes).toContainEqual({
      field: "services[0].realServers[1].healthChecks[1].path",
      now: "services[0].realServers[1].healthChecks[1].script",
      command: '/opt/checks/check_web.sh -m "GET /"',
      name: "check_web-2",
    });
    expect(result.changes).toContainEqual({
      field: "vrrp.instances[0].notify.any",
      now: "vrrp.instances[0].notify.any",
      command: "/usr/local/bin/page --team lb",
      name: "page-2",
    });
    expect(result.changes).toHaveLength(8);
    expect(result.warnings).toEqual([]);
    expect(ClusterSpec.safeParse(OLD).success).toBe(false);
    expect(ClusterSpec.safeParse(result.spec).success).toBe(true);
  });

  it("splits misc and quorum as the director agent did, notify as keepalived did", () => {
    // the director: "double quotes" keep a word, single quotes and backslashes are ordinary characters
    expect(splitDirectorCommand(`/bin/sh -c "exit 3"`)).toEqual(["/bin/sh", "-c", "exit 3"]);
    expect(splitDirectorCommand(`/x 'a b' c\\ d`)).toEqual(["/x", "'a", "b'", "c\\", "d"]);
    const check = (path: string) => ({
      ...OLD,
      vrrp: undefined,
      services: [
        { ...service, realServers: [{ address: "192.168.1.220", port: 80, healthChecks: [{ type: "misc", path }] }] },
      ],
    });
    expect(migrateScriptCommands(check(`/x 'a b'`)).scripts.x?.command).toEqual(["/x", "'a", "b'"]);
    const notify = (backup: string) => ({
      ...OLD,
      vrrp: { instances: [{ name: "VI_1", virtualRouterId: 51, vips: VIPS, notify: { backup } }] },
    });
    expect(migrateScriptCommands(notify(`/x 'a b'`)).scripts.x?.command).toEqual(["/x", "a b"]);
  });

  it("never gives a name the spec already uses to another program", () => {
    const spec = {
      ...OLD,
      vrrp: undefined,
      services: [
        {
          ...service,
          quorum: { weight: 1, up: "check", down: "/usr/bin/check" },
          realServers: [{ address: "192.168.1.220", port: 80, healthChecks: [{ type: "misc", script: "check-2" }] }],
        },
      ],
    };
    const result = migrateScriptCommands(spec);
    expect((result.spec as typeof spec).services[0]?.quorum).toEqual({ weight: 1, up: "check", down: "check-3" });
    expect(Object.keys(result.scripts)).toEqual(["check-3"]);
  });

  it("warns about entries that cannot go into an allowlist as they are", () => {
    const spec = {
      ...OLD,
      vrrp: undefined,
      services: [
        {
          ...service,
          quorum: { weight: 1, up: "Check.sh --port {port}", down: " " },
          realServers: [],
        },
      ],
    };
    const result = migrateScriptCommands(spec);
    expect((result.spec as typeof spec).services[0]?.quorum).toEqual({ weight: 1, up: "check", down: "script" });
    expect(result.scripts.check?.command).toEqual(["Check.sh", "--port", "{port}"]);
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^script check \["Check\.sh","--port","\{port\}"\]: edit it before adding it \(command\[0\]: the program \(command\[0\]\) must be an absolute path/,
      ),
      'script check ["Check.sh","--port","{port}"]: {port} in its arguments would now be read as placeholders the agent fills',
      expect.stringMatching(
        /^script script \[\]: edit it before adding it \(command: must name at least the program; /,
      ),
    ]);
    expect(ClusterSpec.safeParse(result.spec).success).toBe(true);
  });

  it("leaves a spec that names its scripts, and anything that is not a spec, as it is", () => {
    const named = migrateScriptCommands(migrateScriptCommands(OLD).spec);
    expect(named.changes).toEqual([]);
    expect(named.scripts).toEqual({});
    expect(named.spec).toEqual(migrateScriptCommands(OLD).spec);
    for (const value of [
      null,
      42,
      "web",
      [OLD],
      { name: "web", services: "none" },
      { services: [{ quorum: { up: 7 } }] },
    ])
      expect(migrateScriptCommands(value)).toEqual({ spec: value, changes: [], scripts: {}, warnings: [] });
  });

  it("does not modify its input", () => {
    const before = structuredClone(OLD);
    migrateScriptCommands(OLD);
    expect(OLD).toEqual(before);
  });
});

/** What the retired schema accepted where a script goes: one line of text (health.ts before scripts were named). */
const OldScriptCommand = z
  .string()
  .min(1)
  .refine((s) => !/[\n\r\0]/.test(s));

const commandLine = fc.oneof(
  // a program with arguments, some quoted
  fc
    .tuple(
      fc.constantFrom("/usr/local/bin/", "/etc/keepalived/", "/opt/x y/", "", "./"),
      fc.stringMatching(/^[A-Za-z0-9_. -]{1,12}$/),
      fc.array(
        fc.oneof(
          fc.stringMatching(/^[A-Za-z0-9_./:=-]{1,8}$/),
          fc.stringMatching(/^[a-z ]{1,6}$/).map((w) => `"${w}"`),
          fc.stringMatching(/^[a-z {}]{1,8}$/).map((w) => `'${w}'`),
        ),
        { maxLength: 3 },
      ),
    )
    .map(([dir, program, args]) => [`${dir}${program}`, ...args].join(" ")),
  // whatever the old schema let through
  fc.string({ minLength: 1, maxLength: 30 }).filter((s) => OldScriptCommand.safeParse(s).success),
  // a bare program that reads as a name
  fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/),
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const notify = fc.record(
  { master: commandLine, backup: commandLine, fault: commandLine, stop: commandLine, any: commandLine },
  { requiredKeys: [] },
);
const healthCheck = fc.oneof(
  fc.record(
    { type: fc.constant("misc"), path: commandLine, dynamic: maybe(fc.boolean()) },
    { requiredKeys: ["type", "path"] },
  ),
  fc.constant({ type: "tcp" }),
);
const realServers = fc.uniqueArray(fc.integer({ min: 1, max: 250 }), { minLength: 1, maxLength: 3 }).chain((hosts) =>
  fc.tuple(
    ...hosts.map((h) =>
      fc.record({
        address: fc.constant(`198.18.0.${h}`),
        port: fc.constant(80),
        healthChecks: fc.array(healthCheck, { maxLength: 2 }),
      }),
    ),
  ),
);
const services = fc.tuple(
  ...[80, 8080].map((port, i) =>
    fc.record(
      {
        name: fc.constant(`svc${i}`),
        protocol: fc.constant("tcp"),
        address: fc.constant(VIPS[0]),
        port: fc.constant(port),
        scheduler: fc.constant("wrr"),
        forwarding: fc.constant("dr"),
        realServers,
        quorum: maybe(
          fc.record({ weight: fc.constant(1), up: commandLine, down: commandLine }, { requiredKeys: ["weight"] }),
        ),
      },
      { requiredKeys: ["name", "protocol", "address", "port", "scheduler", "forwarding", "realServers"] },
    ),
  ),
);
const vrrp = fc.record({
  instances: fc.tuple(
    fc.record(
      {
        name: fc.constant("VI_1"),
        virtualRouterId: fc.constant(51),
        vips: fc.constant([VIPS[0]]),
        notify: maybe(notify),
      },
      { requiredKeys: ["name", "virtualRouterId", "vips"] },
    ),
    fc.record(
      {
        name: fc.constant("VI_2"),
        virtualRouterId: fc.constant(52),
        vips: fc.constant([VIPS[1]]),
        notify: maybe(notify),
      },
      { requiredKeys: ["name", "virtualRouterId", "vips"] },
    ),
  ),
  syncGroup: maybe(fc.record({ name: fc.constant("G1"), notify: maybe(notify) }, { requiredKeys: ["name"] })),
});
/** Specs of the shape a server stored before scripts were named (JSON: no undefined values). */
const oldSpec = fc
  .record({ services, vrrp: maybe(vrrp) })
  .map(({ services, vrrp }) => JSON.parse(JSON.stringify({ ...DEMO_CLUSTER, vips: VIPS, services, vrrp })) as unknown);

/** The old schema's verdict: each command line one line of text, and the spec valid with a name in its place. */
function oldSchemaAccepts(spec: unknown): boolean {
  // biome-ignore lint/suspicious/noExplicitAny: a generated spec, walked by the shape the generator gives it
  const copy: any = structuredClone(spec);
  const lines: unknown[] = [];
  const name = (holder: Record<string, unknown> | undefined, key: string) => {
    if (!holder || !(key in holder)) return;
    lines.push(holder[key]);
    holder[key] = "x";
  };
  for (const s of copy.services) {
    for (const rs of s.realServers)
      for (const check of rs.healthChecks)
        if (check.type === "misc") {
          lines.push(check.path);
          delete check.path;
          check.script = "x";
        }
    for (const key of ["up", "down"]) name(s.quorum, key);
  }
  for (const notify of [
    ...(copy.vrrp?.instances ?? []).map((i: { notify?: object }) => i.notify),
    copy.vrrp?.syncGroup?.notify,
  ])
    for (const key of ["master", "backup", "fault", "stop", "any"]) name(notify, key);
  return lines.every((line) => OldScriptCommand.safeParse(line).success) && ClusterSpec.safeParse(copy).success;
}

/** Every string in a JSON value. */
const strings = (value: unknown): string[] =>
  typeof value === "string" ? [value] : value && typeof value === "object" ? Object.values(value).flatMap(strings) : [];

/** The argument array a change's command ran as. */
function ranAs(change: ScriptMigration["changes"][number]): string[] {
  if (!change.field.includes(".notify.")) return splitDirectorCommand(change.command);
  const argv = splitCommand(change.command);
  return change.field.endsWith(".any") ? [...argv, ...NOTIFY_APPENDS] : argv;
}

describe("migration properties", () => {
  it("generates what the old schema accepted", () => {
    fc.assert(
      fc.property(oldSpec, (spec) => {
        expect(oldSchemaAccepts(spec)).toBe(true);
      }),
    );
  });

  it("the result validates with ClusterSpec", () => {
    fc.assert(
      fc.property(oldSpec, (spec) => {
        const result = ClusterSpec.safeParse(migrateScriptCommands(spec).spec);
        expect(result.error?.issues ?? []).toEqual([]);
      }),
    );
  });

  it("is idempotent: a migrated spec migrates to itself, with no entries", () => {
    fc.assert(
      fc.property(oldSpec, (spec) => {
        const once = migrateScriptCommands(spec);
        const twice = migrateScriptCommands(once.spec);
        expect(twice.spec).toEqual(once.spec);
        expect(twice.changes).toEqual([]);
        expect(twice.scripts).toEqual({});
        expect(twice.warnings).toEqual([]);
      }),
    );
  });

  it("leaves no command text in the spec: only names, and no misc path", () => {
    fc.assert(
      fc.property(oldSpec, (spec) => {
        const result = migrateScriptCommands(spec);
        const left = new Set(strings(result.spec));
        for (const change of result.changes) {
          expect(change.name).toMatch(SCRIPT_NAME);
          if (!SCRIPT_NAME.test(change.command)) expect(left.has(change.command)).toBe(false);
        }
        expect(JSON.stringify(result.spec)).not.toContain('"path"');
      }),
    );
  });

  it("one name per command it ran as, and an entry that runs exactly that", () => {
    fc.assert(
      fc.property(oldSpec, (spec) => {
        const { changes, scripts } = migrateScriptCommands(spec);
        const byCommand = new Map<string, string>();
        for (const change of changes) {
          const argv = ranAs(change);
          expect(scripts[change.name]?.command).toEqual(argv);
          const key = JSON.stringify(argv);
          expect(byCommand.get(key) ?? change.name).toBe(change.name);
          byCommand.set(key, change.name);
        }
        // distinct commands, distinct names; every entry is used
        expect(new Set(byCommand.values()).size).toBe(byCommand.size);
        expect(Object.keys(scripts).sort()).toEqual([...new Set(changes.map((c) => c.name))].sort());
      }),
    );
  });
});
