import * as grpc from "@grpc/grpc-js";
import {
  ClusterSpec,
  DEMO_CLUSTER,
  desiredTable,
  directorRoleConfig,
  type IpvsService,
  type IpvsTable,
  type RoleConfig,
  validate,
} from "@lvsfleet/model";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type AgentApi,
  AgentCallError,
  AgentClient,
  agentService,
  type RunningAgentServer,
  serveAgent,
} from "../src/index.ts";

/**
 * The agent's boundary: every value of Apply, Start and Stop is checked with the model's schemas
 * before a handler runs. These handlers only record what reaches them: a refused request must
 * reach nothing (no plan, no ipvsadm -R, no nft script, no keepalived.conf, no host change).
 */

const spec = validate(ClusterSpec, DEMO_CLUSTER);
const director = spec.directors[0]!;
const table = desiredTable(spec);
const reached: { method: string; request: unknown }[] = [];

const handlers = {
  getInfo: async () => ({ host: "lb-master", role: "director" as const, driver: "fake", version: "0", startedAt: 0 }),
  async apply(request: unknown) {
    reached.push({ method: "apply", request });
    return { operations: [], observed: { services: [] }, generation: 1 };
  },
  async start(cluster: string, config: RoleConfig) {
    reached.push({ method: "start", request: { cluster, config } });
    return { changes: [], state: await handlers.getState() };
  },
  async stop(cluster: string) {
    reached.push({ method: "stop", request: { cluster } });
    return { changes: [], state: await handlers.getState() };
  },
  async getState() {
    return {
      info: await handlers.getInfo(),
      roleState: "stopped" as const,
      table: { services: [] },
      host: { addresses: [], routes: [], sysctls: {} },
      generation: 0,
    };
  },
  async setSimulatedHealth(change: unknown) {
    reached.push({ method: "setSimulatedHealth", request: change });
    return [];
  },
  watchEvents: () => ({ cancel() {} }),
} as unknown as AgentApi;

let server: RunningAgentServer;
let client: AgentClient;
/** A client that sends messages as given (numbers where the proto has enums), for what AgentClient cannot say. */
let raw: grpc.Client;

beforeAll(async () => {
  server = await serveAgent(handlers, { listen: "127.0.0.1:0" });
  client = new AgentClient({ host: "lb-master", endpoint: `127.0.0.1:${server.port}`, deadlineMs: 3_000 });
  raw = new (agentService())(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
});
afterAll(async () => {
  client.close();
  raw.close();
  await server.close();
});
beforeEach(() => {
  reached.length = 0;
});

/** The demo table with its first service (and first real server) patched. */
function tableWith(service: Partial<Record<keyof IpvsService, unknown>>, destination: Record<string, unknown> = {}) {
  const first = table.services[0]!;
  return {
    services: [
      {
        ...first,
        ...service,
        destinations: first.destinations.map((d, i) => (i === 0 ? { ...d, ...destination } : d)),
      },
    ],
  } as unknown as IpvsTable;
}

/** The refusal of `call`: INVALID_ARGUMENT naming `field`, and nothing reached a handler. */
async function refused(call: Promise<unknown>, field: string): Promise<string> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentCallError);
  const { code, detail } = error as AgentCallError;
  expect(grpc.status[code]).toBe("INVALID_ARGUMENT");
  expect(detail.startsWith(`${field}: `), `"${detail}" names ${field}`).toBe(true);
  expect(reached).toEqual([]);
  return detail;
}

function rawCall(method: "apply" | "start", request: unknown): Promise<unknown> {
  return new Promise((resolve, reject) =>
    (raw as unknown as Record<string, (r: unknown, cb: (e: grpc.ServiceError | null, v: unknown) => void) => void>)[
      method
    ]!.call(raw, request, (error, value) =>
      error ? reject(new AgentCallError("lb-master", "raw", method, error.code, error.details)) : resolve(value),
    ),
  );
}

const rawService = {
  protocol: "TCP",
  address: "192.168.1.229",
  port: 80,
  family: "INET",
  scheduler: "wrr",
  destinations: [{ address: "192.168.1.220", port: 80, forwarding: "DR", weight: 3 }],
};

