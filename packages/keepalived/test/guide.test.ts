import { ClusterSpec, DEMO_CLUSTER, validate } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { importKeepalived, memoryFiles } from "../src/index.ts";
import { brief, dump, fixture, hasKeepalived, keepalivedConfigTest } from "./helpers.ts";

/** The guide's keepalived.conf exactly as the seed has it: U+00A0 indentation, `//` comments and all. */
const GUIDE = fixture("guide-keepalived.conf");
/**
 * The guide uses the same file on the backup director, "备份服务器设置为backup" and "备份服务器设置小于100":
 * state BACKUP and a priority below 100. DEMO_CLUSTER gives the backup priority 90.
 */
const GUIDE_BACKUP = GUIDE.replace("state MASTER", "state BACKUP").replace("priority 100", "priority 90");

const files = memoryFiles({ "/etc/keepalived/master.conf": GUIDE, "/etc/keepalived/backup.conf": GUIDE_BACKUP });
const importGuide = (strict = false) =>
  importKeepalived(
    [
      { path: "/etc/keepalived/master.conf", director: { host: "lb-master", address: "192.168.1.252" } },
      { path: "/etc/keepalived/backup.conf", director: { host: "lb-backup", address: "192.168.1.230" } },
    ],
    { files, name: "web", strict },
  );

/** Every path at which two JSON values differ. */
function differences(a: unknown, b: unknown, path = ""): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || a === undefined || b === undefined)
    return [path];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.flatMap((k) =>
    differences(
      (a as Record<string, unknown>)[k],
      (b as Record<string, unknown>)[k],
      Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k,
    ),
  );
}

describe("the guide's keepalived.conf", () => {
  it("imports into the demo cluster's spec; the differences are exactly what keepalived.conf does or does not say", () => {
    const result = importGuide();
    if (!result.ok) throw new Error(dump(result.diagnostics));
    const demo = validate(ClusterSpec, DEMO_CLUSTER);
    // Field by field: keepalived.conf has no host names for real servers (realdr.sh runs by hand in
    // the guide), and it says more than DEMO_CLUSTER does: health checks, delay_loop and VRRP.
    expect(differences(demo, result.spec).sort()).toEqual([
      "services[0].delayLoop",
      "services[0].realServers[0].healthChecks",
      "services[0].realServers[0].host",
      "services[0].realServers[1].healthChecks",
      "services[0].realServers[1].host",
      "vrrp",
    ]);
    expect(demo.services[0]?.realServers.map((rs) => rs.host)).toEqual(["web1", "web2"]);
    expect(result.spec.services[0]?.realServers.map((rs) => rs.host)).toEqual([undefined, undefined]);
    expect(result.spec.services[0]?.delayLoop).toBe(6);
    const check = { type: "tcp", connectTimeout: 10, retry: 3, delayBeforeRetry: 3 };
    expect(result.spec.services[0]?.realServers.map((rs) => rs.healthChecks)).toEqual([[check], [check]]);
    expect(result.spec.vrrp).toEqual({
      instances: [
        {
          name: "VI_1",
          virtualRouterId: 51,
          vips: ["192.168.1.229"],
          advertInt: 1,
          authentication: { type: "pass", password: "1111" },
        },
      ],
    });
    // Everything DEMO_CLUSTER does say comes out the same.
    expect(result.spec.name).toBe(demo.name);
    expect(result.spec.vips).toEqual(demo.vips);
    expect(result.spec.directors).toEqual(demo.directors);
    const {
      realServers: _a,
      delayLoop: _b,
      ...service
    } = result.spec.services[0] as NonNullable<(typeof demo.services)[0]>;
    const { realServers: _c, ...demoService } = demo.services[0] as NonNullable<(typeof demo.services)[0]>;
    expect(service).toEqual(demoService);
  });

  it("reports every repair and every unused keyword with file, line and column", () => {
    const result = importGuide();
    const master = result.diagnostics.filter((d) => d.file === "/etc/keepalived/master.conf");
    const slash = master.filter((d) => d.code === "repair" && d.message.includes("as a comment"));
    expect(slash.map((d) => `${d.line}:${d.column}`)).toEqual([
      "11:19", // state MASTER  //备份服务器设置为backup
      "14:19", // priority 100  ////备份服务器设置小于100
      "25:19", // delay_loop 6  //隔6秒查询
      "26:19", // lb_algo wrr   //lvs算法
      "27:19", // lb_kind DR    //(Direct Route)
      "28:29", // persistence_timeout 60  //同一IP的连接60秒内...
      "29:25", // inhibit_on_failure  //当web挂掉的时候...
      "30:20", // protocol TCP   //用TCP协议检查realserver状态
      "32:21", // weight 3    //权重
      "34:34", // connect_timeout 10   //10秒无响应超时
    ]);
    expect(slash[4]?.message).toBe("read '//(Direct Route)' after 'lb_kind' as a comment");
    // One warning per line that holds U+00A0, at the first one (every such line starts with it).
    const linesWithNbsp = GUIDE.split("\n").flatMap((line, i) => (line.includes("\u00a0") ? [i + 1] : []));
    expect(linesWithNbsp.length).toBe(41);
    const nbsp = master.filter((d) => d.message.includes("U+00A0 NO-BREAK SPACE"));
    expect(nbsp.map((d) => d.line)).toEqual(linesWithNbsp);
    expect(nbsp.every((d) => d.column === 1 && d.code === "repair")).toBe(true);
    expect(master.filter((d) => d.code === "deprecated").map(brief)).toEqual([
      "35:13 warning deprecated 'nb_get_retry' is the pre-2.0 name of 'retry'; read as 'retry'",
      "43:13 warning deprecated 'nb_get_retry' is the pre-2.0 name of 'retry'; read as 'retry'",
    ]);
    expect(master.filter((d) => d.code === "unmodelled").map(brief)).toEqual([
      "3:4 warning unmodelled 'notification_email' in global_defs is kept but not used by lvsfleet",
      "5:4 warning unmodelled 'notification_email_from' in global_defs is kept but not used by lvsfleet",
      "6:4 warning unmodelled 'smtp_server' in global_defs is kept but not used by lvsfleet",
      "7:4 warning unmodelled 'smtp_connect_timeout' in global_defs is kept but not used by lvsfleet",
    ]);
    expect(result.diagnostics.every((d) => d.severity === "warning")).toBe(true);
  });

  it("is refused in strict mode, with each repair as an error", () => {
    const result = importGuide(true);
    expect(result.ok).toBe(false);
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    expect(errors.length).toBe(2 * (41 + 10));
    expect(errors.every((d) => d.code === "repair")).toBe(true);
  });

  it.skipIf(!hasKeepalived)("is misread by keepalived itself, which is why the importer repairs it", async () => {
    const { code, output } = await keepalivedConfigTest(GUIDE);
    expect(code).not.toBe(0);
    // Every U+00A0-indented line is an unknown keyword to keepalived: it never sees the real servers.
    expect(output).toMatch(/Unknown keyword '\u00a0/);
    expect(output).toMatch(/has no real servers - ignoring/);
    expect(output).toMatch(/the virtual router id must be set/);
  });
});
