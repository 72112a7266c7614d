import { describe, expect, it } from "vitest";
import {
  ClusterSpec,
  DEMO_CLUSTER,
  DesiredTable,
  DirectorStartConfig,
  desiredTable,
  directorRoleConfig,
  RealServerStartConfig,
  ValidationError,
  validate,
} from "../src/index.ts";

const spec = validate(ClusterSpec, DEMO_CLUSTER);
const table = desiredTable(spec);
const service = table.services[0]!;

function fieldsOf(schema: Parameters<typeof validate>[0], input: unknown): string[] {
  try {
    validate(schema, input);
  } catch (error) {
    if (error instanceof ValidationError) return error.errors.map((e) => e.field);
    throw error;
  }
  return [];
}

const withService = (patch: object) => ({ services: [{ ...service, ...patch }] });
const withDestination = (patch: object) => withService({ destinations: [{ ...service.destinations[0], ...patch }] });

describe("DesiredTable: what an agent accepts as a desired IPVS table", () => {
  it("accepts every table a valid spec makes, unchanged", () => {
    expect(validate(DesiredTable, table)).toEqual(table);
    const director = spec.directors[0]!;
    const { spec: _spec, ...start } = directorRoleConfig(spec, director, 3);
    expect(validate(DirectorStartConfig, start)).toEqual({ vips: spec.vips, interface: "eth0", generation: 3 });
    expect(validate(DirectorStartConfig, { ...start, desired: table })).toEqual({
      vips: spec.vips,
      interface: "eth0",
      desired: table,
      generation: 3,
    });
  });

  it("reads no connection counts: the output has them at zero", () => {
    const { destinations, ...rest } = service;
    const bare = {
      services: [
        { ...rest, destinations: destinations.map(({ activeConns: _a, inactConns: _i, persistConns: _p, ...d }) => d) },
      ],
    };
    expect(validate(DesiredTable, bare)).toEqual(table);
  });

  it("makes addresses canonical in its output and leaves its input alone", () => {
    const v6 = {
      services: [
        {
          ...service,
          address: "2001:0DB8::0001",
          family: "inet6",
          persistence: { timeout: 60, netmask: 128 },
          destinations: [{ ...service.destinations[0], address: "2001:db8:0:0::10" }],
        },
      ],
    };
    const copy = structuredClone(v6);
    const out = validate(DesiredTable, v6);
    expect(out.services[0]).toMatchObject({ address: "2001:db8::1", destinations: [{ address: "2001:db8::10" }] });
    expect(v6).toEqual(copy);
  });

  it.each([
    [withService({ scheduler: "wrr\n-C" }), "services[0].scheduler"],
    [withService({ address: "1.2.3.4 -s rr" }), "services[0].address"],
    [withService({ schedulerFlags: ["sh-port"] }), "services[0].schedulerFlags[0]"],
    [withService({ family: "inet6" }), "services[0].family"],
    [withService({ port: 0, persistence: undefined }), "services[0].port"],
    [withService({ persistence: { timeout: 60, netmask: 33 } }), "services[0].persistence.netmask"],
    [withService({ persistence: { timeout: 2678401, netmask: 32 } }), "services[0].persistence.timeout"],
    [withService({ onePacket: true }), "services[0].onePacket"],
    [withService({ protocol: "fwmark" }), "services[0].fwmark"],
    [withDestination({ address: "198.18.0.1}" }), "services[0].destinations[0].address"],
    [withDestination({ weight: -1 }), "services[0].destinations[0].weight"],
    [withDestination({ upperThreshold: 2 ** 31 }), "services[0].destinations[0].upperThreshold"],
    [withDestination({ forwarding: "tun", tunnel: { type: "gue" } }), "services[0].destinations[0].tunnel.port"],
    [
      withDestination({ forwarding: "tun", tunnel: { type: "gre", checksum: "remcsum" } }),
      "services[0].destinations[0].tunnel.checksum",
    ],
    [withDestination({ address: "2001:db8::1" }), "services[0].destinations[0].address"],
    [{ services: [service, service] }, "services[1]"],
  ])("refuses %j at %s", (input, field) => {
    expect(fieldsOf(DesiredTable, input)).toContain(field);
  });

  it("refuses a Start's bad interface, VIPs and real-server VIPs", () => {
    const director = directorRoleConfig(spec, spec.directors[0]!, 1);
    expect(fieldsOf(DirectorStartConfig, { ...director, spec: undefined, interface: "eth0 lo" })).toContain(
      "interface",
    );
    expect(fieldsOf(DirectorStartConfig, { ...director, spec: undefined, vips: [] })).toContain("vips");
    expect(fieldsOf(RealServerStartConfig, { vips: [{ address: "1.2.3.4;", forwarding: ["dr"] }] })).toEqual([
      "vips[0].address",
    ]);
  });
});

describe("the spec refuses what ipvsadm or keepalived.conf cannot take", () => {
  const vrrp = (patch: object) => ({
    ...DEMO_CLUSTER,
    directors: DEMO_CLUSTER.directors?.map((d) => ({ ...d, role: "backup" })),
    vrrp: { instances: [{ name: "VI_1", virtualRouterId: 51, vips: ["192.168.1.229"], ...patch }] },
  });
  const service0 = (patch: object) => ({ ...DEMO_CLUSTER, services: [{ ...DEMO_CLUSTER.services![0], ...patch }] });

  it.each([
    [vrrp({ name: "@lb1" }), "vrrp.instances[0].name"],
    [vrrp({ authentication: { type: "pass", password: "}" } }), "vrrp.instances[0].authentication.password"],
    [vrrp({ authentication: { type: "pass", password: "ab\\" } }), "vrrp.instances[0].authentication.password"],
    [vrrp({ authentication: { type: "pass", password: "pässwd" } }), "vrrp.instances[0].authentication.password"],
    [service0({ persistence: { timeout: 31536000 } }), "services[0].persistence.timeout"],
    [
      service0({ realServers: [{ address: "192.168.1.220", port: 80, upperThreshold: 3_000_000_000 }] }),
      "services[0].realServers[0].upperThreshold",
    ],
  ])("refuses %j at %s", (input, field) => {
    expect(fieldsOf(ClusterSpec, input)).toContain(field);
  });

  it("still takes what keepalived can read: a quoted # or brace in a password, an @ inside a name", () => {
    expect(
      fieldsOf(ClusterSpec, vrrp({ name: "vi@lb1", authentication: { type: "pass", password: "{a#b!" } })),
    ).toEqual([]);
  });

  it("an IPv6 persistence netmask is 1-128, an IPv4 one 0-32", () => {
    const v6 = {
      ...DEMO_CLUSTER,
      vips: ["2001:db8::1"],
      services: [
        {
          name: "v6",
          address: "2001:db8::1",
          port: 80,
          persistence: { timeout: 60, netmask: 0 },
          realServers: [{ address: "2001:db8::10", port: 80 }],
        },
      ],
    };
    expect(fieldsOf(ClusterSpec, v6)).toContain("services[0].persistence.netmask");
    expect(fieldsOf(ClusterSpec, service0({ persistence: { timeout: 60, netmask: 0 } }))).toEqual([]);
  });
});
