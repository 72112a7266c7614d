import { readFileSync } from "node:fs";
import { type CommandRunner, HostCommandError, type RunOptions } from "@lvsfleet/hostops";
import { ClusterSpec, DEMO_CLUSTER, desiredTable, destinationKey, serviceKey } from "@lvsfleet/model";
import { plan } from "@lvsfleet/planner";
import { describe, expect, it } from "vitest";
import { IpvsDataPlane } from "../src/drivers/ipvs.ts";
import { parseIpvsSysctl, safeIpvsSysctls } from "../src/drivers/ipvs-sysctls.ts";

const golden = (name: string) =>
  readFileSync(new URL(`../../../packages/ipvs/test/golden/${name}`, import.meta.url), "utf8");

/** A host whose ipvsadm answers with recorded real output. */
class RecordedIpvs implements CommandRunner {
  readonly netns = undefined;
  readonly calls: { command: string; args: readonly string[]; input?: string | undefined }[] = [];
  constructor(
    private readonly ipvs = true,
    private readonly listings: Record<string, string> = {},
  ) {}
  async run(command: string, args: readonly string[], options: RunOptions = {}) {
    this.calls.push({ command, args, input: options.input });
    if (command === "modprobe")
      throw new HostCommandError(
        command,
        args,
        1,
        "modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.18.44",
      );
    const key = args.join(" ");
    return { stdout: this.listings[key] ?? "", stderr: "" };
  }
  async readFile(path: string) {
    if (path === "/proc/net/ip_vs") return this.ipvs ? "IP Virtual Server version 1.2.1 (size=4096)\n" : undefined;
    if (path === "/proc/sys/kernel/osrelease") return "6.1.0-26-amd64\n";
    return undefined;
  }
  async writeFile() {}
}

describe("ipvs data plane", () => {
  it("says clearly at start when the kernel has no ip_vs", async () => {
    const driver = new IpvsDataPlane({ runner: new RecordedIpvs(false) });
    await expect(driver.init()).rejects.toThrow(
      /the ipvs data plane cannot run here: this kernel has no ip_vs \(no \/proc\/net\/ip_vs; modprobe ip_vs: modprobe: FATAL: Module ip_vs not found.*\); use a kernel with IPVS .* or run the director with --driver nftables/,
    );
  });

  it("reads the table back with -Sn, thresholds and counts from the listings (recorded kernel output)", async () => {
    const runner = new RecordedIpvs(true, {
      "-Sn": golden("formats.Sn.txt"),
      "-Ln --thresholds": golden("formats.thresholds.txt"),
      "-Ln --persistent-conn": golden("formats.persistent-conn.txt"),
    });
    const table = await new IpvsDataPlane({ runner }).observe();
    const find = (service: string, destination: string) =>
      table.services
        .find((s) => serviceKey(s) === service)
        ?.destinations.find((d) => destinationKey(d) === destination);
    expect(find("udp|192.168.1.229|53", "10.0.0.1|53")).toMatchObject({
      weight: 2,
      upperThreshold: 1000,
      lowerThreshold: 200,
    });
    expect(find("tcp|2001:db8::29|443", "2001:db8::1:0:0:21|8443")).toMatchObject({
      upperThreshold: 7,
      lowerThreshold: 3,
    });
    expect(find("fwmark|7|inet", "192.168.1.220|0")).toMatchObject({
      forwarding: "tun",
      upperThreshold: 100,
      lowerThreshold: 10,
    });
    expect(find("tcp|192.168.1.229|80", "192.168.1.220|80")).toMatchObject({
      weight: 3,
      activeConns: 0,
      inactConns: 0,
    });
    expect(runner.calls.map((c) => c.args.join(" ")).sort()).toEqual([
      "-Ln --persistent-conn",
      "-Ln --thresholds",
      "-Sn",
    ]);
  });

  it("turns a whole plan into one ipvsadm -R process", async () => {
    const runner = new RecordedIpvs();
    const desired = desiredTable(ClusterSpec.parse(DEMO_CLUSTER));
    await new IpvsDataPlane({ runner }).execute(plan(desired, { services: [] }, { isManaged: () => false }));
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0]).toMatchObject({ command: "ipvsadm", args: ["-R"] });
    expect(runner.calls[0]?.input).toBe(
      [
        "-A -t 192.168.1.229:80 -s wrr -p 60",
        "-a -t 192.168.1.229:80 -r 192.168.1.220:80 -g -w 3",
        "-a -t 192.168.1.229:80 -r 192.168.1.231:80 -g -w 1",
        "",
      ].join("\n"),
    );
  });

  it("wants the kernel's safe IPVS sysctls, the operator's choice over them, and ip_forward for NAT", async () => {
    const driver = new IpvsDataPlane({
      runner: new RecordedIpvs(),
      sysctls: { "net.ipv4.vs.expire_nodest_conn": "0" },
    });
    await driver.init();
    const nat = desiredTable(ClusterSpec.parse(DEMO_CLUSTER));
    nat.services[0]!.destinations[0]!.forwarding = "nat";
    expect(driver.requiredSysctls(nat)).toEqual({
      "net.ipv4.vs.conn_reuse_mode": "1",
      "net.ipv4.vs.expire_nodest_conn": "0",
      "net.ipv4.vs.expire_quiescent_template": "1",
      "net.ipv4.ip_forward": "1",
    });
  });
});

describe("safe IPVS sysctls per kernel", () => {
  it("conn_reuse_mode: absent before 4.1, 0 before 5.9, 1 from 5.9", () => {
    expect(safeIpvsSysctls("3.10.0-1160.el7.x86_64")).toEqual({
      "net.ipv4.vs.expire_nodest_conn": "1",
      "net.ipv4.vs.expire_quiescent_template": "1",
    });
    expect(safeIpvsSysctls("4.19.0-21-amd64")["net.ipv4.vs.conn_reuse_mode"]).toBe("0");
    expect(safeIpvsSysctls("5.8.18")["net.ipv4.vs.conn_reuse_mode"]).toBe("0");
    expect(safeIpvsSysctls("5.9.0")["net.ipv4.vs.conn_reuse_mode"]).toBe("1");
    expect(safeIpvsSysctls("6.1.0-26-amd64")["net.ipv4.vs.conn_reuse_mode"]).toBe("1");
  });

  it("--ipvs-sysctl takes only the three IPVS keys", () => {
    expect(parseIpvsSysctl("conn_reuse_mode=0")).toEqual(["net.ipv4.vs.conn_reuse_mode", "0"]);
    expect(parseIpvsSysctl("net.ipv4.vs.expire_nodest_conn=1")).toEqual(["net.ipv4.vs.expire_nodest_conn", "1"]);
    expect(() => parseIpvsSysctl("ip_forward=1")).toThrow(/must be conn_reuse_mode=N/);
    expect(() => parseIpvsSysctl("conn_reuse_mode=1;reboot")).toThrow(/must be/);
  });
});
