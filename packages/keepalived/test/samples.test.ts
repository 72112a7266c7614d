import { describe, expect, it } from "vitest";
import { type ImportResult, importKeepalivedText } from "../src/index.ts";
import { brief, dump, fixture } from "./helpers.ts";

const LB1 = { host: "lb1", address: "192.168.200.1" };

function sample(name: string, director = LB1): ImportResult {
  return importKeepalivedText(fixture(`samples/${name}.conf`), { file: `${name}.conf`, name: "sample", director });
}

function spec(name: string) {
  const result = sample(name);
  if (!result.ok) throw new Error(dump(result.diagnostics));
  return result.spec;
}

const errors = (result: ImportResult) => result.diagnostics.filter((d) => d.severity === "error").map(brief);

describe("keepalived's own sample configurations", () => {
  it("keepalived.conf.sample: VRRP without state, nopreempt, HTTP_GET with digest, sorry_server", () => {
    const s = spec("sample");
    expect(s.vips).toEqual(["192.168.200.11", "192.168.200.12", "192.168.200.13", "10.10.10.2"]);
    expect(s.directors).toEqual([
      { host: "lb1", address: "192.168.200.1", role: "backup", priority: 100, interface: "eth0" },
    ]);
    expect(s.vrrp?.instances).toEqual([
      {
        name: "VI_1",
        virtualRouterId: 50,
        vips: ["192.168.200.11", "192.168.200.12", "192.168.200.13"],
        advertInt: 1,
        nopreempt: true,
      },
    ]);
    const service = s.services[0];
    expect(service).toMatchObject({
      name: "tcp-1358",
      protocol: "tcp",
      address: "10.10.10.2",
      port: 1358,
      scheduler: "rr",
      forwarding: "nat",
      persistence: { timeout: 50 },
      delayLoop: 6,
      sorryServer: { address: "192.168.200.200", port: 1358 },
    });
    expect(service?.realServers[0]?.healthChecks).toEqual([
      {
        type: "http",
        urls: [{ path: "/testurl3/test.jsp", digest: "640205b7b0fc66c1ea91c463fac6334d" }],
        connectTimeout: 3,
        retry: 3,
        delayBeforeRetry: 3,
      },
    ]);
  });

  it("keepalived.conf.SSL_GET: two services, SSL_GET and HTTP_GET with several URLs", () => {
    const s = spec("SSL_GET");
    expect(s.services.map((x) => [x.name, x.port, x.realServers[0]?.healthChecks?.[0]?.type])).toEqual([
      ["https", 443, "https"],
      ["http", 80, "http"],
    ]);
    expect(s.vrrp?.instances[0]?.authentication).toEqual({ type: "ah", password: "1111" });
    // state MASTER with AH: keepalived 2.2.7 says "Initial state master is incompatible with AH
    // authentication - clearing" and starts as BACKUP; the import does the same, with a warning.
    expect(s.directors[0]?.role).toBe("backup");
    expect(sample("SSL_GET").diagnostics.map(brief)).toContain(
      "13:1 warning note vrrp_instance VI_1: keepalived starts an instance with AH authentication as BACKUP, not MASTER; so does the import",
    );
  });

  it("keepalived.conf.status_code: status code lists with ranges, trailing # comments", () => {
    const check = spec("status_code").services[0]?.realServers[0]?.healthChecks?.[0];
    expect(check?.type === "https" && check.urls).toEqual([
      { path: "/", statusCodes: ["200-299", "400-499", "503", "505"] },
      { path: "/mrtg/", digest: "9b3a0c85a887a256d6939da88aabd8cd", statusCodes: ["200"] },
    ]);
  });

  it("keepalived.conf.misc_check: MISC_CHECK, a ! comment inside the block; the script becomes a name", () => {
    const result = sample("misc_check");
    if (!result.ok) throw new Error(dump(result.diagnostics));
    expect(result.spec.services[0]?.realServers[0]?.healthChecks).toEqual([{ type: "misc", script: "script" }]);
    expect(result.scripts).toEqual({
      script: {
        command: ["/usr/local/bin/script.sh"],
        description: "from keepalived.conf misc_path at misc_check.conf:23",
      },
    });
    expect(result.diagnostics.filter((d) => d.code === "script").map(brief)).toEqual([
      '23:9 warning script misc_path "/usr/local/bin/script.sh" becomes the script "script": a director runs it only if its own allowlist (--actions-file, section scripts) has "script": {"command":["/usr/local/bin/script.sh"]}',
    ]);
  });

  it("keepalived.conf.inhibit: inhibit_on_failure on a real server with a ! comment after it", () => {
    const s = spec("inhibit");
    expect(s.services[0]?.inhibitOnFailure).toBe(false);
    expect(s.services[0]?.realServers[0]?.inhibitOnFailure).toBe(true);
  });

  it("keepalived.conf.quorum: quorum, hysteresis, scripts, alpha and omega, NAT to another port", () => {
    const service = spec("quorum").services[0];
    expect(service).toMatchObject({
      name: "http",
      scheduler: "wrr",
      forwarding: "nat",
      persistence: { timeout: 900 },
      alpha: true,
      omega: true,
      quorum: { weight: 7, hysteresis: 2, up: "quorum-up", down: "quorum-down" },
    });
    const result = sample("quorum");
    expect(result.ok && result.scripts).toEqual({
      "quorum-up": {
        command: ["/usr/local/sbin/quorum-up.sh"],
        description: "from keepalived.conf quorum_up at quorum.conf:23",
      },
      "quorum-down": {
        command: ["/usr/local/sbin/quorum-down.sh"],
        description: "from keepalived.conf quorum_down at quorum.conf:23",
      },
    });
    expect(service?.realServers.map((rs) => `${rs.address}:${rs.port}`)).toHaveLength(10);
    expect(service?.realServers[9]).toMatchObject({
      address: "10.0.0.10",
      port: 8080,
      healthChecks: [{ type: "tcp", connectPort: 80, connectTimeout: 3 }],
    });
  });

  it("keepalived.conf.virtual_server_group: addresses, a range and fwmarks become one service each", () => {
    const s = spec("virtual_server_group");
    expect(s.services.map((x) => x.name)).toEqual([
      "http-alt",
      "http-10-0-0-2",
      "tcp-1358",
      ...Array.from({ length: 8 }, (_, i) => `http-192-168-200-${i + 3}`),
      "fwmark-1",
      "fwmark-2",
    ]);
    expect(s.services.every((x) => x.realServers.length === 2)).toBe(true);
    expect(s.services[12]).toMatchObject({ protocol: "fwmark", fwmark: 2 });
    const result = sample("virtual_server_group");
    expect(result.diagnostics.filter((d) => d.message.includes("fwmark service")).map(brief)).toEqual([
      "22:1 warning note 'protocol TCP' is ignored for a fwmark service, as keepalived does",
    ]);
  });

  it("keepalived.conf.IPv6: IPv6 service; SMTP_CHECK kept with a warning that lvsfleet will not run it", () => {
    const result = sample("IPv6");
    if (!result.ok) throw new Error(dump(result.diagnostics));
    expect(result.spec.services[0]).toMatchObject({ address: "ae00::1", port: 80 });
    expect(result.spec.services[0]?.realServers[0]).toMatchObject({ address: "ae00::10", port: 25 });
    expect(result.spec.services[0]?.realServers[0]?.healthChecks).toBeUndefined();
    expect(result.diagnostics.map(brief)).toContain(
      "24:9 warning unmodelled SMTP_CHECK in real_server ae00::10 25 of virtual_server ae00::1 80 is kept but lvsfleet has no such checker: the real server will not be checked this way",
    );
  });

  it("keepalived.conf.fwmark: refused, a fwmark alone does not say which VIPs the cluster has", () => {
    const result = sample("fwmark");
    expect(errors(result)).toEqual([
      "1:1 error value no VIPs: no vrrp_instance has a virtual_ipaddress and no virtual_server has an address",
    ]);
    const withVips = importKeepalivedText(
      `${fixture("samples/fwmark.conf")}\nvrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 9\n  priority 150\n  virtual_ipaddress {\n    192.168.200.100\n  }\n}\n`,
      { name: "marks", director: LB1 },
    );
    if (!withVips.ok) throw new Error(dump(withVips.diagnostics));
    expect(withVips.spec.services[0]?.realServers).toMatchObject([
      { address: "192.168.201.100", port: 0, healthChecks: [{ type: "tcp", connectPort: 80, connectTimeout: 3 }] },
      { address: "192.168.201.101", port: 0 },
    ]);
  });

  it("keepalived.conf.vrrp.sync: refused, its instances start in different states on one host", () => {
    expect(errors(sample("vrrp.sync"))).toEqual([
      "3:1 error unsupported vrrp_sync_group G1 leaves out VI_3, VI_4",
      "18:1 error unsupported lvsfleet supports one vrrp_sync_group per cluster",
      "45:1 error conflict vrrp_instance VI_3 has state/priority BACKUP/100, VI_1 has MASTER/100",
      "54:1 error conflict vrrp_instance VI_4 has state/priority BACKUP/100, VI_1 has MASTER/100",
    ]);
  });

  it("keepalived.conf.vrrp.lvs_syncd: refused like keepalived 2 does, the 1.x sync group form", () => {
    const result = sample("vrrp.lvs_syncd");
    expect(errors(result)).toEqual([
      "4:3 error unknown-keyword unknown keyword 'VI_2' in vrrp_sync_group VG1",
      "5:3 error unknown-keyword unknown keyword 'VI_3' in vrrp_sync_group VG1",
    ]);
    expect(result.diagnostics[0]?.hint).toBe(
      "if 'VI_2' is a vrrp_instance, list it inside 'group { ... }': keepalived 2 no longer reads the 1.x form without 'group'",
    );
  });
});