describe("Apply: the desired table is checked with the model's schemas before anything runs", () => {
  const apply = (desired: IpvsTable, extra: { cluster?: string; generation?: number } = {}) =>
    client.apply({ cluster: extra.cluster ?? "web", generation: extra.generation ?? 2, desired });

  it("accepts the server's own table and hands the handler exactly that", async () => {
    await apply(table);
    expect(reached).toEqual([
      { method: "apply", request: { cluster: "web", generation: 2, desired: table, dryRun: false } },
    ]);
  });

  it.each([
    ["a newline in the scheduler", { scheduler: "wrr\n-C" }, "desired.services[0].scheduler"],
    ["a space in the scheduler", { scheduler: "wrr -p 1" }, "desired.services[0].scheduler"],
    ["an unknown scheduler", { scheduler: "fastest" }, "desired.services[0].scheduler"],
    ["a newline in the address", { address: "1.2.3.4\n-D -t" }, "desired.services[0].address"],
    ["a space in the address", { address: "192.168.1.229 -s rr" }, "desired.services[0].address"],
    ["a brace in the address", { address: "192.168.1.229}" }, "desired.services[0].address"],
    ["a quote in the address", { address: '192.168.1.229"' }, "desired.services[0].address"],
    ["a semicolon in the address", { address: "192.168.1.229;" }, "desired.services[0].address"],
    [
      "a newline in a flag",
      { scheduler: "sh", schedulerFlags: ["sh-port\n-C"] },
      "desired.services[0].scheduler_flags[0]",
    ],
    ["an unknown flag", { scheduler: "sh", schedulerFlags: ["sh-port;"] }, "desired.services[0].scheduler_flags[0]"],
    [
      "a flag of another scheduler",
      { scheduler: "wrr", schedulerFlags: ["sh-port"] },
      "desired.services[0].scheduler_flags[0]",
    ],
    ["a port out of range", { port: 70_000 }, "desired.services[0].port"],
    [
      "a netmask too long for IPv4",
      { persistence: { timeout: 60, netmask: 33 } },
      "desired.services[0].persistence.netmask",
    ],
    [
      "a netmask out of range",
      { persistence: { timeout: 60, netmask: 4000 } },
      "desired.services[0].persistence.netmask",
    ],
    [
      "a persistence timeout of 0",
      { persistence: { timeout: 0, netmask: 32 } },
      "desired.services[0].persistence.timeout",
    ],
    ["an unknown protocol", { protocol: "quic" }, "desired.services[0].protocol"],
    ["a family that is not the address's", { family: "inet6" }, "desired.services[0].family"],
  ])("refuses %s", async (_what, service, field) => {
    await refused(apply(tableWith(service)), field);
  });

  it.each([
    ["a newline in a real server's address", { address: "198.18.0.1\n-D -t 1.2.3.4:80" }, "address"],
    ["a space in a real server's address", { address: "198.18.0.1 -w 100" }, "address"],
    ["a brace in a real server's address", { address: "{198.18.0.1}" }, "address"],
    ["a port out of range", { port: 65_536 }, "port"],
    ["a weight out of range", { weight: 65_536 }, "weight"],
    ["a lower threshold above the upper one", { upperThreshold: 5, lowerThreshold: 10 }, "lower_threshold"],
    ["a newline in a tunnel type", { forwarding: "tun", tunnel: { type: "gue\n-C", port: 6080 } }, "tunnel.type"],
    ["a bad tunnel checksum", { forwarding: "tun", tunnel: { type: "gre", checksum: "csum;" } }, "tunnel.checksum"],
    ["an unknown forwarding method", { forwarding: "magic" }, "forwarding"],
  ])("refuses %s", async (_what, destination, field) => {
    await refused(apply(tableWith({}, destination)), `desired.services[0].destinations[0].${field}`);
  });

  it("refuses the same service or real server twice", async () => {
    await refused(apply({ services: [table.services[0]!, table.services[0]!] }), "desired.services[1]");
    const first = table.services[0]!;
    await refused(
      apply({ services: [{ ...first, destinations: [first.destinations[0]!, first.destinations[0]!] }] }),
      "desired.services[0].destinations[1]",
    );
  });

  it("refuses a bad cluster name, and a bad spec with the spec's field", async () => {
    await refused(apply(table, { cluster: "web\n" }), "cluster");
    await refused(apply(table, { cluster: "we b" }), "cluster");
    await refused(apply(table, { cluster: "" }), "cluster");
    const named = (name: string) => ({ ...spec, services: [{ ...spec.services[0]!, name }] });
    await refused(
      client.apply({ cluster: "web", generation: 2, spec: named("http}") as never }),
      "spec_json: spec.services[0].name",
    );
    await refused(
      client.apply({
        cluster: "web",
        generation: 2,
        spec: { ...spec, directors: [{ ...director, interface: "eth0;" }] } as never,
      }),
      "spec_json: spec.directors[0].interface",
    );
  });

  it("refuses enums the model does not know, sent as numbers or left unspecified", async () => {
    const send = (service: Record<string, unknown>) =>
      rawCall("apply", { cluster: "web", generation: 2, desired: { services: [{ ...rawService, ...service }] } });
    await refused(send({ protocol: 9 }), "desired.services[0].protocol");
    await refused(send({ protocol: "PROTOCOL_UNSPECIFIED" }), "desired.services[0].protocol");
    await refused(send({ family: "FAMILY_UNSPECIFIED" }), "desired.services[0].family");
    await refused(
      send({ destinations: [{ ...rawService.destinations[0], forwarding: 7 }] }),
      "desired.services[0].destinations[0].forwarding",
    );
    await refused(
      send({ destinations: [{ ...rawService.destinations[0], forwarding: "FORWARDING_UNSPECIFIED" }] }),
      "desired.services[0].destinations[0].forwarding",
    );
    // and a well-formed one is fine
    await send({});
    expect(reached).toHaveLength(1);
  });

  it("refuses an Apply without a table instead of emptying the data plane", async () => {
    await refused(rawCall("apply", { cluster: "web", generation: 2 }), "desired");
  });

  it("keeps its answer short when the bad value is huge", async () => {
    const detail = await refused(
      apply(tableWith({ address: `1.2.3.4${"\n-C".repeat(50_000)}` })),
      "desired.services[0].address",
    );
    expect(detail.length).toBeLessThanOrEqual(1_000);
    // cut anywhere, the answer stays well-formed text (no half of a surrogate pair)
    for (const pad of ["", "x"]) {
      const emoji = await refused(
        apply(tableWith({ address: `${pad}${"😀".repeat(2_000)}` })),
        "desired.services[0].address",
      );
      expect(emoji).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
  });
});

describe("Start and Stop: the role's VIPs, interface and table are checked before anything runs", () => {
  const start = (patch: Record<string, unknown>, cluster = "web") =>
    client.start(cluster, {
      kind: "director",
      director: { ...directorRoleConfig(spec, director, 1), ...patch } as never,
    });

  it("accepts the server's own director config and hands the handler exactly that", async () => {
    await start({});
    expect(reached).toEqual([
      {
        method: "start",
        request: { cluster: "web", config: { kind: "director", director: directorRoleConfig(spec, director, 1) } },
      },
    ]);
  });

  it.each([
    ["a newline", "eth0\nip link del lo"],
    ["a space", "eth0 lo"],
    ["a semicolon", "eth0;"],
    ["a quote", 'eth0"'],
    ["braces", "{eth0}"],
    ["a name longer than Linux allows", "eth0123456789012"],
    ["nothing", ""],
  ])("refuses an interface with %s", async (_what, iface) => {
    await refused(start({ interface: iface }), "director.interface");
  });

  it.each([
    ["a newline", "192.168.1.229\n"],
    ["a space", "192.168.1.229 dev lo"],
    ["a prefix", "192.168.1.229/0"],
    ["a brace", "192.168.1.229}"],
  ])("refuses a VIP with %s", async (_what, vip) => {
    await refused(start({ vips: [vip] }), "director.vips[0]");
  });

  it("refuses a bad table, a bad spec, a twice-given VIP and a bad cluster", async () => {
    await refused(
      start({ spec: undefined, desired: tableWith({ scheduler: "wrr\n-C" }) }),
      "director.desired.services[0].scheduler",
    );
    const badScheduler = { ...spec, services: [{ ...spec.services[0]!, scheduler: "wrr\n-C" }] };
    await refused(start({ spec: badScheduler }), "director.spec_json: spec.services[0].scheduler");
    await refused(start({ spec: { ...spec, name: "web\n" } }), "director.spec_json: spec.name");
    await refused(start({ vips: [spec.vips[0], spec.vips[0]] }), "director.vips[1]");
    await refused(start({}, "web;rm"), "cluster");
  });

  it("refuses a real server's bad VIPs, forwarding and NAT gateway", async () => {
    const startRs = (realServer: unknown) => client.start("web", { kind: "real-server", realServer } as never);
    await refused(
      startRs({ vips: [{ address: "192.168.1.229\n", forwarding: ["dr"] }] }),
      "real_server.vips[0].address",
    );
    await refused(
      startRs({ vips: [{ address: "192.168.1.229", forwarding: ["magic"] }] }),
      "real_server.vips[0].forwarding[0]",
    );
    await refused(
      startRs({ vips: [{ address: "192.168.1.229", forwarding: ["nat"] }], natGateway: "192.168.1.252 dev lo" }),
      "real_server.nat_gateway",
    );
    await startRs({ vips: [{ address: "192.168.1.229", forwarding: ["dr", "tun"] }] });
    expect(reached).toEqual([
      {
        method: "start",
        request: {
          cluster: "web",
          config: {
            kind: "real-server",
            realServer: { vips: [{ address: "192.168.1.229", forwarding: ["dr", "tun"] }] },
          },
        },
      },
    ]);
  });

  it("refuses a Stop for a cluster that is not a name", async () => {
    await refused(client.stop("web\n"), "cluster");
    await client.stop("web");
    expect(reached).toEqual([{ method: "stop", request: { cluster: "web" } }]);
  });

  it("refuses a simulated health change for a service that is not a name", async () => {
    await refused(
      client.setSimulatedHealth({ address: "192.168.1.220", port: 80, healthy: false, service: "http}" }),
      "health change: service",
    );
  });
});
