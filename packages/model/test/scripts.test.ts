import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AllowedScript,
  allowlistReport,
  ClusterSpec,
  type ClusterSpecInput,
  DEMO_CLUSTER,
  placeholdersOf,
  SCRIPT_PLACEHOLDERS,
  ScriptsSection,
  scriptProblems,
  scriptUses,
  substituteArguments,
  ValidationError,
  validate,
} from "../src/index.ts";

function errorsOf(input: unknown) {
  try {
    validate(ClusterSpec, input);
  } catch (e) {
    if (e instanceof ValidationError) return e.errors;
    throw e;
  }
  return [];
}

const service = DEMO_CLUSTER.services![0]!;
const VI_1 = { name: "VI_1", virtualRouterId: 51, vips: ["192.168.1.229"] };
const withCheck = (check: unknown): ClusterSpecInput =>
  ({
    ...DEMO_CLUSTER,
    services: [{ ...service, realServers: [{ address: "192.168.1.220", port: 80, healthChecks: [check] }] }],
  }) as ClusterSpecInput;

/** A spec naming scripts in every place a spec can. */
const NAMING: ClusterSpecInput = {
  ...DEMO_CLUSTER,
  services: [
    {
      ...service,
      quorum: { weight: 1, up: "quorum-up", down: "page-oncall" },
      realServers: [
        { address: "192.168.1.220", port: 80, healthChecks: [{ type: "misc", script: "check-web" }] },
        { address: "192.168.1.231", port: 80, healthChecks: [{ type: "misc", script: "check-web", dynamic: true }] },
      ],
    },
  ],
  vrrp: {
    instances: [
      { ...VI_1, notify: { master: "notify-state", any: "notify-state" } },
      { name: "VI_2", virtualRouterId: 52, vips: ["192.168.1.228"] },
    ],
    syncGroup: { name: "G1", notify: { fault: "page-oncall" } },
  },
  vips: ["192.168.1.229", "192.168.1.228"],
};

describe("scripts in the spec are names, never paths", () => {
  it("refuses a misc check's path, with what to write instead, naming the field", () => {
    const errors = errorsOf(withCheck({ type: "misc", path: "/bin/touch /tmp/pwned" }));
    expect(errors).toContainEqual({
      field: "services[0].realServers[0].healthChecks[0].path",
      message: expect.stringMatching(
        /^is no longer accepted: name a script from the director's allowlist instead \(`script`: NAME.*docs\/operations\.md/,
      ),
    });
    expect(errors).toContainEqual({
      field: "services[0].realServers[0].healthChecks[0].script",
      message: "is required: the name of a script in the director's allowlist",
    });
    // even next to a valid name, and whatever its type
    expect(errorsOf(withCheck({ type: "misc", script: "check-web", path: ["/bin/true"] }))[0]?.field).toBe(
      "services[0].realServers[0].healthChecks[0].path",
    );
  });

  it("refuses a path or command line where a name goes: misc script, quorum up/down, every notify", () => {
    const pathLike = /^a path or command line is no longer accepted: name a script from the director's allowlist/;
    expect(errorsOf(withCheck({ type: "misc", script: "/usr/local/bin/check.sh" }))[0]?.message).toMatch(pathLike);
    expect(errorsOf(withCheck({ type: "misc", script: "check-web --port 80" }))[0]?.message).toMatch(pathLike);
    expect(errorsOf(withCheck({ type: "misc", script: "Check.Web" }))[0]?.message).toMatch(
      /^must be the name of a script in the director's allowlist: 1-63 lowercase/,
    );
    const quorum = errorsOf({
      ...DEMO_CLUSTER,
      services: [{ ...service, quorum: { weight: 1, down: "/bin/rm -rf /" } }],
    });
    expect(quorum).toEqual([{ field: "services[0].quorum.down", message: expect.stringMatching(pathLike) }]);
    for (const key of ["master", "backup", "fault", "stop", "any"]) {
      const notify = errorsOf({ ...DEMO_CLUSTER, vrrp: { instances: [{ ...VI_1, notify: { [key]: "echo x" } }] } });
      expect(notify).toEqual([{ field: `vrrp.instances[0].notify.${key}`, message: expect.stringMatching(pathLike) }]);
    }
    expect(errorsOf(withCheck({ type: "misc", script: "a".repeat(64) }))).toHaveLength(1);
    expect(errorsOf(withCheck({ type: "misc", script: "a".repeat(63) }))).toEqual([]);
  });

  it("lists every use of a script, with its field and kind", () => {
    expect(scriptUses(validate(ClusterSpec, NAMING))).toEqual([
      { name: "check-web", field: "services[0].realServers[0].healthChecks[0].script", use: "misc" },
      { name: "check-web", field: "services[0].realServers[1].healthChecks[0].script", use: "misc" },
      { name: "quorum-up", field: "services[0].quorum.up", use: "quorum" },
      { name: "page-oncall", field: "services[0].quorum.down", use: "quorum" },
      { name: "notify-state", field: "vrrp.instances[0].notify.master", use: "notify" },
      { name: "notify-state", field: "vrrp.instances[0].notify.any", use: "notify" },
      { name: "page-oncall", field: "vrrp.syncGroup.notify.fault", use: "notify" },
    ]);
    expect(scriptUses(validate(ClusterSpec, DEMO_CLUSTER))).toEqual([]);
  });
});

