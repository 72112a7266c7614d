import { describe, expect, it } from "vitest";
import {
  ClusterSpec,
  DEMO_CLUSTER,
  desiredTable,
  formatEndpoint,
  parseEndpoint,
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

const withService = (patch: Record<string, unknown>) => ({
  ...DEMO_CLUSTER,
  services: [{ ...DEMO_CLUSTER.services![0], ...patch }],
});

describe("ClusterSpec", () => {
  it("accepts the guide's topology and fills defaults", () => {
    const spec = validate(ClusterSpec, DEMO_CLUSTER);
    expect(spec.services[0]?.realServers.map((r) => r.weight)).toEqual([3, 1]);
    expect(spec.services[0]?.realServers[0]?.upperThreshold).toBe(0);
    expect(spec.directors.map((d) => d.role)).toEqual(["master", "backup"]);
  });

  it("names the field and the reason for an out-of-range weight", () => {
    const services = [
      { ...DEMO_CLUSTER.services![0], realServers: [{ address: "192.168.1.220", port: 80, weight: 70000 }] },
    ];
    expect(errorsOf({ ...DEMO_CLUSTER, services })).toEqual([
      { field: "services[0].realServers[0].weight", message: "must be between 0 and 65535" },
    ]);
  });

  it("rejects unknown schedulers, bad addresses and unknown fields", () => {
    const errors = errorsOf({ ...withService({ scheduler: "fastest" }), vips: ["192.168.1.300"], extra: 1 });
    const fields = errors.map((e) => e.field);
    expect(fields).toContain("services[0].scheduler");
    expect(fields).toContain("vips[0]");
    expect(errors.find((e) => e.field === "vips[0]")?.message).toMatch(/not an IPv4 or IPv6 address/);
    expect(errors.some((e) => e.message.includes("extra"))).toBe(true);
  });

  it("requires a service address to be one of the cluster's VIPs", () => {
    expect(errorsOf(withService({ address: "192.168.1.9" }))).toEqual([
      { field: "services[0].address", message: "192.168.1.9 is not one of the cluster's vips (192.168.1.229)" },
    ]);
  });

  it("checks fwmark services", () => {
    expect(
      errorsOf(withService({ protocol: "fwmark", address: undefined, port: undefined })).map((e) => e.field),
    ).toEqual(["services[0].fwmark"]);
    const ok = validate(
      ClusterSpec,
      withService({ protocol: "fwmark", fwmark: 7, address: undefined, port: undefined }),
    );
    expect(desiredTable(ok).services[0]).toMatchObject({ protocol: "fwmark", fwmark: 7, family: "inet" });
  });

  it("finds duplicates and mixed families", () => {
    const rs = { address: "192.168.1.220", port: 80, weight: 1 };
    expect(errorsOf(withService({ realServers: [rs, rs] }))).toEqual([
      { field: "services[0].realServers[1]", message: "duplicates realServers[0] (same address and port)" },
    ]);
    expect(errorsOf(withService({ realServers: [{ address: "2001:db8::1", port: 80 }] }))[0]).toEqual({
      field: "services[0].realServers[0].address",
      message: "is inet6 but the service is inet",
    });
  });

  it("only allows scheduler flags of the scheduler in use", () => {
    expect(errorsOf(withService({ schedulerFlags: ["sh-port"] }))).toEqual([
      { field: "services[0].schedulerFlags[0]", message: "sh-port only applies to the sh scheduler" },
    ]);
  });

  it("canonicalises IPv6 and persistence netmasks", () => {
    const spec = validate(ClusterSpec, {
      name: "v6",
      vips: ["2001:DB8:0:0::29"],
      services: [
        {
          name: "https",
          address: "2001:db8::29",
          port: 443,
          persistence: { timeout: 300, netmask: "/64" },
          realServers: [{ address: "2001:db8:0::20", port: 443 }],
        },
      ],
    });
    expect(spec.vips).toEqual(["2001:db8::29"]);
    const table = desiredTable(spec);
    expect(table.services[0]).toMatchObject({ family: "inet6", persistence: { timeout: 300, netmask: 64 } });
    expect(table.services[0]?.destinations[0]?.address).toBe("2001:db8::20");
    const v4 = validate(ClusterSpec, withService({ persistence: { timeout: 60, netmask: "255.255.255.0" } }));
    expect(v4.services[0]?.persistence?.netmask).toBe(24);
    expect(desiredTable(validate(ClusterSpec, DEMO_CLUSTER)).services[0]?.persistence).toEqual({
      timeout: 60,
      netmask: 32,
    });
  });

  it("allows only one master director", () => {
    const directors = DEMO_CLUSTER.directors!.map((d) => ({ ...d, role: "master" }));
    expect(errorsOf({ ...DEMO_CLUSTER, directors })).toEqual([
      { field: "directors[1].role", message: "only one director may be master" },
    ]);
  });
});

describe("endpoints", () => {
  it("parses and formats IPv4 and IPv6 endpoints", () => {
    expect(parseEndpoint("192.168.1.220:80")).toEqual({ address: "192.168.1.220", port: 80 });
    expect(parseEndpoint("192.168.1.220")).toEqual({ address: "192.168.1.220", port: undefined });
    expect(parseEndpoint("[2001:DB8::1]:443")).toEqual({ address: "2001:db8::1", port: 443 });
    expect(parseEndpoint("2001:db8::1")).toEqual({ address: "2001:db8::1", port: undefined });
    expect(parseEndpoint("web1:80")).toBeUndefined();
    expect(parseEndpoint("1.2.3.4:99999")).toBeUndefined();
    expect(formatEndpoint("2001:db8::1", 80)).toBe("[2001:db8::1]:80");
  });
});
