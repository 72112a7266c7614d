import { describe, expect, it } from "vitest";
import { ClusterSpec, DEMO_CLUSTER, statusCodeAccepted, ValidationError, validate } from "../src/index.ts";

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
const withChecks = (healthChecks: unknown[], port = 80) => ({
  ...DEMO_CLUSTER,
  services: [{ ...service, realServers: [{ address: "192.168.1.220", port, weight: 3, healthChecks }] }],
});
const VRRP = { instances: [{ name: "VI_1", virtualRouterId: 51, vips: ["192.168.1.229"], advertInt: 1 }] };

describe("health checks, quorum and sorry server", () => {
  it("accepts the guide's TCP_CHECK and keepalived-style timing, and leaves them optional", () => {
    const spec = validate(ClusterSpec, {
      ...withChecks([{ type: "tcp", connectTimeout: 10, retry: 3, delayBeforeRetry: 3 }]),
      services: [
        {
          ...withChecks([{ type: "tcp", connectTimeout: 10, retry: 3, delayBeforeRetry: 3 }]).services[0],
          delayLoop: 6,
          quorum: { weight: 2, hysteresis: 1, up: "quorum-up" },
          sorryServer: { address: "192.168.1.240", port: 80 },
        },
      ],
    });
    expect(spec.services[0]?.realServers[0]?.healthChecks).toEqual([
      { type: "tcp", connectTimeout: 10, retry: 3, delayBeforeRetry: 3 },
    ]);
    expect(spec.services[0]?.delayLoop).toBe(6);
    expect(validate(ClusterSpec, DEMO_CLUSTER).services[0]?.realServers[0]?.healthChecks).toBeUndefined();
  });

  it("names the field and the reason for bad checks", () => {
    expect(errorsOf(withChecks([{ type: "http", urls: [{ path: "/", statusCodes: ["299-200"] }] }]))).toEqual([
      {
        field: "services[0].realServers[0].healthChecks[0].urls[0].statusCodes[0]",
        message: "the range must not run backwards",
      },
    ]);
    expect(errorsOf(withChecks([{ type: "https", urls: [{ path: "/", digest: "xyz" }] }]))[0]?.message).toBe(
      "must be an MD5 digest (32 hex digits)",
    );
    expect(errorsOf(withChecks([{ type: "ping" }]))[0]?.field).toBe("services[0].realServers[0].healthChecks[0].type");
    expect(errorsOf(withChecks([{ type: "tcp", retry: -1 }]))[0]?.field).toBe(
      "services[0].realServers[0].healthChecks[0].retry",
    );
  });

  it("needs a connectPort when the real server has no port (fwmark services)", () => {
    const spec = {
      ...DEMO_CLUSTER,
      services: [
        {
          name: "mark",
          protocol: "fwmark",
          fwmark: 1,
          realServers: [
            {
              address: "192.168.1.220",
              port: 0,
              healthChecks: [{ type: "tcp" }, { type: "misc", script: "check-web" }],
            },
          ],
        },
      ],
    };
    expect(errorsOf(spec)).toEqual([
      {
        field: "services[0].realServers[0].healthChecks[0].connectPort",
        message: "is required when the real server has no port",
      },
    ]);
  });

  it("matches status codes against ranges, 200-299 by default", () => {
    expect(statusCodeAccepted(undefined, 204)).toBe(true);
    expect(statusCodeAccepted(undefined, 301)).toBe(false);
    expect(statusCodeAccepted(["200", "400-499"], 404)).toBe(true);
    expect(statusCodeAccepted(["200", "400-499"], 500)).toBe(false);
  });
});

describe("VRRP settings", () => {
  it("accepts the guide's vrrp_instance", () => {
    const spec = validate(ClusterSpec, {
      ...DEMO_CLUSTER,
      vrrp: { ...VRRP, instances: [{ ...VRRP.instances[0], authentication: { type: "pass", password: "1111" } }] },
    });
    expect(spec.vrrp?.instances[0]?.virtualRouterId).toBe(51);
  });

  it("requires instance VIPs to be cluster VIPs, each in one instance, one family per instance", () => {
    const errors = errorsOf({
      ...DEMO_CLUSTER,
      vrrp: {
        instances: [
          { name: "VI_1", virtualRouterId: 51, vips: ["192.168.1.229", "192.168.1.9"] },
          { name: "VI_2", virtualRouterId: 52, vips: ["192.168.1.229", "2001:db8::1"] },
        ],
      },
    });
    expect(errors).toContainEqual({
      field: "vrrp.instances[0].vips[1]",
      message: "192.168.1.9 is not one of the cluster's vips (192.168.1.229)",
    });
    expect(errors).toContainEqual({
      field: "vrrp.instances[1].vips[0]",
      message: "is already carried by instances[0]",
    });
    expect(errors).toContainEqual({
      field: "vrrp.instances[1].vips",
      message: "must all be IPv4 or all IPv6 (a VRRP instance carries one address family)",
    });
  });

  it("rejects duplicate router ids, fractional adverts on VRRPv2, lone sync groups and long passwords", () => {
    const errors = errorsOf({
      ...DEMO_CLUSTER,
      vrrp: {
        instances: [
          {
            name: "VI_1",
            virtualRouterId: 51,
            vips: ["192.168.1.229"],
            advertInt: 0.5,
            authentication: { type: "pass", password: "123456789" },
          },
          { name: "VI_2", virtualRouterId: 51, vips: [] },
        ],
        syncGroup: { name: "G" },
      },
    });
    const fields = errors.map((e) => e.field);
    expect(fields).toContain("vrrp.instances[0].advertInt");
    expect(fields).toContain("vrrp.instances[0].authentication.password");
    expect(fields).toContain("vrrp.instances[1].vips");
    expect(
      errorsOf({
        ...DEMO_CLUSTER,
        vrrp: {
          ...VRRP,
          instances: [VRRP.instances[0], { ...VRRP.instances[0], name: "VI_2", vips: ["192.168.1.229"] }],
        },
      }).map((e) => e.message),
    ).toContain("duplicates instances[0]");
    expect(errorsOf({ ...DEMO_CLUSTER, vrrp: { ...VRRP, syncGroup: { name: "G" } } })).toEqual([
      { field: "vrrp.syncGroup", message: "needs at least two instances (keepalived ignores a group of one)" },
    ]);
  });

  it("needs directors, and every director backup when preemption is delayed", () => {
    expect(errorsOf({ ...DEMO_CLUSTER, directors: [], vrrp: VRRP })).toEqual([
      { field: "vrrp", message: "needs at least one director" },
    ]);
    expect(
      errorsOf({ ...DEMO_CLUSTER, vrrp: { instances: [{ ...VRRP.instances[0], nopreempt: true }] } }).map(
        (e) => e.field,
      ),
    ).toEqual(["directors[0].role"]);
  });
});
