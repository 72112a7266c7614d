import { describe, expect, it } from "vitest";
import { parseKeepalivedText } from "../src/index.ts";
import { brief } from "./helpers.ts";

const parse = (text: string, strict = false) => parseKeepalivedText(text, "k.conf", { strict });
const errors = (text: string, strict = false) =>
  parse(text, strict)
    .diagnostics.filter((d) => d.severity === "error")
    .map(brief);
const warnings = (text: string) =>
  parse(text)
    .diagnostics.filter((d) => d.severity === "warning")
    .map(brief);

const VS = (body: string) => `virtual_server 10.0.0.1 80 {
    lvs_sched rr
    lvs_method DR
    protocol TCP
${body}
    real_server 10.0.0.2 80 {
        weight 1
    }
}
`;

describe("tokens and structure, as keepalived reads them", () => {
  it("takes # and ! as comments anywhere outside double quotes, and \\# as a literal", () => {
    const r = parse(`! header
# another
vrrp_instance VI_1 {   # trailing
    interface eth0 ! trailing too
    virtual_router_id 51
    authentication {
        auth_type PASS
        auth_pass ab\\#cd
    }
    notify_master "/usr/bin/notify.sh #1 !2"
    virtual_ipaddress {
        10.0.0.1
    }
}
`);
    expect(r.ok).toBe(true);
    const instance = r.config.vrrpInstances[0];
    expect(instance?.interface).toBe("eth0");
    expect(instance?.authentication?.password).toBe("ab#cd");
    expect(instance?.notify.master?.command).toBe("/usr/bin/notify.sh #1 !2");
  });

  it("warns when a comment starts mid-word, because keepalived keeps only the part before it", () => {
    const r = parse("vrrp_instance VI_1 {\n    authentication {\n        auth_pass pass#word\n    }\n}\n");
    expect(r.config.vrrpInstances[0]?.authentication?.password).toBe("pass");
    expect(r.diagnostics.map(brief)).toContain(
      "3:23 warning note '#' starts a comment in the middle of 'pass#…'; keepalived reads only 'pass'",
    );
  });

  it("splits braces off words and reads blocks on one line", () => {
    const r = parse(
      "virtual_server 10.0.0.1 80{\n lvs_sched rr\n protocol TCP\n lvs_method NAT\n real_server 10.0.0.2 8080 { weight 2 }}\n",
    );
    expect(r.ok).toBe(true);
    expect(r.config.virtualServers[0]?.realServers[0]).toMatchObject({ address: "10.0.0.2", port: 8080, weight: 2 });
  });

  it("joins quoted pieces into one word and resolves escapes", () => {
    const r = parse(`vrrp_instance VI_1 {
    notify_master "/bin/a b"'c d'e
    notify_backup "say \\"hi\\"\\tthere"
}
`);
    expect(r.config.vrrpInstances[0]?.notify.master?.command).toBe("/bin/a bc de");
    expect(r.config.vrrpInstances[0]?.notify.backup?.command).toBe('say "hi"\tthere');
  });

  it("reports unbalanced braces with line and column", () => {
    expect(errors("global_defs {\n    router_id lb1\n")).toEqual(["1:13 error syntax this '{' is never closed"]);
    expect(errors("global_defs {\n    router_id lb1\n}\n}\n")).toEqual(["4:1 error syntax '}' without a matching '{'"]);
    expect(errors("{\n}\n")).toEqual(["1:1 error syntax '{' without a keyword before it"]);
  });

  it("reports a missing closing quote", () => {
    expect(errors('vrrp_instance VI_1 {\n    notify_master "/bin/x.sh\n}\n')).toEqual([
      '2:19 error syntax missing closing " for the string that starts here',
    ]);
  });

  it("refuses conditional configuration and parameter definitions it cannot expand", () => {
    expect(errors("@high net_namespace high\n  $PRIO=100\n")).toEqual([
      "1:1 error unsupported conditional configuration (@id lines) are not supported by the importer",
      "2:3 error unsupported parameter definitions ($NAME=...) are not supported by the importer",
    ]);
  });
});

