import { describe, expect, it } from "vitest";
import {
  addressArgs,
  type CommandRunner,
  LinuxHostDriver,
  type RunOptions,
  routeArgs,
  sysctlPath,
} from "../src/index.ts";

/** Records what would run; answers reads from a map of files. */
class FakeRunner implements CommandRunner {
  readonly netns = undefined;
  readonly calls: { command: string; args: readonly string[]; input?: string | undefined }[] = [];
  readonly files = new Map<string, string>();
  /** What `ip -j link` answers: the host's interfaces. */
  links = [
    { ifname: "lo", flags: ["LOOPBACK", "UP"], mtu: 65536, operstate: "UNKNOWN" },
    { ifname: "eth0", flags: ["BROADCAST", "UP"], mtu: 1500, operstate: "UP" },
  ];
  run(command: string, args: readonly string[], options: RunOptions = {}) {
    this.calls.push({ command, args, input: options.input });
    const stdout = args.includes("link") ? JSON.stringify(this.links) : "[]";
    return Promise.resolve({ stdout, stderr: "" });
  }
  readFile(path: string) {
    return Promise.resolve(this.files.get(path));
  }
  writeFile(path: string, text: string) {
    this.files.set(path, text);
    return Promise.resolve();
  }
}

describe("host commands as argument arrays", () => {
  it("adds the guide's VIP alias exactly as lvsdr.sh did", () => {
    expect(
      addressArgs("add", { address: "192.168.1.229", prefixLength: 32, interface: "eth0", label: "eth0:1" }),
    ).toEqual(["addr", "add", "192.168.1.229/32", "dev", "eth0", "label", "eth0:1"]);
    expect(addressArgs("del", { address: "2001:db8::29", prefixLength: 128, interface: "lo" })).toEqual([
      "-6",
      "addr",
      "del",
      "2001:db8::29/128",
      "dev",
      "lo",
    ]);
  });

  it("builds routes with gateway, device and table", () => {
    expect(routeArgs("add", { destination: "192.168.1.229", interface: "lo" })).toEqual([
      "route",
      "add",
      "192.168.1.229",
      "dev",
      "lo",
    ]);
    expect(routeArgs("replace", { destination: "default", via: "198.18.0.2", table: "main" })).toEqual([
      "route",
      "replace",
      "default",
      "via",
      "198.18.0.2",
    ]);
  });

  it("refuses values that could become options or other commands, naming the field", () => {
    expect(() => addressArgs("add", { address: "1.2.3.4; reboot", prefixLength: 32, interface: "eth0" })).toThrow(
      /address\.address: must be an IPv4 or IPv6 address/,
    );
    expect(() => addressArgs("add", { address: "1.2.3.4", prefixLength: 32, interface: "-h" })).toThrow(
      /address\.interface: must be an interface name/,
    );
    expect(() => addressArgs("add", { address: "1.2.3.4", prefixLength: 33, interface: "eth0" })).toThrow(
      /prefixLength: is too long/,
    );
    expect(() =>
      addressArgs("add", { address: "1.2.3.4", prefixLength: 32, interface: "eth0", label: "lo:0" }),
    ).toThrow(/label: must start with "eth0:"/);
    expect(() => routeArgs("add", { destination: "10.0.0.0/99" })).toThrow(/route\.destination/);
    expect(() => routeArgs("add", { destination: "default", table: "x;y" })).toThrow(/route\.table/);
  });

  it("maps sysctl names to /proc/sys and refuses anything else", () => {
    expect(sysctlPath("net.ipv4.conf.lo.arp_ignore")).toBe("/proc/sys/net/ipv4/conf/lo/arp_ignore");
    expect(sysctlPath("net.ipv4.conf.eth0/100.arp_announce")).toBe("/proc/sys/net/ipv4/conf/eth0.100/arp_announce");
    for (const bad of ["net.ipv4.conf.../../etc/passwd", "fs.file-max", "net", "net..ipv4", "net.ipv4./x"])
      expect(() => sysctlPath(bad), bad).toThrow(/sysctl: must be a sysctl name/);
  });

  it("reads and writes sysctls through /proc/sys and validates the value", async () => {
    const runner = new FakeRunner();
    runner.files.set("/proc/sys/net/ipv4/ip_forward", "0\n");
    const host = new LinuxHostDriver(runner);
    expect(await host.readSysctl("net.ipv4.ip_forward")).toBe("0");
    expect(await host.readSysctl("net.ipv4.vs.conn_reuse_mode")).toBeUndefined();
    await host.writeSysctl("net.ipv4.ip_forward", "1");
    expect(runner.files.get("/proc/sys/net/ipv4/ip_forward")).toBe("1\n");
    await expect(host.writeSysctl("net.ipv4.ip_forward", "1\n0")).rejects.toThrow(/must be a short value/);
  });

  it("runs iproute2 with the validated arguments", async () => {
    const runner = new FakeRunner();
    const host = new LinuxHostDriver(runner);
    await host.addAddress({ address: "198.18.0.100", prefixLength: 32, interface: "lo", label: "lo:0" });
    await host.replaceRoute({ destination: "default", via: "198.18.0.2", interface: "eth0" });
    await host.routes();
    expect(runner.calls.map((c) => [c.command, ...c.args].join(" ")).filter((c) => !c.includes(" link"))).toEqual([
      "ip addr add 198.18.0.100/32 dev lo label lo:0",
      "ip route replace default via 198.18.0.2 dev eth0",
      "ip -j -4 route show table all",
      "ip -j -6 route show table all",
    ]);
  });

  it("refuses interfaces the host does not have and sysctls lvsfleet does not manage, before running anything", async () => {
    const runner = new FakeRunner();
    const host = new LinuxHostDriver(runner);
    await expect(host.addAddress({ address: "198.18.0.100", prefixLength: 32, interface: "eth7" })).rejects.toThrow(
      /eth7: it does not exist/,
    );
    await expect(host.addRoute({ destination: "198.18.0.100", interface: "eth7" })).rejects.toThrow(/does not exist/);
    await expect(host.writeSysctl("kernel.core_pattern", "|/tmp/x")).rejects.toThrow(/not one lvsfleet manages/);
    expect(runner.calls.filter((c) => !c.args.includes("link"))).toEqual([]);
    expect(runner.files.size).toBe(0);
  });
});
