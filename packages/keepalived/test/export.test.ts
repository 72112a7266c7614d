import { ClusterSpec, type ClusterSpecInput, DEMO_CLUSTER, ValidationError, validate } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import {
  exportKeepalived,
  importKeepalived,
  importKeepalivedText,
  memoryFiles,
  parseKeepalivedText,
  renderKeepalived,
} from "../src/index.ts";
import { dump, fixture, hasKeepalived, keepalivedConfigTest } from "./helpers.ts";

const GUIDE = fixture("guide-keepalived.conf");

function guideSpec() {
  const result = importKeepalivedText(GUIDE, {
    name: "web",
    director: { host: "lb-master", address: "192.168.1.252" },
  });
  if (!result.ok) throw new Error(dump(result.diagnostics));
  return result.spec;
}

describe("export to keepalived.conf", () => {
  it("writes the guide's configuration without its damage, for keepalived 2", () => {
    const { text, warnings } = exportKeepalived(guideSpec(), { header: false });
    expect(warnings).toEqual([]);
    expect(text).toBe(`global_defs {
    router_id lb-master
}

vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        192.168.1.229
    }
}

virtual_server 192.168.1.229 80 {
    snmp_name http
    lvs_sched wrr
    lvs_method DR
    protocol TCP
    persistence_timeout 60
    delay_loop 6
    inhibit_on_failure
    real_server 192.168.1.220 80 {
        weight 3
        TCP_CHECK {
            connect_timeout 10
            retry 3
            delay_before_retry 3
        }
    }
    real_server 192.168.1.231 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 10
            retry 3
            delay_before_retry 3
        }
    }
}
`);
  });

  it.skipIf(!hasKeepalived)("is accepted by keepalived -t, unlike the guide's own text", async () => {
    const exported = await keepalivedConfigTest(exportKeepalived(guideSpec()).text);
    expect(exported).toEqual({ code: 0, output: "" });
    const original = await keepalivedConfigTest(GUIDE);
    expect(original.code).not.toBe(0);
  });

  it("re-imports to the same spec, for both directors of the guide", () => {
    const spec = validate(ClusterSpec, {
      ...guideSpec(),
      directors: [
        { host: "lb-master", address: "192.168.1.252", role: "master", priority: 100, interface: "eth0" },
        { host: "lb-backup", address: "192.168.1.230", role: "backup", priority: 90, interface: "eth0" },
      ],
    });
    const files = memoryFiles({
      "/m/keepalived.conf": exportKeepalived(spec, { director: "lb-master" }).text,
      "/b/keepalived.conf": exportKeepalived(spec, { director: "lb-backup" }).text,
    });
    expect(exportKeepalived(spec, { director: "lb-backup" }).text).toMatch(
      /state BACKUP\n {4}interface eth0\n {4}virtual_router_id 51\n {4}priority 90\n/,
    );
    const back = importKeepalived(
      [
        { path: "/m/keepalived.conf", director: { host: "lb-master", address: "192.168.1.252" } },
        { path: "/b/keepalived.conf", director: { host: "lb-backup", address: "192.168.1.230" } },
      ],
      { files, name: "web" },
    );
    if (!back.ok) throw new Error(dump(back.diagnostics));
    expect(back.spec).toEqual(spec);
  });

  it("says what keepalived.conf cannot hold: the demo cluster's host names and its missing VRRP settings", () => {
    const { text, warnings } = exportKeepalived(DEMO_CLUSTER, { director: "lb-master" });
    expect(warnings).toEqual([
      {
        field: "vrrp",
        message:
          "the spec has no VRRP settings (vrrp): the file has no vrrp_instance, so keepalived will not move the VIPs",
      },
      {
        field: "services[0].realServers[0].host",
        message: "keepalived.conf has no place for the real server's agent host name; not written",
      },
      {
        field: "services[0].realServers[1].host",
        message: "keepalived.conf has no place for the real server's agent host name; not written",
      },
    ]);
    expect(text).not.toMatch(/vrrp_instance/);
  });

  it("writes one director's file at a time and names the ones left", () => {
    const spec = { ...guideSpec(), directors: validate(ClusterSpec, DEMO_CLUSTER).directors };
    expect(exportKeepalived(spec).warnings).toEqual([
      {
        field: "director",
        message: "no director chosen: wrote lb-master's file; the others (lb-backup) need their own",
      },
    ]);
    expect(() => exportKeepalived(spec, { director: "lb-3" })).toThrow(ValidationError);
  });

  it("reports what keepalived has no keyword for: rise/fall and slow start", () => {
    const base = guideSpec();
    const service = base.services[0] as NonNullable<(typeof base.services)[0]>;
    const spec: ClusterSpecInput = {
      ...base,
      services: [
        {
          ...service,
          slowStart: 30,
          realServers: [{ ...service.realServers[0], healthChecks: [{ type: "tcp", rise: 2, fall: 3 }] }],
        },
      ],
    } as ClusterSpecInput;
    expect(exportKeepalived(spec).warnings).toEqual([
      { field: "services[0].slowStart", message: "keepalived has no slow start; not written" },
      {
        field: "services[0].realServers[0].healthChecks[0]",
        message: "keepalived has no rise/fall for LVS checkers (it behaves as rise 1, fall 1); not written",
      },
    ]);
  });

  it("leaves out a service without real servers, which keepalived would ignore", () => {
    const base = guideSpec();
    const spec = { ...base, services: [{ ...base.services[0], realServers: [] }] } as ClusterSpecInput;
    const { text, warnings } = exportKeepalived(spec);
    expect(text).not.toMatch(/virtual_server/);
    expect(warnings).toEqual([
      {
        field: "services[0]",
        message: "has no real servers: keepalived ignores such a virtual_server, so it is left out",
      },
    ]);
  });

  /** The guide with scripts named in every place a spec can name one. */
  function scriptedSpec(): ClusterSpecInput {
    const base = guideSpec();
    const service = base.services[0] as NonNullable<(typeof base.services)[0]>;
    return {
      ...base,
      services: [
        {
          ...service,
          quorum: { weight: 1, up: "quorum-change", down: "quorum-change" },
          realServers: service.realServers.map((rs) => ({
            ...rs,
            healthChecks: [{ type: "misc" as const, script: "check-web", timeout: 5 }],
          })),
        },
      ],
      vrrp: {
        instances: [{ ...base.vrrp?.instances[0], notify: { master: "notify-master", any: "notify-log" } }],
      },
    } as ClusterSpecInput;
  }
  const ALLOWLIST = {
    "check-web": { command: ["/usr/local/lib/lvsfleet/check-web", "{address}", "--port={port}", "{service}"] },
    "quorum-change": { command: ["/usr/local/sbin/quorum", "{service}", "{state}"] },
    "notify-master": { command: ["/usr/local/bin/notify.sh", "MASTER", "VI 1", "{priority}"] },
    "notify-log": { command: ["/usr/local/bin/vrrp-log", "{type}", "{instance}", "{state}", "{priority}"] },
  };

  it("with the director's allowlist writes each named script's real command, placeholders filled", () => {
    const { text, warnings } = exportKeepalived(scriptedSpec(), { scripts: ALLOWLIST });
    expect(warnings).toEqual([]);
    expect(text).toMatch(
      /global_defs \{\n {4}router_id lb-master\n {4}enable_script_security\n {4}script_user root\n\}/,
    );
    expect(text).toContain(`notify_master "/usr/local/bin/notify.sh MASTER 'VI 1' 100"`);
    // keepalived's notify appends type, name, state and priority itself
    expect(text).toContain(`notify "/usr/local/bin/vrrp-log"\n`);
    expect(text).toContain(`quorum_up "/usr/local/sbin/quorum http up"`);
    expect(text).toContain(`quorum_down "/usr/local/sbin/quorum http down"`);
    expect(text).toContain(`misc_path "/usr/local/lib/lvsfleet/check-web 192.168.1.220 --port=80 http"`);
    expect(text).toContain(`misc_path "/usr/local/lib/lvsfleet/check-web 192.168.1.231 --port=80 http"`);
    // read back: the names come from the programs, the suggested allowlist has the same commands
    const back = importKeepalivedText(text, { name: "web", director: { host: "lb-master", address: "192.168.1.252" } });
    if (!back.ok) throw new Error(dump(back.diagnostics));
    expect(back.spec.vrrp?.instances[0]?.notify).toEqual({ master: "notify", any: "vrrp-log" });
    expect(back.spec.services[0]?.quorum).toMatchObject({ up: "quorum", down: "quorum-2" });
    expect(back.scripts).toMatchObject({
      notify: { command: ["/usr/local/bin/notify.sh", "MASTER", "VI 1", "100"] },
      "vrrp-log": { command: ["/usr/local/bin/vrrp-log", "{type}", "{instance}", "{state}", "{priority}"] },
      quorum: { command: ["/usr/local/sbin/quorum", "http", "up"] },
      "quorum-2": { command: ["/usr/local/sbin/quorum", "http", "down"] },
      "check-web": { command: ["/usr/local/lib/lvsfleet/check-web", "192.168.1.220", "--port=80", "http"] },
      "check-web-2": { command: ["/usr/local/lib/lvsfleet/check-web", "192.168.1.231", "--port=80", "http"] },
    });
  });

  it("without an allowlist writes /etc/lvsfleet/scripts/NAME, once warned per script", () => {
    const { text, warnings } = exportKeepalived(scriptedSpec());
    expect(text).toContain(`misc_path "/etc/lvsfleet/scripts/check-web"\n`);
    expect(text).toContain(`quorum_up "/etc/lvsfleet/scripts/quorum-change"\n`);
    expect(text).toContain(`notify_master "/etc/lvsfleet/scripts/notify-master"\n`);
    expect(warnings).toEqual([
      {
        field: "vrrp.instances[0].notify.master",
        message:
          "script notify-master: written as /etc/lvsfleet/scripts/notify-master; put the program there, or export with the director's allowlist (lvsctl export --scripts FILE) to write its real command",
      },
      expect.objectContaining({ field: "vrrp.instances[0].notify.any" }),
      expect.objectContaining({ field: "services[0].quorum.up" }),
      expect.objectContaining({ field: "services[0].realServers[0].healthChecks[0].script" }),
    ]);
    const partial = exportKeepalived(scriptedSpec(), { scripts: { "check-web": ALLOWLIST["check-web"] } });
    expect(partial.warnings[0]?.message).toBe(
      "script notify-master is not in the allowlist given: written as /etc/lvsfleet/scripts/notify-master; put the program there, or add notify-master to the allowlist",
    );
  });

  it("warns when keepalived cannot pass a placeholder to notify", () => {
    const { text, warnings } = exportKeepalived(scriptedSpec(), {
      scripts: { ...ALLOWLIST, "notify-log": { command: ["/usr/local/bin/vrrp-log", "--state={state}", "x"] } },
    });
    expect(text).toContain(`notify "/usr/local/bin/vrrp-log x"`);
    expect(warnings).toEqual([
      {
        field: "vrrp.instances[0].notify.any",
        message: `script notify-log: keepalived's notify cannot pass {state} there; argument "--state={state}" left out`,
      },
    ]);
  });

  it.skipIf(!hasKeepalived)("keepalived -t accepts the scripts, with the allowlist and without", async () => {
    expect(await keepalivedConfigTest(exportKeepalived(scriptedSpec(), { scripts: ALLOWLIST }).text)).toEqual({
      code: 0,
      output: "",
    });
    expect(await keepalivedConfigTest(exportKeepalived(scriptedSpec()).text)).toEqual({ code: 0, output: "" });
  });

  it("refuses values keepalived cannot read back", () => {
    const base = guideSpec();
    const withPassword = (password: string) =>
      ({
        ...base,
        vrrp: { instances: [{ ...base.vrrp?.instances[0], authentication: { type: "pass", password } }] },
      }) as ClusterSpecInput;
    // The spec refuses what the renderer could not write (a lone brace, a trailing backslash) ...
    for (const password of ["}", "{", "a\\", 'a"b'])
      expect(() => exportKeepalived(withPassword(password))).toThrow(
        /vrrp\.instances\[0\]\.authentication\.password: must be 1-8 printable ASCII characters/,
      );
    expect(exportKeepalived(withPassword("a#b")).text).toContain('auth_pass "a#b"');
    // A value starting with // is quoted: read unquoted it would look like a pasted comment.
    const slashes = exportKeepalived(withPassword("//")).text;
    expect(slashes).toContain('auth_pass "//"');
    const back = importKeepalivedText(slashes, {
      name: "web",
      director: { host: "lb-master", address: "192.168.1.252" },
    });
    if (!back.ok) throw new Error(dump(back.diagnostics));
    expect(back.spec.vrrp?.instances[0]?.authentication?.password).toBe("//");
    // ... and the renderer still refuses it on its own.
    const parsed = parseKeepalivedText(exportKeepalived(withPassword("a#b")).text, "k.conf").config;
    parsed.vrrpInstances[0]!.authentication = { type: "PASS", password: "}" };
    expect(() => renderKeepalived(parsed)).toThrow(/keepalived takes it as a brace even quoted/);
  });

  it.skipIf(!hasKeepalived)(
    "with every real server at weight 0, keepalived itself complains that its default quorum 1 is out of reach",
    async () => {
      const base = guideSpec();
      const service = base.services[0] as NonNullable<(typeof base.services)[0]>;
      const spec = {
        ...base,
        services: [{ ...service, realServers: service.realServers.map((rs) => ({ ...rs, weight: 0 })) }],
      };
      const { code, output } = await keepalivedConfigTest(exportKeepalived(spec).text);
      expect(code).toBe(5);
      expect(output).toContain("quorum 1 for [192.168.1.229]:tcp:80 exceeds total weight of real servers 0");
    },
  );
});