describe("keywords and values", () => {
  it("refuses unknown keywords with a did-you-mean", () => {
    const r = parse(VS("    lb_alog wrr"));
    const d = r.diagnostics.find((x) => x.code === "unknown-keyword");
    expect(d && brief(d)).toBe("5:5 error unknown-keyword unknown keyword 'lb_alog' in virtual_server 10.0.0.1 80");
    expect(d?.hint).toBe("did you mean 'lb_algo'?");
  });

  it("refuses an unknown scheduler and a bad address, naming the word's position", () => {
    expect(
      errors("virtual_server 10.0.0.1 80 {\n    lvs_sched fastest\n    real_server 192.168.1.300 80 {\n    }\n}\n"),
    ).toEqual([
      "2:15 error value unknown scheduler 'fastest'; expected one of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, mh, fo, ovf, twos",
      "3:17 error value real_server '192.168.1.300' is not an IPv4 or IPv6 address",
    ]);
  });

  it("refuses numbers out of range and missing arguments", () => {
    expect(errors("vrrp_instance VI_1 {\n    virtual_router_id 256\n    priority\n    advert_int fast\n}\n")).toEqual([
      "2:23 error value virtual_router_id must be between 1 and 255",
      "3:13 error value 'priority' needs 1 argument, found 0",
      "4:16 error value advert_int must be a number of seconds",
    ]);
  });

  it("keeps valid keepalived keywords lvsfleet does not use, as warnings", () => {
    const r = parse(`vrrp_script chk_nginx {
    script "/usr/bin/pgrep nginx"
    interval 2
}
vrrp_instance VI_1 {
    smtp_alert
    track_script {
        chk_nginx
    }
}
`);
    expect(r.ok).toBe(true);
    expect(r.diagnostics.map(brief)).toEqual([
      "1:1 warning unmodelled 'vrrp_script' in the top level is kept but not used by lvsfleet",
      "6:5 warning unmodelled 'smtp_alert' in vrrp_instance VI_1 is kept but not used by lvsfleet",
      "7:5 warning unmodelled 'track_script' in vrrp_instance VI_1 is kept but not used by lvsfleet",
    ]);
    expect(r.config.extra[0]).toMatchObject({ keyword: "vrrp_script", args: ["chk_nginx"] });
    expect(r.config.vrrpInstances[0]?.extra.map((s) => s.keyword)).toEqual(["smtp_alert", "track_script"]);
  });

  it("reads the 1.x spelling nb_get_retry as retry, with a warning", () => {
    const r = parse(VS("").replace("weight 1", "weight 1\n        TCP_CHECK {\n            nb_get_retry 2\n        }"));
    expect(r.ok).toBe(true);
    const rs = r.config.virtualServers[0]?.realServers[0];
    expect(rs?.checkers[0]).toMatchObject({ type: "TCP_CHECK", retry: 2 });
    expect(warnings(VS("").replace("weight 1", "weight 1\n TCP_CHECK {\n nb_get_retry 2\n }"))).toEqual([
      "9:2 warning deprecated 'nb_get_retry' is the pre-2.0 name of 'retry'; read as 'retry'",
    ]);
  });
});

