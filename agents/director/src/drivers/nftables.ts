import type { DataPlaneDriver, DataPlaneSupport } from "@lvsfleet/agent-runtime";
import {
  type CommandRunner,
  ExecRunner,
  listLinks,
  nftApply,
  nftablesSupport,
  nftListObject,
  nftListTable,
} from "@lvsfleet/hostops";
import { type IpvsService, type IpvsTable, type Operation, serviceKey } from "@lvsfleet/model";
import { applyOperations } from "@lvsfleet/planner";
import { GrpcStatus, RpcError } from "@lvsfleet/rpc";
import { parseNftServices, parseNftState } from "./nft-observe.ts";
import {
  methodOf,
  type NftLayout,
  type NftState,
  objectsOf,
  renderBatches,
  serviceElement,
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
  /** Services per `nft -f` transaction when a plan is large (default 500). */
  servicesPerTransaction?: number | undefined;
}

/** What execute reports while it works: transactions applied so far, of how many, and services written. */
export interface NftProgress {
  transactions: number;
  of: number;
  services: number;
}

export interface ExecuteOptions {
  onProgress?: ((progress: NftProgress) => void) | undefined;
}

/**
 * Services per transaction: nft's memory grows about 170 KB per service of 10 real servers in one
 * transaction (675 MB for 4,000 services measured), so 500 keep it near 90 MB, about 1 s each.
 */
const SERVICES_PER_TRANSACTION = 500;
/** nft's time limit for a transaction: generous, sized to the script (a working nft is never killed at 30 s). */
const transactionTimeout = (script: string) => Math.max(60_000, Math.ceil(script.length / 10));
/** Reading a whole table back can take tens of seconds at 10,000 services. */
const LIST_TIMEOUT_MS = 600_000;
/** nft processes at once for a targeted read (one object each: nft 1.0.6 cannot list several in one). */
const READ_CONCURRENCY = 4;

/**
 * LVS without ip_vs: DR and NAT built from nftables maps and chains (see nft-render.ts).
 * The driver keeps the state it last read or wrote (`NftState`), renders each change against it
 * and writes only the services the change touches; observe() reads the whole table back and
 * refreshes it, observeServices() reads back only the named services' own chains. A failed
 * transaction forgets the state: the next change reads the table first.
 */
export class NftablesDataPlane implements DataPlaneDriver {
  readonly name = "nftables";
  private readonly runner: CommandRunner;
  private readonly layout: NftLayout;
  private readonly servicesPerTransaction: number;
  private supportResult: DataPlaneSupport | undefined;
  private cache: NftState | undefined;

  /** The interface the DR hook is on: VIPs must arrive there. */
  get device(): string {
    return this.layout.device;
  }