describe("the scripts section of an allowlist", () => {
  const refusal = (section: unknown) => {
    const result = ScriptsSection.safeParse(section);
    expect(result.success).toBe(false);
    return result.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n") ?? "";
  };

  it("takes an absolute program, arguments with known placeholders, a timeout and a description", () => {
    const section = ScriptsSection.parse({
      "check-web": { command: ["/usr/local/lib/check-web", "{address}", "--port={port}"], timeoutSeconds: 5 },
      page: { command: ["/usr/bin/logger", "-t", "lvsfleet", "{service} {state}"], description: "syslog" },
    });
    expect(section.page?.timeoutSeconds).toBe(30);
    expect(placeholdersOf(section["check-web"]?.command ?? [])).toEqual(["address", "port"]);
    expect(allowlistReport("/etc/lvsfleet/actions.json", section)).toEqual({
      file: "/etc/lvsfleet/actions.json",
      scripts: [
        { name: "check-web", placeholders: ["address", "port"] },
        { name: "page", placeholders: ["service", "state"] },
      ],
    });
    expect(allowlistReport(undefined, section)).toEqual({ scripts: [] });
  });

  it("refuses relative programs, placeholders in the program, unknown placeholders, bad names and extra keys", () => {
    expect(refusal({ x: { command: ["check.sh"] } })).toMatch(
      /x\.command\.0: the program \(command\[0\]\) must be an absolute path/,
    );
    expect(refusal({ x: { command: ["./check.sh"] } })).toMatch(/must be an absolute path/);
    expect(refusal({ x: { command: ["/usr/lib/{service}"] } })).toMatch(/cannot hold a placeholder/);
    expect(refusal({ x: { command: ["/bin/echo", "{cmd}"] } })).toMatch(
      /x\.command\.1: unknown placeholder \{cmd\}; the placeholders are \{address\}, \{port\}, \{service\}, \{state\}, \{type\}, \{instance\}, \{priority\}/,
    );
    expect(refusal({ "Check Web": { command: ["/bin/true"] } })).toMatch(/script names are lowercase/);
    expect(refusal({ "-x": { command: ["/bin/true"] } })).toMatch(/script names are lowercase/);
    expect(refusal({ x: { command: [] } })).toMatch(/must name at least the program/);
    expect(refusal({ x: { command: ["/bin/echo", ""] } })).toMatch(/must not be empty/);
    expect(refusal({ x: { command: ["/bin/echo", "a\0b"] } })).toMatch(/NUL/);
    expect(refusal({ x: { command: ["/bin/true"], env: { PATH: "/tmp" } } })).toMatch(/env/);
    expect(refusal({ x: { command: ["/bin/true"], timeoutSeconds: 0 } })).toMatch(/timeoutSeconds/);
    expect(refusal({ x: { command: "/bin/true" } })).toMatch(/command/);
    expect(AllowedScript.safeParse({ command: ["/bin/true", "{}", "{1}", "{ADDRESS}"] }).success).toBe(true);
  });
});

