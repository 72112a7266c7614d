import type { HostAddress, HostRoute } from "@lvsfleet/model";
import type { HostDriver, HostLinkState } from "./drivers.ts";
import type { StateFile } from "./state-file.ts";

export interface SimHostState {
  addresses: HostAddress[];
  routes: HostRoute[];
  sysctls: Record<string, string>;
}

/** Sysctls every simulated host starts with: a stock Linux host. */
export const STOCK_SYSCTLS: Record<string, string> = {
  "net.ipv4.ip_forward": "0",
  "net.ipv6.conf.all.forwarding": "0",
  "net.ipv4.conf.all.arp_ignore": "0",
  "net.ipv4.conf.all.arp_announce": "0",
  "net.ipv4.conf.lo.arp_ignore": "0",
  "net.ipv4.conf.lo.arp_announce": "0",
  "net.ipv4.conf.eth0.arp_ignore": "0",
  "net.ipv4.conf.eth0.arp_announce": "0",
  "net.ipv4.conf.all.rp_filter": "0",
  "net.ipv4.conf.all.send_redirects": "1",
  "net.ipv4.vs.conn_reuse_mode": "1",
  "net.ipv4.vs.expire_nodest_conn": "0",
  "net.ipv4.vs.expire_quiescent_template": "0",
};

/** The host a simulated agent starts with: lo, and its address on its interface. */
export function stockSimHost(address: string, prefixLength: number, iface = "eth0"): SimHostState {
  return {
    addresses: [
      { address: "127.0.0.1", prefixLength: 8, interface: "lo" },
      { address, prefixLength, interface: iface },
    ],
    routes: [],
    sysctls: {
      ...STOCK_SYSCTLS,
      [`net.ipv4.conf.${iface}.arp_ignore`]: "0",
      [`net.ipv4.conf.${iface}.arp_announce`]: "0",
    },
  };
}

/**
 * A simulated host: addresses, routes and sysctls in memory, saved in the agent's state
 * directory so that a restarted agent finds its host as a real one would. Errors match iproute2's.
 */
export class SimHostDriver implements HostDriver {
  readonly name = "sim";
  private state: SimHostState | undefined;

  constructor(private readonly file: StateFile<SimHostState>) {}

  private async load(): Promise<SimHostState> {
    this.state ??= await this.file.read();
    return this.state;
  }

  private async save(): Promise<void> {
    if (this.state) await this.file.write(this.state);
  }

  async addresses(): Promise<HostAddress[]> {
    return structuredClone((await this.load()).addresses);
  }

  async addAddress(address: HostAddress): Promise<void> {
    const state = await this.load();
    if (state.addresses.some((a) => a.address === address.address && a.interface === address.interface))
      throw new Error(`RTNETLINK answers: File exists (${address.address} on ${address.interface})`);
    state.addresses.push({ ...address });
    await this.save();
  }

  async removeAddress(address: HostAddress): Promise<void> {
    const state = await this.load();
    const before = state.addresses.length;
    state.addresses = state.addresses.filter(
      (a) => !(a.address === address.address && a.interface === address.interface),
    );
    if (state.addresses.length === before)
      throw new Error(
        `RTNETLINK answers: Cannot assign requested address (${address.address} on ${address.interface})`,
      );
    await this.save();
  }

  async routes(): Promise<HostRoute[]> {
    return structuredClone((await this.load()).routes);
  }

  async addRoute(route: HostRoute): Promise<void> {
    const state = await this.load();
    if (
      state.routes.some((r) => r.destination === route.destination && (r.table ?? "main") === (route.table ?? "main"))
    )
      throw new Error(`RTNETLINK answers: File exists (route ${route.destination})`);
    state.routes.push({ ...route });
    await this.save();
  }

  async removeRoute(route: HostRoute): Promise<void> {
    const state = await this.load();
    const before = state.routes.length;
    state.routes = state.routes.filter(
      (r) => !(r.destination === route.destination && (r.table ?? "main") === (route.table ?? "main")),
    );
    if (state.routes.length === before)
      throw new Error(`RTNETLINK answers: No such process (route ${route.destination})`);
    await this.save();
  }

  async replaceRoute(route: HostRoute): Promise<void> {
    const state = await this.load();
    state.routes = state.routes.filter(
      (r) => !(r.destination === route.destination && (r.table ?? "main") === (route.table ?? "main")),
    );
    state.routes.push({ ...route });
    await this.save();
  }

  /** The simulated host's interfaces: those its addresses are on, all up. */
  async links(): Promise<HostLinkState[]> {
    const names = new Set((await this.load()).addresses.map((a) => a.interface));
    return [...names].map((name) => ({ name, up: true }));
  }

  async kernelRelease(): Promise<string> {
    return "6.1.0-sim";
  }

  async readSysctl(key: string): Promise<string | undefined> {
    return (await this.load()).sysctls[key];
  }

  async writeSysctl(key: string, value: string): Promise<void> {
    const state = await this.load();
    if (!(key in state.sysctls))
      throw new Error(`sysctl: cannot stat /proc/sys/${key.replaceAll(".", "/")}: No such file or directory`);
    state.sysctls[key] = value;
    await this.save();
  }
}