  constructor(options: NftablesOptions) {
    this.runner = options.runner ?? new ExecRunner();
    this.layout = { device: options.device, table: options.table ?? "lvsfleet" };
    this.servicesPerTransaction = options.servicesPerTransaction ?? SERVICES_PER_TRANSACTION;
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

  /** Reads both tables whole and keeps what it read. */
  private async state(): Promise<NftState> {
    const [dr, nat] = await Promise.all([
      nftListTable(this.runner, "netdev", this.layout.table, { timeoutMs: LIST_TIMEOUT_MS }),
      nftListTable(this.runner, "inet", this.layout.table, { timeoutMs: LIST_TIMEOUT_MS }),
    ]);
    this.cache = parseNftState(dr, nat, this.layout);
    return this.cache;
  }

  async observe(): Promise<IpvsTable> {
    return tableOfState(await this.state());
  }

  /**
   * The named services as the kernel has them: each one's own chains (as the driver last knew
   * them, and those its settings name) and its table's service map, one `nft -j list` each. No
   * connection counts (the shared connection maps are not read: they can hold millions).
   */
  async observeServices(keys: readonly string[]): Promise<IpvsTable> {
    const known = this.cache ?? (await this.state());
    const wanted = keys.filter((k) => known.services.has(k));
    if (wanted.length === 0) return { services: [] };
    const reads: { family: "netdev" | "inet"; kind: "chain" | "map"; name: string }[] = [];
    const maps = new Set<string>();
    for (const key of wanted) {
      const observed = known.services.get(key) as NonNullable<ReturnType<typeof known.services.get>>;
      const family = observed.method === "dr" ? "netdev" : "inet";
      for (const chain of new Set([...observed.chains, ...objectsOf(observed.service, this.layout).chains]))
        reads.push({ family, kind: "chain", name: chain });
      maps.add(`${family} ${serviceElement(observed.service, this.layout).map}`);
    }
    for (const m of maps) {
      const [family, name] = m.split(" ") as ["netdev" | "inet", string];
      reads.push({ family, kind: "map", name });
    }
    const listed = await mapLimited(
      reads.filter((r) => !r.name.startsWith("p_") && !r.name.startsWith("c_") && !r.name.startsWith("f_")),
      READ_CONCURRENCY,
      (r) => nftListObject(this.runner, r.family, this.layout.table, r.kind, r.name).then((items) => ({ r, items })),
    );
    const of = (family: string) => listed.filter((x) => x.r.family === family).flatMap((x) => x.items ?? []);
    const read = parseNftServices(of("netdev"), of("inet"), this.layout);
    const services: IpvsService[] = [];
    for (const key of wanted) {
      const now = read.services.get(key);
      if (now) known.services.set(key, now);
      else known.services.delete(key);
      if (now?.intact) services.push(now.service);
    }
    return { services };
  }

  /**
   * Applies a plan: renders it against the state the driver keeps (read whole first when it has
   * none), refuses what this data plane cannot do before touching anything, and writes it in
   * transactions of whole services (one when it is small), in order. A transaction nft refuses
   * (the kernel changed behind the driver's back) forgets the state; the plan is rendered again
   * against a fresh read and tried once more.
   */
  async execute(operations: readonly Operation[], options: ExecuteOptions = {}): Promise<void> {
    if (operations.length === 0) return;
    const cached = this.cache !== undefined;
    const state = this.cache ?? (await this.state());
    const changed = new Set(operations.map((op) => serviceKey(op.service)));
    const before: IpvsTable = {
      services: [...changed].flatMap((k) => {
        const s = state.services.get(k);
        return s?.intact ? [s.service] : [];
      }),
    };
    const next = applyOperations(before, operations);
    const reasons = next.services.flatMap(unsupportedReasons);
    if (reasons.length > 0) throw new RpcError(GrpcStatus.INVALID_ARGUMENT, reasons.join("; "));
    try {
      await this.write(state, next, changed, options);
    } catch (error) {
      this.cache = undefined;
      if (!cached) throw error;
      // The kernel was not what the driver remembered: the same result, against what it has.
      await this.write(await this.state(), next, changed, options);
    }
  }

  private async write(
    state: NftState,
    next: IpvsTable,
    changed: ReadonlySet<string>,
    options: ExecuteOptions,
  ): Promise<void> {
    const remaining = { dr: false, nat: false };
    for (const [key, s] of state.services) if (!changed.has(key)) remaining[s.method] = true;
    for (const s of next.services) remaining[methodOf(s)] = true;
    const batches = renderBatches(state, next, changed, this.layout, {
      servicesPerTransaction: this.servicesPerTransaction,
      remaining,
    });
    this.cache = undefined;
    let services = 0;
    for (const [i, batch] of batches.entries()) {
      await nftApply(this.runner, batch.script, { timeoutMs: transactionTimeout(batch.script) });
      services += batch.keys.length;
      options.onProgress?.({ transactions: i + 1, of: batches.length, services });
    }
    // What was written is what the kernel now has: the state follows it without a read.
    const wanted = new Map(next.services.map((s) => [serviceKey(s), s]));
    const written = new Set<string>();
    for (const key of changed) {
      const now = wanted.get(key);
      const old = state.services.get(key);
      if (old)
        for (const c of old.chains) written.add(`${old.method === "dr" ? "netdev" : "inet"} ${this.layout.table} ${c}`);
      if (!now) {
        state.services.delete(key);
        continue;
      }
      const objects = objectsOf(now, this.layout);
      const method = methodOf(now);
      for (const c of objects.chains) written.add(`${method === "dr" ? "netdev" : "inet"} ${this.layout.table} ${c}`);
      state.services.set(key, { service: now, method, ...objects, intact: true, element: true });
    }
    const stray = new Set([...(state.stray ?? [])].filter((c) => !written.has(c)));
    // Every transaction that wrote a service of a table wrote its base first (unless it was there).
    const wrote = { dr: false, nat: false };
    for (const s of next.services) wrote[methodOf(s)] = true;
    this.cache = {
      drTable: remaining.dr,
      natTable: remaining.nat,
      services: state.services,
      stray,
      base: {
        dr: remaining.dr && (wrote.dr || state.base?.dr === true),
        nat: remaining.nat && (wrote.nat || state.base?.nat === true),
      },
    };
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

/** `f` over `items`, at most `limit` at once, results in order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
