import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentOptions, parseAgentOptions } from "@lvsfleet/agent-runtime";
import {
  type AgentState,
  ClusterSpec,
  DEMO_CLUSTER,
  desiredTable,
  directorRoleConfig,
  validate,
} from "@lvsfleet/model";
import { AgentCallError, AgentClient, GrpcStatus, type RunningAgentServer, serveAgent } from "@lvsfleet/rpc";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directorProgram } from "../src/program.ts";

/**
 * A running director (sim driver) sent values that would break out of their token in ipvsadm -R
 * input, an nft script, keepalived.conf or an ip command: each request is refused with
 * INVALID_ARGUMENT naming the field, and the host, the table, the generation and the agent's own
 * files are exactly as before.
 */

const spec = validate(ClusterSpec, DEMO_CLUSTER);
const director = spec.directors[0]!;
const table = desiredTable(spec);
const first = table.services[0]!;

let stateDir: string;
let server: RunningAgentServer;
let client: AgentClient;
let close: () => Promise<void>;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "lvsfleet-agent-input-"));
  const options = AgentOptions.parse({ host: "lb-master", address: "192.168.1.252/24" });
  const handlers = await directorProgram.create({ options, stateDir, log: pino({ level: "silent" }) });
  server = await serveAgent(handlers, { listen: "127.0.0.1:0" });
  client = new AgentClient({ host: "lb-master", endpoint: `127.0.0.1:${server.port}`, deadlineMs: 3_000 });
  close = async () => {
    client.close();
    await server.close();
    await handlers.close();
  };
  await client.start("web", { kind: "director", director: directorRoleConfig(spec, director, 1) });
});
afterAll(async () => {
  await close();
  rmSync(stateDir, { recursive: true, force: true });
});

/** What must not change: the role, the generation, the table's settings, the host, and the agent's files. */
async function snapshot() {
  const state: AgentState = await client.getState();
  return {
    roleState: state.roleState,
    cluster: state.cluster,
    generation: state.generation,
    table: state.table.services.map(({ stats: _s, rates: _r, destinations, ...service }) => ({
      ...service,
      destinations: destinations.map(({ activeConns: _a, inactConns: _i, persistConns: _p, ...d }) => d),
    })),
    host: state.host,
    files: Object.fromEntries(
      ["role.json", "ledger.json", "sim-host.json"].map((f) => [f, readFileSync(join(stateDir, f), "utf8")]),
    ),
  };
}

async function expectRefused(call: () => Promise<unknown>, field: string) {
  const before = await snapshot();
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentCallError);
  expect((error as AgentCallError).code).toBe(GrpcStatus.INVALID_ARGUMENT);
  expect((error as AgentCallError).detail).toMatch(new RegExp(`^${field.replace(/[.[\]]/g, "\\$&")}: `));
  expect(await snapshot()).toEqual(before);
}

const withService = (patch: object) => ({ services: [{ ...first, ...patch }] }) as never;
const withDestination = (patch: object) =>
  ({ services: [{ ...first, destinations: [{ ...first.destinations[0]!, ...patch }] }] }) as never;

describe("a running director refuses what would break its renderers, and nothing changes", () => {
  it("starts with the guide's table at generation 1", async () => {
    const state = await snapshot();
    expect(state).toMatchObject({ roleState: "running", cluster: "web", generation: 1 });
    expect(state.table[0]).toMatchObject({ scheduler: "wrr", address: "192.168.1.229" });
  });

  it.each([
    ["a scheduler with a newline (ipvsadm -R)", withService({ scheduler: "wrr\n-C" }), "desired.services[0].scheduler"],
    ["an address with a newline", withService({ address: "1.2.3.4\n-D -t" }), "desired.services[0].address"],
    [
      "a flag with a semicolon",
      withService({ scheduler: "sh", schedulerFlags: ["sh-port;"] }),
      "desired.services[0].scheduler_flags[0]",
    ],
    [
      "a real server's address with a quote (nft)",
      withDestination({ address: '192.168.1.220" device "lo' }),
      "desired.services[0].destinations[0].address",
    ],
    ["a weight out of range", withDestination({ weight: 100_000 }), "desired.services[0].destinations[0].weight"],
    [
      "a netmask too long",
      withService({ persistence: { timeout: 60, netmask: 64 } }),
      "desired.services[0].persistence.netmask",
    ],
  ])("Apply: %s", async (_what, desired, field) => {
    await expectRefused(() => client.apply({ cluster: "web", generation: 5, desired }), field);
  });

  it("Apply: a spec whose service name or VRRP instance name has a brace (keepalived.conf)", async () => {
    await expectRefused(
      () =>
        client.apply({
          cluster: "web",
          generation: 5,
          spec: { ...spec, services: [{ ...spec.services[0]!, name: "http}" }] } as never,
        }),
      "spec_json: spec.services[0].name",
    );
    await expectRefused(
      () =>
        client.apply({
          cluster: "web",
          generation: 5,
          spec: {
            ...spec,
            vrrp: { instances: [{ name: "VI_1 }", virtualRouterId: 51, vips: spec.vips }] },
          } as never,
        }),
      "spec_json: spec.vrrp.instances[0].name",
    );
  });

  it("Start: an interface or a VIP that would become part of an ip command", async () => {
    const start = (patch: object) =>
      client.start("web", {
        kind: "director",
        director: { ...directorRoleConfig(spec, director, 7), ...patch } as never,
      });
    await expectRefused(() => start({ interface: "eth0 label x" }), "director.interface");
    await expectRefused(() => start({ interface: "eth0\n" }), "director.interface");
    await expectRefused(() => start({ vips: ["192.168.1.229/0"] }), "director.vips[0]");
    await expectRefused(
      () => start({ spec: undefined, desired: withService({ scheduler: "rr;" }) }),
      "director.desired.services[0].scheduler",
    );
  });

  it("Stop: a cluster that is not a name", async () => {
    await expectRefused(() => client.stop("web\nweb"), "cluster");
  });

  it("its own --interface (the nft ingress device) must be an interface name too", () => {
    for (const iface of ['eth0" ; flush ruleset', "eth0\n", "eth0 lo"])
      expect(() => parseAgentOptions(["--host", "lb-master", "--interface", iface])).toThrow(
        /interface: must be a Linux interface name/,
      );
    expect(parseAgentOptions(["--host", "lb-master", "--interface", "bond0.12"]).interface).toBe("bond0.12");
  });

  it("still takes a good Apply afterwards", async () => {
    const changed = structuredClone(table);
    changed.services[0]!.destinations[0]!.weight = 5;
    const applied = await client.apply({ cluster: "web", generation: 2, desired: changed });
    expect(applied.generation).toBe(2);
    expect(applied.operations).toHaveLength(1);
  });
});