describe("copy-paste damage", () => {
  it("reads a '//' remainder after a complete statement as a comment (a repair)", () => {
    const r = parse(VS("    delay_loop 6  // seconds between checks"));
    expect(r.ok).toBe(true);
    expect(r.config.virtualServers[0]?.checkerDefaults.delayLoop).toBe(6);
    expect(warnings(VS("    delay_loop 6  // seconds between checks"))).toEqual([
      "5:19 warning repair read '// seconds between checks' after 'delay_loop' as a comment",
    ]);
  });

  it("reads a line starting with '//' as a comment", () => {
    expect(warnings("// keepalived for the web cluster\nglobal_defs {\n    router_id lb1\n}\n")).toEqual([
      "1:1 warning repair read a line starting with '//' as a comment",
    ]);
  });

  it("refuses a '//' where a value is still missing", () => {
    const d = parse("vrrp_instance VI_1 {\n    priority //100\n}\n").diagnostics;
    expect(d.map(brief)).toEqual(["2:14 error value 'priority' needs a value here, found '//100'"]);
    expect(d[0]?.hint).toMatch(/'\/\/' does not start a comment/);
  });

  it("keeps '//' as text where the value is free text (a URL path)", () => {
    const r = parse(
      VS("").replace(
        "weight 1",
        "weight 1\n        HTTP_GET {\n            url {\n                path //health\n            }\n        }",
      ),
    );
    expect(r.ok).toBe(true);
    const checker = r.config.virtualServers[0]?.realServers[0]?.checkers[0];
    expect(checker?.type === "HTTP_GET" && checker.urls[0]?.path).toBe("//health");
    expect(r.diagnostics).toEqual([]);
  });

  it("refuses a '//' comment that contains braces, because keepalived would read them as blocks", () => {
    expect(errors(VS("    delay_loop 6 // {was 3}"))).toEqual([
      "5:18 error value unexpected argument after 'delay_loop' 6: '//'",
      "5:21 error syntax 'delay_loop' does not take a block",
    ]);
  });

  it("refuses text after a value that is not marked as a comment at all", () => {
    const d = parse(VS("    lvs_method DR (Direct Route)").replace("    lvs_method DR\n", "")).diagnostics;
    expect(d.map(brief)).toEqual(["4:19 error value unexpected arguments after 'lvs_method' DR: '(Direct Route)'"]);
    expect(d[0]?.hint).toMatch(/looks like a comment: start it with '#'/);
  });

  it("reads non-breaking and ideographic spaces as spaces, once per line", () => {
    const r = parse("global_defs {\n\u00a0\u00a0\u00a0router_id\u00a0lb1\u3000\n}\n");
    expect(r.config.globalDefs?.routerId).toBe("lb1");
    expect(r.diagnostics.map(brief)).toEqual([
      "2:1 warning repair read 4 × U+00A0 NO-BREAK SPACE as spaces",
      "2:17 warning repair read 1 × U+3000 IDEOGRAPHIC SPACE as space",
    ]);
  });

  it("removes a byte-order mark and invisible zero-width characters", () => {
    const r = parse("\ufeffglobal_defs {\n    router_\u200bid lb1\n}\n");
    expect(r.config.globalDefs?.routerId).toBe("lb1");
    expect(r.diagnostics.map(brief)).toEqual([
      "1:1 warning repair removed a byte-order mark (U+FEFF) at the start of the file",
      "2:12 warning repair removed 1 × invisible U+200B ZERO WIDTH SPACE",
    ]);
  });

  it("reads paired typographic quotes as a quoted string", () => {
    const r = parse("vrrp_instance VI_1 {\n    notify_master \u201c/usr/bin/notify.sh MASTER\u201d\n}\n");
    expect(r.config.vrrpInstances[0]?.notify.master?.command).toBe("/usr/bin/notify.sh MASTER");
    expect(r.diagnostics.map(brief)).toEqual([
      "2:19 warning repair read typographic quotes \u201c\u2026\u201d as a double-quoted string",
    ]);
  });

  it("refuses full-width and look-alike characters, naming the one meant", () => {
    const d = parse("global_defs \uff5b\n    router_id lb1\n}\n").diagnostics;
    expect(d[0] && brief(d[0])).toBe("1:13 error value unexpected argument after 'global_defs': '\uff5b'");
    expect(d[0]?.hint).toBe("'\uff5b' is U+FF5B, not '{': retype it as plain ASCII '{'");
    const dash = parse(
      VS("").replace("weight 1", "weight 1\n HTTP_GET {\n url {\n path /\n status_code 200\u2013299\n }\n }"),
    ).diagnostics;
    expect(dash.map(brief)).toEqual([
      "11:14 error value status_code '200\u2013299' is not a status code (100-599) or range such as 200-299",
    ]);
    expect(dash[0]?.hint).toBe("'\u2013' is U+2013, not '-': retype it as plain ASCII '-'");
  });

  it("reads 'state backup' as BACKUP but refuses 'state master', which keepalived silently starts as BACKUP", () => {
    expect(warnings("vrrp_instance VI_1 {\n    state backup\n}\n")).toEqual([
      "2:11 warning repair read 'state backup' as BACKUP",
    ]);
    const d = parse("vrrp_instance VI_1 {\n    state master\n}\n").diagnostics;
    expect(d.map(brief)).toEqual([
      "2:11 error value 'state master': keepalived does not know 'master' and silently starts this instance as BACKUP",
    ]);
  });

  it("turns every repair into an error in strict mode", () => {
    const text = VS("    delay_loop 6  // seconds").replace("protocol TCP", "protocol\u00a0TCP");
    const lenient = parse(text);
    const strict = parse(text, true);
    expect(lenient.ok).toBe(true);
    expect(strict.ok).toBe(false);
    expect(strict.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity}`)).toEqual(["4:13 error", "5:19 error"]);
    expect(lenient.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity}`)).toEqual([
      "4:13 warning",
      "5:19 warning",
    ]);
  });
});
