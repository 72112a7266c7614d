import type {
  HostAddress,
  HostRoute,
  IpvsTable,
  Operation,
  SimulatedTraffic,
  SimulatedTrafficChange,
} from "@lvsfleet/model";

/**
 * The data plane of a director: where virtual services and real servers live.
 * `sim` keeps an in-memory IPVS; `ipvs` drives the kernel through ipvsadm; `nftables` builds
 * the same behaviour from nftables maps on kernels without ip_vs.
 */
export interface DataPlaneDriver {
  readonly name: string;
  /** Checks the host can run this driver; throws an error that says what is missing and how to fix it. */
  init(): Promise<void>;
  /** The table the data plane really has, with connection counts. */
  observe(): Promise<IpvsTable>;
  /**
   * The named services (their `serviceKey`s) as the kernel has them now, leaving out those it lacks:
   * the read-back after a change, which costs what the change touched (`ipvsadm -Ln -t …`, a
   * service's own nft chains and maps). A driver without it is read back whole.
   */
  observeServices?(keys: readonly string[]): Promise<IpvsTable>;
  /** Executes a plan (a driver may batch it, as `ipvsadm -R` does). */
  execute(operations: readonly Operation[]): Promise<void>;
  /** Sysctls the host needs for this table with this driver (kernel IPVS NAT needs ip_forward=1). */
  requiredSysctls(table: IpvsTable): Record<string, string>;
  /** Whether the kernel can run this data plane, in words (for doctor); drivers that always can may omit it. */
  support?(): Promise<DataPlaneSupport>;
  /** Simulated data planes only: changes the simulated client traffic and says what it does now. */
  setSimulatedTraffic?(change: SimulatedTrafficChange): Promise<SimulatedTraffic>;
  close(): Promise<void>;
}

export interface DataPlaneSupport {
  available: boolean;
  /** What was found (`this kernel has no ip_vs …`). */
  detail: string;
  /** How to fix it when not available. */
  fix?: string | undefined;
}

/** A network interface and whether it is up (`ip -j link`). */
export interface HostLinkState {
  name: string;
  up: boolean;
}

/**
 * Host operations both agents need: addresses, routes and sysctls. The only way agents
 * touch a host; real implementations use iproute2 and /proc/sys through execFile.
 */
export interface HostDriver {
  readonly name: string;
  addresses(): Promise<HostAddress[]>;
  addAddress(address: HostAddress): Promise<void>;
  removeAddress(address: HostAddress): Promise<void>;
  routes(): Promise<HostRoute[]>;
  addRoute(route: HostRoute): Promise<void>;
  removeRoute(route: HostRoute): Promise<void>;
  /** `net.ipv4.ip_forward` → "1"; undefined when the key does not exist. */
  readSysctl(key: string): Promise<string | undefined>;
  writeSysctl(key: string, value: string): Promise<void>;
  /** `ip route replace`: sets the route whatever was there; without it HostKeeper removes the prior route and adds. */
  replaceRoute?(route: HostRoute): Promise<void>;
  /** The host's interfaces, for doctor; undefined when the driver cannot tell. */
  links?(): Promise<HostLinkState[]>;
  /** The kernel release (`uname -r`), for doctor and the IPVS sysctls whose safe values depend on it. */
  kernelRelease?(): Promise<string>;
}
