import {
  FORWARD_NAMES,
  formatEndpoint,
  type IpvsDestination,
  type IpvsServiceConfig,
  type IpvsTable,
  maxPrefixLength,
  netmaskOfPrefixLength,
  PROTOCOL_NAMES,
} from "@lvsfleet/model";
import { sortedLikeIpvsadm } from "./order.ts";

export interface ListOptions {
  /** The connection hash table size shown in the first line (ipvsadm: `size=4096`). */
  connectionTableSize?: number;
}

const pad = (value: string | number, width: number) => String(value).padEnd(width);

/** `TCP  192.168.1.229:80 wrr persistent 60` — a service line as `ipvsadm -Ln` prints it. */
export function formatServiceLine(s: IpvsServiceConfig): string {
  const where =
    s.protocol === "fwmark"
      ? `${s.fwmark}${s.family === "inet6" ? " IPv6" : ""}`
      : formatEndpoint(s.address ?? "", s.port ?? 0);
  let line = `${PROTOCOL_NAMES[s.protocol]}  ${where} ${s.scheduler}`;
  if (s.schedulerFlags.length > 0) line += ` (${[...s.schedulerFlags].sort().join(",")})`;
  if (s.persistence) {
    line += ` persistent ${s.persistence.timeout}`;
    const { netmask } = s.persistence;
    if (netmask !== maxPrefixLength(s.family))
      line += ` mask ${s.family === "inet" ? netmaskOfPrefixLength(netmask) : netmask}`;
  }
  return line;
}

function formatDestinationLine(d: IpvsDestination): string {
  const endpoint = pad(formatEndpoint(d.address, d.port), 28);
  return `  -> ${endpoint} ${pad(FORWARD_NAMES[d.forwarding], 7)} ${pad(d.weight, 6)} ${pad(d.activeConns, 10)} ${pad(d.inactConns, 10)}`;
}

/** The table exactly as `ipvsadm -Ln` prints it (services and real servers sorted as ipvsadm sorts them). */
export function renderList(table: IpvsTable, options: ListOptions = {}): string {
  const lines = [
    `IP Virtual Server version 1.2.1 (size=${options.connectionTableSize ?? 4096})`,
    "Prot LocalAddress:Port Scheduler Flags",
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
  ];
  for (const service of sortedLikeIpvsadm(table).services) {
    lines.push(formatServiceLine(service));
    for (const d of service.destinations) lines.push(formatDestinationLine(d));
  }
  return `${lines.join("\n")}\n`;
}
