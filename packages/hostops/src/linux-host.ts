import type { HostAddress, HostRoute } from "@lvsfleet/model";
import { assertInterfaceExists, assertSysctlWritable } from "./allowlist.ts";
import { addAddress, type HostLink, listAddresses, listLinks, removeAddress } from "./ip-addr.ts";
import { addRoute, listRoutes, removeRoute, replaceRoute } from "./ip-route.ts";
import { kernelRelease } from "./kernel.ts";
import { type CommandRunner, ExecRunner } from "./runner.ts";
import { readSysctl, writeSysctl } from "./sysctl.ts";

/**
 * A real Linux host: addresses and routes through iproute2, sysctls through /proc/sys.
 * It has the shape of agent-runtime's HostDriver (and its optional replaceRoute, links and
 * kernelRelease); every value is validated before it reaches a command, interfaces must exist,
 * and only the sysctls lvsfleet manages can be written (allowlist.ts), whoever asks.
 */
export class LinuxHostDriver {
  readonly name = "linux";

  constructor(readonly runner: CommandRunner = new ExecRunner()) {}

  addresses(): Promise<HostAddress[]> {
    return listAddresses(this.runner);
  }

  async addAddress(address: HostAddress): Promise<void> {
    assertInterfaceExists(address.interface, await this.links());
    return addAddress(this.runner, address);
  }

  removeAddress(address: HostAddress): Promise<void> {
    return removeAddress(this.runner, address);
  }

  routes(): Promise<HostRoute[]> {
    return listRoutes(this.runner);
  }

  async addRoute(route: HostRoute): Promise<void> {
    assertInterfaceExists(route.interface, await this.links());
    return addRoute(this.runner, route);
  }

  removeRoute(route: HostRoute): Promise<void> {
    return removeRoute(this.runner, route);
  }

  async replaceRoute(route: HostRoute): Promise<void> {
    assertInterfaceExists(route.interface, await this.links());
    return replaceRoute(this.runner, route);
  }

  readSysctl(key: string): Promise<string | undefined> {
    return readSysctl(this.runner, key);
  }

  async writeSysctl(key: string, value: string): Promise<void> {
    assertSysctlWritable(key);
    return writeSysctl(this.runner, key, value);
  }

  links(): Promise<HostLink[]> {
    return listLinks(this.runner);
  }

  kernelRelease(): Promise<string> {
    return kernelRelease(this.runner);
  }
}
