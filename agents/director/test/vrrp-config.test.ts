import { ClusterSpec, type ClusterSpecInput, validate } from "@lvsfleet/model";
import { describe, expect, it } from "vitest";
import { renderVrrpConfig, vrrpVips } from "../src/vrrp/config.ts";
import { switchSyncDaemon, syncDaemonCommands } from "../src/vrrp/ipvs-sync.ts";
import { parseNotifyLine } from "../src/vrrp/notify.ts";
import { simulatedMaster, withStaticVips } from "../src/vrrp/static-vips.ts";

const base: ClusterSpecInput = {
  name: "lab",
  vips: ["198.18.1.100", "198.18.1.101"],
  directors: [
    { host: "dir1", address: "198.18.0.2", role: "master", priority: 100 },
    { host: "dir2", address: "198.18.0.3", role: "backup", priority: 90 },
  ],
  vrrp: {
    instances: [
      {
        name: "VI_1",
        virtualRouterId: 51,
        vips: ["198.18.1.100"],
        advertInt: 0.1,
        version: 3,
        garp: { repeat: 3, delay: 1 },
        unicastPeers: ["198.18.0.2", "198.18.0.3"],
      },
    ],
  },
};
const spec = validate(ClusterSpec, base);
const dir1 = spec.directors[0]!;
const dir2 = spec.directors[1]!;

describe("the VRRP-only keepalived.conf", () => {
  it("has the instance from the spec and this director, the notify FIFO, and no virtual_server", () => {
    const { text, warnings } = renderVrrpConfig(spec, dir1, "/var/lib/lvsfleet/keepalived/notify.fifo");
    expect(warnings).toEqual([]);
    expect(text).toContain("router_id dir1");
    expect(text).toContain("notify_fifo /var/lib/lvsfleet/keepalived/notify.fifo");
    expect(text).toMatch(/vrrp_instance VI_1 \{[\s\S]*state MASTER[\s\S]*interface eth0[\s\S]*virtual_router_id 51/);
    expect(text).toMatch(/priority 100\n\s+advert_int 0\.1\n\s+version 3/);
    expect(text).toContain("198.18.1.100/32 dev eth0 label eth0:1");
    expect(text).toMatch(/unicast_src_ip 198\.18\.0\.2[\s\S]*unicast_peer \{\n\s+198\.18\.0\.3\n/);
    expect(text).toContain("garp_master_repeat 3");
    expect(text).toContain("garp_master_delay 1");
    expect(text).not.toContain("virtual_server");
    const backup = renderVrrpConfig(spec, dir2, "/f").text;
    expect(backup).toMatch(/state BACKUP[\s\S]*priority 90/);
    expect(backup).toMatch(/unicast_src_ip 198\.18\.0\.3[\s\S]*unicast_peer \{\n\s+198\.18\.0\.2\n/);
  });

  it("renders nopreempt for an all-backup pair", () => {
    const nopreempt = validate(ClusterSpec, {
      ...base,
      directors: [
        { host: "dir1", address: "198.18.0.2", role: "backup", priority: 100 },
        { host: "dir2", address: "198.18.0.3", role: "backup", priority: 90 },
      ],
      vrrp: { instances: [{ name: "VI_1", virtualRouterId: 51, vips: ["198.18.1.100"], nopreempt: true }] },
    });
    const text = renderVrrpConfig(nopreempt, nopreempt.directors[0]!, "/f").text;
    expect(text).toMatch(/state BACKUP[\s\S]*nopreempt/);
  });
});

describe("keepalived's notify FIFO", () => {
  it("reads state changes and skips other lines", () => {
    expect(parseNotifyLine('INSTANCE "VI_1" MASTER 100')).toEqual({
      kind: "INSTANCE",
      name: "VI_1",
      state: "MASTER",
      priority: 100,
    });
    expect(parseNotifyLine('GROUP "G" BACKUP 0\n')).toMatchObject({ kind: "GROUP", state: "BACKUP" });
    expect(parseNotifyLine('INSTANCE "VI_1" STOP 100')?.state).toBe("STOP");
    expect(parseNotifyLine('INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100')).toBeUndefined();
    expect(parseNotifyLine("garbage")).toBeUndefined();
  });
});

describe("which VIPs lvsdr puts up itself", () => {
  const config = { vips: spec.vips, interface: "eth0", generation: 1, spec };

  it("leaves the VIPs VRRP moves to keepalived, and keeps the others", () => {
    expect(vrrpVips(spec)).toEqual(["198.18.1.100"]);
    expect(withStaticVips(config, "dir1", false).vips).toEqual(["198.18.1.101"]);
    expect(withStaticVips({ ...config, spec: undefined, desired: { services: [] } }, "dir1", false).vips).toEqual(
      spec.vips,
    );
  });

  it("with the sim driver, the simulated MASTER (highest priority) keeps them all", () => {
    expect(simulatedMaster(spec)).toBe("dir1");
    expect(withStaticVips(config, "dir1", true).vips).toEqual(spec.vips);
    expect(withStaticVips(config, "dir2", true).vips).toEqual(["198.18.1.101"]);
  });
});

describe("IPVS connection sync follows VRRP (ipvs driver)", () => {
  it("runs the master daemon on the MASTER and the backup daemon otherwise", async () => {
    expect(syncDaemonCommands("MASTER", "eth0", 51)).toEqual([
      ["--stop-daemon", "backup"],
      ["--start-daemon", "master", "--mcast-interface", "eth0", "--syncid", "51"],
    ]);
    expect(syncDaemonCommands("BACKUP", "eth0", 51)[1]).toEqual([
      "--start-daemon",
      "backup",
      "--mcast-interface",
      "eth0",
      "--syncid",
      "51",
    ]);
    expect(syncDaemonCommands("STOP", "eth0", 51)).toEqual([]);
    const calls: string[][] = [];
    const problems = await switchSyncDaemon("MASTER", "eth0", 51, async (args) => {
      calls.push(args);
      if (args[0] === "--stop-daemon") throw new Error("no daemon");
    });
    expect(calls).toHaveLength(2);
    expect(problems).toEqual([]);
    const failed = await switchSyncDaemon("BACKUP", "eth0", 51, async (args) => {
      if (args[0] === "--start-daemon") throw Object.assign(new Error("x"), { stderr: "Protocol not available" });
    });
    expect(failed).toEqual([
      "ipvsadm --start-daemon backup --mcast-interface eth0 --syncid 51: Protocol not available",
    ]);
  });
});
