import type { DataPlaneDriver, DataPlaneSupport } from "@lvsfleet/agent-runtime";
import { type CommandRunner, ExecRunner, listLinks, nftApply, nftablesSupport, nftListTable } from "@lvsfleet/hostops";
import { type IpvsTable, type Operation, serviceKey } from "@lvsfleet/model";
import { applyOperations } from "@lvsfleet/planner";
import { GrpcStatus, RpcError } from "@lvsfleet/rpc";
import { parseNftState } from "./nft-observe.ts";
import {
  methodOf,
  type NftLayout,
  type NftState,
  renderTransition,
  tableOfState,
  unsupportedReasons,
} from "./nft-render.ts";

/**
 * A ruleset with everything the driver uses, checked with `nft -c` (nothing is applied). It hooks
 * lo, which every host has: whether the VIP interface exists is a separate question.
 */
function probe(): string {
  const t = "lvsfleet_probe";
  const device = "lo";
  return [
    `add table netdev ${t}`,
    `add set netdev ${t} c { type ipv4_addr . inet_service ; flags dynamic,timeout ; timeout 1s ; }`,
    `add chain netdev ${t} i { type filter hook ingress device "${device}" priority -150 ; policy accept ; }`,
    `add chain netdev ${t} x`,
    `add rule netdev ${t} i ip daddr 192.0.2.1 ip saddr . th sport @c update @c { ip saddr . th sport } fwd ip to 192.0.2.2 device "${device}"`,
    `add rule netdev ${t} i ip daddr 192.0.2.1 numgen inc mod 2 vmap { 0 : goto x, 1 : goto x }`,
    `add rule netdev ${t} i ip daddr 192.0.2.1 jhash ip saddr . th sport mod 2 seed 0x1 vmap { 0 : goto x, 1 : goto x }`,
    `add table inet ${t}`,
    `add chain inet ${t} n { type nat hook prerouting priority dstnat ; policy accept ; }`,
    `add rule inet ${t} n ip daddr 192.0.2.1 meta l4proto tcp dnat ip to 192.0.2.2:80`,
    `add chain inet ${t} k { type filter hook prerouting priority filter ; policy accept ; }`,
    `add rule inet ${t} k ct direction original ip daddr . meta l4proto . th dport . ct original ip daddr { 192.0.2.2 . tcp . 80 . 192.0.2.1 } accept`,
    "",
  ].join("\n");
}

export interface NftablesOptions {
  /** The interface VIP traffic arrives on. */
  device: string;
  /** Table name in the netdev and inet families (default lvsfleet). */
  table?: string | undefined;
  runner?: CommandRunner | undefined;
}

/**
 * LVS without ip_vs: DR and NAT built from nftables sets and maps (see nft-render.ts). The
 * table is read back from the kernel on every observe; nothing is kept in memory.
 */
export class NftablesDataPlane implements DataPlaneDriver {
  readonly name = "nftables";
  private readonly runner: CommandRunner;
  private readonly layout: NftLayout;
  private supportResult: DataPlaneSupport | undefined;

  /** The interface the DR hook is on: VIPs must arrive there. */
  get device(): string {
    return this.layout.device;
  }

  constructor(options: NftablesOptions) {
    this.runner = options.runner ?? new ExecRunner();
    this.layout = { device: options.device, table: options.table ?? "lvsfleet" };
  }

  async support(): Promise<DataPlaneSupport> {
    if (this.supportResult) return this.supportResult;
    const result = await nftablesSupport(this.runner, probe());
    this.supportResult = result.available
      ? result
      : {
          ...result,
          fix: "install nftables (apt-get install nftables) on a kernel with nf_tables, netdev ingress, nft_fwd_netdev, nft_numgen, nft_hash and nft_nat, or use --driver ipvs",
        };
    return this.supportResult;
  }

  async init(): Promise<void> {
    const support = await this.support();
    if (!support.available)
      throw new Error(`the nftables data plane cannot run here: ${support.detail}; ${support.fix}`);
    const links = await listLinks(this.runner);
    if (!links.some((l) => l.name === this.layout.device))
      throw new Error(
        `interface ${this.layout.device} does not exist (this host has ${links.map((l) => l.name).join(", ")}); start the agent with --interface NAME`,
      );
  }

  private async state(): Promise<NftState> {
    const [dr, nat] = await Promise.all([
      nftListTable(this.runner, "netdev", this.layout.table),
      nftListTable(this.runner, "inet", this.layout.table),
    ]);
    return parseNftState(dr, nat, this.layout);
  }

  async observe(): Promise<IpvsTable> {
    return tableOfState(await this.state());
  }

  /** Applies a plan as one `nft -f` transaction; refuses what this data plane cannot do, before touching anything. */
  async execute(operations: readonly Operation[]): Promise<void> {
    if (operations.length === 0) return;
    const state = await this.state();
    const next = applyOperations(tableOfState(state), operations);
    const changed = new Set(operations.map((op) => serviceKey(op.service)));
    const reasons = next.services.filter((s) => changed.has(serviceKey(s))).flatMap(unsupportedReasons);
    if (reasons.length > 0) throw new RpcError(GrpcStatus.INVALID_ARGUMENT, reasons.join("; "));
    const script = renderTransition(state, next, changed, this.layout);
    if (script) await nftApply(this.runner, script);
  }

  /** NAT: replies are routed back through the director, which must forward them and must not send redirects. */
  requiredSysctls(table: IpvsTable): Record<string, string> {
    const nat = table.services.filter((s) => methodOf(s) === "nat" && s.destinations.length > 0);
    const v4 = nat.some((s) => s.family === "inet");
    const v6 = nat.some((s) => s.family === "inet6");
    return {
      ...(v4
        ? {
            "net.ipv4.ip_forward": "1",
            "net.ipv4.conf.all.send_redirects": "0",
            [`net.ipv4.conf.${this.layout.device.replaceAll(".", "/")}.send_redirects`]: "0",
          }
        : {}),
      ...(v6 ? { "net.ipv6.conf.all.forwarding": "1" } : {}),
    };
  }

  /** What this driver would refuse in a table (for the director's doctor, before start). */
  unsupported(table: IpvsTable): string[] {
    return table.services.flatMap(unsupportedReasons);
  }

  async close(): Promise<void> {}
}
