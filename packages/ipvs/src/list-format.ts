import {
  FORWARD_NAMES,
  formatEndpoint,
  type IpvsDestination,
  type IpvsRates,
  type IpvsService,
  type IpvsServiceConfig,
  type IpvsStats,
  type IpvsTable,
  maxPrefixLength,
  netmaskOfPrefixLength,
  PROTOCOL_NAMES,
} from "@lvsfleet/model";
import { sortedLikeIpvsadm } from "./order.ts";
import { orderedSchedulerFlags } from "./service-rule.ts";

/** Which `ipvsadm -Ln` listing: plain, `--stats`, `--rate`, `--thresholds`, `--persistent-conn` or `--tun-info`. */
export type ListFormat = "plain" | "stats" | "rate" | "thresholds" | "persistent-conn" | "tun-info";

export interface ListOptions {
  /** The connection hash table size shown in the first line (ipvsadm: `size=4096`). */
  connectionTableSize?: number;
  format?: ListFormat;
  /** `--exact`: counters in full instead of K/M/G/T (stats and rate only). */
  exact?: boolean;
}

const pad = (value: string | number, width: number) => String(value).padEnd(width);
const right = (value: string | number, width: number) => String(value).padStart(width);

/** `TCP  192.168.1.229` / `SCTP 10.0.0.1:9` / `FWM  7 IPv6`: the service name ipvsadm 1.31 prints. */
function serviceName(s: IpvsServiceConfig): string {
  if (s.protocol === "fwmark") return `FWM  ${s.fwmark}${s.family === "inet6" ? " IPv6" : ""}`;
  return `${pad(PROTOCOL_NAMES[s.protocol], 4)} ${formatEndpoint(s.address ?? "", s.port ?? 0)}`;
}

/** `TCP  192.168.1.229:80 wrr persistent 60` — a service line as `ipvsadm -Ln` prints it. */
export function formatServiceLine(s: IpvsServiceConfig): string {
  let line = `${serviceName(s)} ${s.scheduler}`;
  if (s.schedulerFlags.length > 0) line += ` (${orderedSchedulerFlags(s.schedulerFlags).join(",")})`;
  if (s.persistence) {
    line += ` persistent ${s.persistence.timeout}`;
    const { netmask } = s.persistence;
    if (netmask !== maxPrefixLength(s.family))
      line += ` mask ${s.family === "inet" ? netmaskOfPrefixLength(netmask) : netmask}`;
  }
  if (s.onePacket) line += " ops";
  return line;
}

/** ipvsadm's print_largenum: 9 columns, scaled to K/M/G/T past 100 million unless exact. */
export function formatLargeNumber(n: number, exact = false): string {
  const value = BigInt(Math.max(0, Math.trunc(n)));
  if (exact) {
    const text = value.toString();
    return right(text, text.length <= 8 ? 9 : text.length + 1);
  }
  if (value < 100_000_000n) return right(value.toString(), 9);
  if (value < 1_000_000_000n) return `${right((value / 1_000n).toString(), 8)}K`;
  if (value < 100_000_000_000n) return `${right((value / 1_000_000n).toString(), 8)}M`;
  if (value < 100_000_000_000_000n) return `${right((value / 1_000_000_000n).toString(), 8)}G`;
  return `${right((value / 1_000_000_000_000n).toString(), 8)}T`;
}

const NO_STATS: IpvsStats = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
const NO_RATES: IpvsRates = { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };

function statsColumns(stats: IpvsStats | undefined, exact: boolean): string {
  const s = stats ?? NO_STATS;
  return [s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes].map((n) => formatLargeNumber(n, exact)).join("");
}

function rateColumns(rates: IpvsRates | undefined, exact: boolean): string {
  const r = rates ?? NO_RATES;
  return [r.cps, r.inPps, r.outPps, r.inBps, r.outBps].map((n) => formatLargeNumber(n, exact)).join("");
}