describe("placeholder substitution", () => {
  const values = { address: "198.18.0.11", port: "8080", service: "http" };

  it("fills whole arguments and parts of arguments, once, never the program", () => {
    expect(
      substituteArguments(
        ["/usr/lib/check", "{address}", "--url=http://{address}:{port}/", "{service}{service}"],
        values,
      ),
    ).toEqual(["/usr/lib/check", "198.18.0.11", "--url=http://198.18.0.11:8080/", "httphttp"]);
    expect(substituteArguments(["/x/{address}", "a"], values)).toEqual(["/x/{address}", "a"]);
    expect(() => substituteArguments(["/bin/echo", "{instance}"], values)).toThrow(/no value for \{instance\}/);
  });

  it("refuses values the placeholder does not take, so nothing runs", () => {
    for (const [name, value] of [
      ["address", "198.18.0.11; touch /tmp/x"],
      ["address", "-x"],
      ["port", "80 81"],
      ["port", "65536"],
      ["service", "http$(id)"],
      ["state", "MASTER\n"],
      ["type", "instance"],
      ["instance", "--help"],
      ["instance", "VI 1"],
      ["priority", "256"],
      ["cmd", "x"],
    ] as const)
      expect(() => substituteArguments(["/bin/echo", `{${name}}`], { [name]: value }), `${name}=${value}`).toThrow();
  });

  it("property: no value can add, remove or split an argument, change the program, or carry shell syntax", () => {
    const names = Object.values(SCRIPT_PLACEHOLDERS).flat();
    const template = fc.array(
      fc.array(fc.oneof(fc.constantFrom(...names.map((n) => `{${n}}`)), fc.string({ maxLength: 6 })), {
        maxLength: 4,
      }),
      { maxLength: 6 },
    );
    const hostile = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom("; touch /tmp/pwned", "$(id)", "`id`", "a b", "x\ny", "--help", "|sh", "{address}", ""),
    );
    const valid: Record<string, fc.Arbitrary<string>> = {
      address: fc.oneof(fc.ipV4(), fc.ipV6()),
      port: fc.integer({ min: 0, max: 65535 }).map(String),
      service: fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/),
      state: fc.constantFrom("up", "down", "MASTER", "BACKUP", "FAULT", "STOP"),
      type: fc.constantFrom("INSTANCE", "GROUP"),
      instance: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,10}$/),
      priority: fc.integer({ min: 0, max: 255 }).map(String),
    };
    const valueMap = fc.record(
      Object.fromEntries(
        [...new Set(names)].map((n) => [
          n,
          fc.oneof({ weight: 8, arbitrary: valid[n] as fc.Arbitrary<string> }, hostile),
        ]),
      ),
      { requiredKeys: [] },
    ) as fc.Arbitrary<Record<string, string>>;
    let substituted = 0;
    fc.assert(
      fc.property(template, valueMap, (parts, vals) => {
        const command = ["/usr/lib/lvsfleet/script", ...parts.map((p) => p.join("")).filter((a) => a.length > 0)];
        let argv: string[];
        try {
          argv = substituteArguments(command, vals);
        } catch {
          return; // refused: nothing runs
        }
        if (argv.some((arg, i) => arg !== command[i])) substituted++;
        expect(argv).toHaveLength(command.length);
        expect(argv[0]).toBe(command[0]);
        for (const value of Object.values(vals)) expect(value).toMatch(/^[A-Za-z0-9_.:@-]*$/);
        // each argument is its template with placeholders replaced by exactly the values: one pass
        argv.forEach((arg, i) => {
          const expected = (command[i] as string).replace(/\{([a-z]+)\}/g, (w, n: string) =>
            i === 0 ? w : (vals[n] as string),
          );
          expect(arg).toBe(expected);
        });
      }),
      { numRuns: 500 },
    );
    expect(substituted).toBeGreaterThan(10);
  });
});

describe("script problems against a director's allowlist", () => {
  const spec = validate(ClusterSpec, NAMING);

  it("scripts off: one problem naming the scripts and saying how to turn them on", () => {
    const problems = scriptProblems(spec, { scripts: [] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: "scripts-off", severity: "error", subject: "scripts" });
    expect(problems[0]?.message).toBe(
      "scripts are off on this director: start it with --actions-file FILE holding a scripts section (the spec names check-web, quorum-up, page-oncall, notify-state at services[0].realServers[0].healthChecks[0].script, services[0].realServers[1].healthChecks[0].script, services[0].quorum.up and 4 more)",
    );
    expect(scriptProblems(validate(ClusterSpec, DEMO_CLUSTER), { scripts: [] })).toEqual([]);
    expect(scriptProblems(undefined, { scripts: [] })).toEqual([]);
  });

  it("an unknown name: which file, what it has, where the spec names it", () => {
    const problems = scriptProblems(spec, {
      file: "/etc/lvsfleet/actions.json",
      scripts: [
        { name: "check-web", placeholders: ["address", "port"] },
        { name: "quorum-up", placeholders: [] },
        { name: "notify-state", placeholders: ["instance", "state"] },
      ],
    });
    expect(problems).toEqual([
      {
        code: "script-not-allowed",
        severity: "error",
        subject: "page-oncall",
        message:
          "script page-oncall is not in this director's allowlist (/etc/lvsfleet/actions.json); it has: check-web, quorum-up, notify-state (named at services[0].quorum.down, vrrp.syncGroup.notify.fault)",
        fix: 'add "page-oncall" to the scripts section of /etc/lvsfleet/actions.json and restart the agent, or name one of its scripts',
      },
    ]);
  });

  it("a placeholder the use does not provide", () => {
    const problems = scriptProblems(spec, {
      file: "/a.json",
      scripts: [
        { name: "check-web", placeholders: ["address", "instance"] },
        { name: "quorum-up", placeholders: ["service", "state"] },
        { name: "page-oncall", placeholders: ["state"] },
        { name: "notify-state", placeholders: ["type", "instance", "state", "priority"] },
      ],
    });
    expect(problems.map((p) => [p.code, p.subject, p.message])).toEqual([
      [
        "script-placeholder",
        "check-web",
        "script check-web uses {instance}, which a misc health check does not provide (it provides {address}, {port}, {service}; named at services[0].realServers[0].healthChecks[0].script, services[0].realServers[1].healthChecks[0].script)",
      ],
    ]);
  });
});
