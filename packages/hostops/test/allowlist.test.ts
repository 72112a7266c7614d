import { describe, expect, it } from "vitest";
import { assertInterfaceExists, RefusedHostChange, sysctlWritable } from "../src/allowlist.ts";

describe("what an agent agrees to change on its host", () => {
  it("writes only the sysctls lvsfleet manages", () => {
    for (const key of [
      "net.ipv4.ip_forward",
      "net.ipv6.conf.all.forwarding",
      "net.ipv4.conf.lo.arp_ignore",
      "net.ipv4.conf.all.arp_announce",
      "net.ipv4.conf.eth0.rp_filter",
      "net.ipv4.conf.tunl0.rp_filter",
      "net.ipv4.vs.conn_reuse_mode",
      "net.ipv4.vs.expire_quiescent_template",
    ])
      expect(sysctlWritable(key), key).toBe(true);
    for (const key of [
      "kernel.core_pattern",
      "kernel.modprobe",
      "net.core.bpf_jit_enable",
      "net.ipv4.conf.lo.arp_ignore.x",
      "net.ipv4.conf.../arp_ignore",
      "net.ipv4.vs.debug_level",
      "vm.overcommit_memory",
    ])
      expect(sysctlWritable(key), key).toBe(false);
  });

  it("uses only interfaces the host has", () => {
    const links = [{ name: "lo" }, { name: "eth0" }];
    expect(() => assertInterfaceExists("eth0", links)).not.toThrow();
    expect(() => assertInterfaceExists(undefined, links)).not.toThrow();
    expect(() => assertInterfaceExists("eth9", links)).toThrow(RefusedHostChange);
  });
});
