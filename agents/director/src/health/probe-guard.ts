import { BlockList, isIP } from "node:net";

/**
 * Where health checks may open sockets. By default only loopback and 198.18.0.0/15 (the benchmark
 * range this project's labs use): a checker never sends a packet anywhere else unless the operator
 * lists the network (LVSFLEET_PROBE_NETWORKS, comma-separated CIDRs, e.g. `10.0.0.0/8,192.168.1.0/24`).
 */
export const DEFAULT_PROBE_NETWORKS = ["127.0.0.0/8", "::1/128", "198.18.0.0/15"];

export class ProbeGuard {
  private readonly list = new BlockList();
  readonly networks: string[];

  constructor(networks: readonly string[] = DEFAULT_PROBE_NETWORKS) {
    this.networks = [...networks];
    for (const cidr of networks) {
      const [address, prefix] = cidr.split("/");
      const family = isIP(address ?? "");
      const bits = Number(prefix ?? (family === 6 ? 128 : 32));
      if (!family || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32))
        throw new Error(`${JSON.stringify(cidr)} is not a network (CIDR such as 10.0.0.0/8 or fd00::/8)`);
      this.list.addSubnet(address as string, bits, family === 6 ? "ipv6" : "ipv4");
    }
  }

  /** Parses LVSFLEET_PROBE_NETWORKS; empty or unset: the defaults. Throws naming the bad entry. */
  static fromEnv(value: string | undefined): ProbeGuard {
    const entries = (value ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    try {
      return new ProbeGuard(entries.length > 0 ? entries : DEFAULT_PROBE_NETWORKS);
    } catch (error) {
      throw new Error(`LVSFLEET_PROBE_NETWORKS: ${(error as Error).message}`);
    }
  }

  allows(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.list.check(address, family === 6 ? "ipv6" : "ipv4");
  }

  /** Why a check to `address` is not made, or undefined when it may be. */
  refusal(address: string): string | undefined {
    return this.allows(address)
      ? undefined
      : `not probed: ${address} is outside the networks health checks may reach (${this.networks.join(", ")}; set LVSFLEET_PROBE_NETWORKS)`;
  }
}