/** ipvsadm's destination rate line: cps and packet rates as `%8u`, byte rates as large numbers. */
function destinationRateColumns(rates: IpvsRates | undefined, exact: boolean): string {
  const r = rates ?? NO_RATES;
  return (
    [r.cps, r.inPps, r.outPps].map((n) => ` ${right(Math.trunc(n), 8)}`).join("") +
    formatLargeNumber(r.inBps, exact) +
    formatLargeNumber(r.outBps, exact)
  );
}

function tunnelInfo(d: IpvsDestination): string {
  if (d.forwarding !== "tun") return "n/a";
  const t = d.tunnel ?? { type: "ipip" };
  const flags = { nocsum: "-c", csum: "+c", remcsum: "r+c" }[t.checksum ?? "nocsum"];
  if (t.type === "gue") return `gue:${t.port ?? 0}:${flags}`;
  if (t.type === "gre") return `gre:${flags}`;
  return "ipip";
}

const TITLES: Record<ListFormat, string> = {
  plain:
    "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
  "tun-info":
    "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn",
  stats: `${pad("Prot LocalAddress:Port", 33)} ${["Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"].map((t) => right(t, 8)).join(" ")}\n  -> RemoteAddress:Port`,
  rate: `${pad("Prot LocalAddress:Port", 33)} ${["CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"].map((t) => right(t, 8)).join(" ")}\n  -> RemoteAddress:Port`,
  thresholds: `${pad("Prot LocalAddress:Port", 33)} ${["Uthreshold", "Lthreshold", "ActiveConn", "InActConn"].map((t) => pad(t, 10)).join(" ")}\n  -> RemoteAddress:Port`,
  "persistent-conn": `${pad("Prot LocalAddress:Port", 33)} ${pad("Weight", 9)} ${pad("PersistConn", 11)} ${pad("ActiveConn", 10)} ${pad("InActConn", 10)}\n  -> RemoteAddress:Port`,
};

function serviceLine(s: IpvsService, format: ListFormat, exact: boolean): string {
  if (format === "stats") return pad(serviceName(s), 33) + statsColumns(s.stats, exact);
  if (format === "rate") return pad(serviceName(s), 33) + rateColumns(s.rates, exact);
  return formatServiceLine(s);
}

function destinationLine(d: IpvsDestination, format: ListFormat, exact: boolean): string {
  const name = pad(formatEndpoint(d.address, d.port), 28);
  switch (format) {
    case "stats":
      return `  -> ${name}${statsColumns(d.stats, exact)}`;
    case "rate":
      return `  -> ${name}${destinationRateColumns(d.rates, exact)}`;
    case "thresholds":
      return `  -> ${name} ${pad(d.upperThreshold, 10)} ${pad(d.lowerThreshold, 10)} ${pad(d.activeConns, 10)} ${pad(d.inactConns, 10)}`;
    case "persistent-conn":
      return `  -> ${name} ${pad(d.weight, 9)} ${pad(d.persistConns, 11)} ${pad(d.activeConns, 10)} ${pad(d.inactConns, 10)}`;
    case "tun-info":
      return `  -> ${name} ${pad(FORWARD_NAMES[d.forwarding], 7)} ${pad(tunnelInfo(d), 13)} ${pad(d.weight, 6)} ${pad(d.activeConns, 10)} ${pad(d.inactConns, 10)}`;
    case "plain":
      return `  -> ${name} ${pad(FORWARD_NAMES[d.forwarding], 7)} ${pad(d.weight, 6)} ${pad(d.activeConns, 10)} ${pad(d.inactConns, 10)}`;
  }
}

/** The table exactly as `ipvsadm -Ln [--stats|--rate|--thresholds|--persistent-conn|--tun-info]` prints it. */
export function renderList(table: IpvsTable, options: ListOptions = {}): string {
  const format = options.format ?? "plain";
  const exact = options.exact ?? false;
  const lines = [`IP Virtual Server version 1.2.1 (size=${options.connectionTableSize ?? 4096})`, TITLES[format]];
  for (const service of sortedLikeIpvsadm(table).services) {
    lines.push(serviceLine(service, format, exact));
    for (const d of service.destinations) lines.push(destinationLine(d, format, exact));
  }
  return `${lines.join("\n")}\n`;
}
