import { describe, expect, it } from "vitest";
import { expandBraces } from "../src/glob.ts";
import { memoryFiles, parseKeepalived } from "../src/index.ts";
import { brief } from "./helpers.ts";

const REAL_SERVER = (address: string) => `real_server ${address} 80 {\n    weight 1\n}\n`;

describe("include", () => {
  it("resolves paths relative to the including file, expands wildcards in order, and splices text in place", () => {
    const files = memoryFiles({
      "/etc/keepalived/keepalived.conf": "global_defs {\n    router_id lb1\n}\ninclude conf.d/*.conf\n",
      "/etc/keepalived/conf.d/20-web.conf":
        "virtual_server 10.0.0.1 80 {\n    lvs_sched rr\n    lvs_method DR\n    protocol TCP\n    include ../servers/web/*.conf\n}\n",
      "/etc/keepalived/conf.d/10-mail.conf":
        "virtual_server 10.0.0.1 25 {\n    lvs_sched rr\n    lvs_method DR\n    protocol TCP\n    include ../servers/mail.conf\n}\n",
      "/etc/keepalived/conf.d/notes.txt": "this is not included\n",
      "/etc/keepalived/servers/web/b.conf": REAL_SERVER("10.0.1.2"),
      "/etc/keepalived/servers/web/a.conf": REAL_SERVER("10.0.1.1"),
      "/etc/keepalived/servers/mail.conf": REAL_SERVER("10.0.2.1"),
    });
    const r = parseKeepalived("/etc/keepalived/keepalived.conf", files);
    expect(r.diagnostics).toEqual([]);
    expect(r.config.virtualServers.map((vs) => [vs.target, vs.realServers.map((rs) => rs.address)])).toEqual([
      [{ kind: "address", address: "10.0.0.1", port: 25 }, ["10.0.2.1"]],
      [{ kind: "address", address: "10.0.0.1", port: 80 }, ["10.0.1.1", "10.0.1.2"]],
    ]);
    expect(r.config.virtualServers[1]?.realServers[0]?.at).toEqual({
      file: "/etc/keepalived/servers/web/a.conf",
      line: 1,
      column: 1,
    });
  });

  it("reports problems in an included file with that file's name", () => {
    const files = memoryFiles({
      "/k/main.conf": "include sub/vs.conf\n",
      "/k/sub/vs.conf": "virtual_server 10.0.0.1 80 {\n    lvs_sched roundrobin\n}\n",
    });
    const r = parseKeepalived("/k/main.conf", files);
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({ file: "/k/sub/vs.conf", line: 2, column: 15, severity: "error" });
  });

  it("detects include cycles and names the chain", () => {
    const files = memoryFiles({
      "/k/a.conf": "global_defs {\n    router_id a\n}\ninclude b.conf\n",
      "/k/b.conf": "include c/../a.conf\n",
    });
    const r = parseKeepalived("/k/a.conf", files);
    expect(r.diagnostics.map((d) => `${d.file} ${brief(d)}`)).toEqual([
      "/k/b.conf 1:1 error include include cycle: /k/a.conf → /k/b.conf → /k/a.conf",
    ]);
  });

  it("detects a file that includes itself", () => {
    const r = parseKeepalived("/k/a.conf", memoryFiles({ "/k/a.conf": "include *.conf\n" }));
    expect(r.diagnostics.map(brief)).toEqual(["1:1 error include include cycle: /k/a.conf → /k/a.conf"]);
  });

  it("refuses a missing file and warns about a pattern that matches nothing", () => {
    const files = memoryFiles({ "/k/a.conf": "include missing.conf\ninclude none/*.conf\n" });
    expect(parseKeepalived("/k/a.conf", files).diagnostics.map(brief)).toEqual([
      "1:1 error include cannot read included file /k/missing.conf",
      "2:1 warning include 'none/*.conf' matches no files; nothing included",
    ]);
  });

  it("expands csh-style braces like glob(GLOB_BRACE)", () => {
    expect(expandBraces("/k/{a,b{1,2}}.conf")).toEqual(["/k/a.conf", "/k/b1.conf", "/k/b2.conf"]);
    expect(expandBraces("/k/{x}.conf")).toEqual(["/k/{x}.conf"]);
    const files = memoryFiles({
      "/k/main.conf": "include {one,two}.conf\n",
      "/k/one.conf": "global_defs {\n    router_id one\n}\n",
      "/k/two.conf": "global_defs {\n    router_id two\n}\n",
    });
    expect(parseKeepalived("/k/main.conf", files).config.globalDefs?.routerId).toBe("two");
  });
});
