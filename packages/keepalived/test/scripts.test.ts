import { joinCommand, scriptNameOf, splitCommand } from "@lvsfleet/model";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { importKeepalivedText } from "../src/index.ts";
import { brief, dump } from "./helpers.ts";

const CONF = `global_defs {
    router_id lb-master
}

vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        192.168.1.229
    }
    notify_master "'/etc/keepalived/Notify Me.sh' master"
    notify "'/etc/keepalived/Notify Me.sh'"
    notify_backup "notify.sh backup" nobody
}

virtual_server 192.168.1.229 80 {
    lb_algo wrr
    lb_kind DR
    protocol TCP
    quorum_up "/usr/local/bin/check.sh up"
    real_server 192.168.1.220 80 {
        MISC_CHECK {
            misc_path "/usr/local/bin/check.sh 192.168.1.220 'a b'"
        }
    }
    real_server 192.168.1.231 80 {
        MISC_CHECK {
            misc_path "/opt/other/check.sh 192.168.1.231"
        }
    }
}
`;

describe("importing the scripts keepalived.conf runs", () => {
  const result = importKeepalivedText(CONF, {
    name: "web",
    director: { host: "lb-master", address: "192.168.1.252" },
  });
  if (!result.ok) throw new Error(dump(result.diagnostics));

  it("names each distinct command after its program: sanitised, deduplicated", () => {
    expect(result.spec.vrrp?.instances[0]?.notify).toEqual({
      master: "notify-me",
      any: "notify-me-2",
      backup: "notify",
    });
    expect(result.spec.services[0]?.realServers.map((rs) => rs.healthChecks)).toEqual([
      [{ type: "misc", script: "check" }],
      [{ type: "misc", script: "check-2" }],
    ]);
    expect(result.spec.services[0]?.quorum?.up).toBe("check-3");
  });

  it("suggests the scripts section: argument arrays, keepalived's notify arguments as placeholders", () => {
    expect(Object.fromEntries(Object.entries(result.scripts).map(([n, s]) => [n, s.command]))).toEqual({
      "notify-me": ["/etc/keepalived/Notify Me.sh", "master"],
      "notify-me-2": ["/etc/keepalived/Notify Me.sh", "{type}", "{instance}", "{state}", "{priority}"],
      notify: ["notify.sh", "backup"],
      check: ["/usr/local/bin/check.sh", "192.168.1.220", "a b"],
      "check-2": ["/opt/other/check.sh", "192.168.1.231"],
      "check-3": ["/usr/local/bin/check.sh", "up"],
    });
    expect(result.scripts.check?.description).toBe("from keepalived.conf misc_path at keepalived.conf:24");
  });

  it("warns once per script with its entry, and says what to fix", () => {
    const warnings = result.diagnostics.filter((d) => d.code === "script");
    expect(warnings).toHaveLength(6);
    expect(brief(warnings.find((w) => w.message.includes('"notify"')) as (typeof warnings)[0])).toBe(
      '5:1 warning script notify_backup "notify.sh backup" becomes the script "notify": a director runs it only if its own allowlist (--actions-file, section scripts) has "notify": {"command":["notify.sh","backup"]}',
    );
    expect(warnings.find((w) => w.message.includes('"notify"'))?.hint).toMatch(
      /^write the absolute path of notify\.sh in command\[0\] \(no PATH lookup\); lvsctl import prints the whole scripts section/,
    );
    expect(result.diagnostics.map((d) => d.message)).toContainEqual(
      "notify_backup: run-as user 'nobody' dropped; lvsfleet runs scripts as the director agent's user",
    );
  });

  it("derives valid names from any program", () => {
    expect(scriptNameOf("/usr/local/bin/Check_Web.sh")).toBe("check_web");
    expect(scriptNameOf("/x/--.py")).toBe("script");
    expect(scriptNameOf("/x/été très.sh")).toBe("t-tr-s");
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (program) => {
        expect(scriptNameOf(program)).toMatch(/^[a-z0-9][a-z0-9_-]{0,62}$/);
      }),
    );
  });
});

describe("keepalived command lines", () => {
  it("split on blanks, quotes keep words together, a backslash escapes", () => {
    expect(splitCommand(`/bin/sh -c "exit 3"`)).toEqual(["/bin/sh", "-c", "exit 3"]);
    expect(splitCommand(`/x 'a b' c\\ d "e\\"f" ''`)).toEqual(["/x", "a b", "c d", 'e"f', ""]);
  });

  it("join is split's inverse", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 5 }), (argv) => {
        expect(splitCommand(joinCommand(argv))).toEqual(argv);
      }),
    );
  });
});
