import {
  addressFamily,
  type ForwardingMethod,
  type IpvsDestination,
  type IpvsService,
  type IpvsTable,
  type IpvsTunnel,
  maxPrefixLength,
  NO_CONNECTIONS,
  type Protocol,
  parseEndpoint,
  prefixLengthOfNetmask,
  SCHEDULER_FLAGS,
  SCHEDULERS,
  type Scheduler,
  type SchedulerFlag,
} from "@lvsfleet/model";
import { SaveFormatError } from "./format-error.ts";

const PROTOCOLS: Record<string, Protocol> = { TCP: "tcp", UDP: "udp", SCTP: "sctp" };
/** "Local" is what the kernel reports for a real server on the director itself; ipvsadm -S writes -g for it. */
const FORWARDING: Record<string, ForwardingMethod> = { Route: "dr", Local: "dr", Masq: "nat", Tunnel: "tun" };
const CHECKSUM: Record<string, IpvsTunnel["checksum"]> = { "-c": "nocsum", "+c": "csum", "r+c": "remcsum" };

const SERVICE =
  /^(?:(TCP|UDP|SCTP) +(\S+)|FWM {2}(\d+)( IPv6)?) (\S+)(?: \(([^)]*)\))?(?: persistent (\d+)(?: mask (\S+))?)?( ops)?$/;
const DESTINATION = /^ {2}-> (\S+) +(Route|Masq|Tunnel|Local) +(?:(\S+) +)?(\d+) +(\d+) +(\d+) *$/;

/**
 * Parses `ipvsadm -Ln` output (also `-Ln --tun-info`) back into a table, connection counts
 * included. Thresholds are not in this listing and come back as 0; read them from
 * `ipvsadm -Ln --thresholds` if they matter. Throws SaveFormatError naming line and column.
 */
export function parseList(text: string): IpvsTable {
  const services: IpvsService[] = [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  let tunnelInfo = false;
  for (const [index, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, "");
    const number = index + 1;
    const fail = (column: number, reason: string): never => {
      throw new SaveFormatError(number, column, reason);
    };
    if (/^IP Virtual Server version /.test(line) || line === "Prot LocalAddress:Port Scheduler Flags") continue;
    if (line.startsWith("  -> RemoteAddress:Port")) {
      tunnelInfo = line.includes("TunnelInfo");
      continue;
    }
    if (line.startsWith("  -> ")) {
      const service = services.at(-1);
      if (!service) fail(1, "expected a service line before the first real server line");
      service?.destinations.push(parseDestination(line, tunnelInfo, fail));
      continue;
    }
    services.push(parseService(line, fail));
  }
  return { services };
}

type Fail = (column: number, reason: string) => never;

function parseService(line: string, fail: Fail): IpvsService {
  const m = SERVICE.exec(line);
  if (!m)
    return fail(
      1,
      `expected a service line such as "TCP  192.0.2.1:80 wrr persistent 60" or "FWM  7 sh", found ${JSON.stringify(line)}`,
    );
  const [, protocolName, endpointText, fwmark, ipv6, schedulerName = "", flagsText, timeout, mask, ops] = m;
  const schedulerColumn = line.indexOf(` ${schedulerName}`, 5) + 2;
  if (!(SCHEDULERS as readonly string[]).includes(schedulerName))
    fail(schedulerColumn, `expected a scheduler (${SCHEDULERS.join(", ")}), found ${JSON.stringify(schedulerName)}`);
  const schedulerFlags = (flagsText ? flagsText.split(",") : []).map((flag) => {
    if (!(SCHEDULER_FLAGS as readonly string[]).includes(flag))
      fail(
        line.indexOf(flag) + 1,
        `expected a scheduler flag (${SCHEDULER_FLAGS.join(", ")}), found ${JSON.stringify(flag)}`,
      );
    return flag as SchedulerFlag;
  });
  const settings = { scheduler: schedulerName as Scheduler, schedulerFlags };
  let service: IpvsService;
  if (fwmark !== undefined) {
    service = {
      protocol: "fwmark",
      fwmark: Number(fwmark),
      family: ipv6 ? "inet6" : "inet",
      ...settings,
      destinations: [],
    };
  } else {
    const endpoint = parseEndpoint(endpointText ?? "");
    if (!endpoint || endpoint.port === undefined)
      return fail(6, `expected a numeric address and port, found ${JSON.stringify(endpointText)}`);
    service = {
      protocol: PROTOCOLS[protocolName ?? ""] as Protocol,
      address: endpoint.address,
      port: endpoint.port,
      family: addressFamily(endpoint.address),
      ...settings,
      destinations: [],
    };
  }
  if (timeout !== undefined) {
    let netmask = maxPrefixLength(service.family);
    if (mask !== undefined) {
      const prefix =
        service.family === "inet" ? prefixLengthOfNetmask(mask) : /^\d+$/.test(mask) ? Number(mask) : undefined;
      if (prefix === undefined || prefix > maxPrefixLength(service.family))
        fail(line.lastIndexOf(mask) + 1, `expected a netmask, found ${JSON.stringify(mask)}`);
      netmask = prefix as number;
    }
    service.persistence = { timeout: Number(timeout), netmask };
  }
  if (ops) service.onePacket = true;
  return service;
}

function parseDestination(line: string, tunnelInfo: boolean, fail: Fail): IpvsDestination {
  const m = DESTINATION.exec(line);
  if (!m || (m[3] !== undefined) !== tunnelInfo)
    return fail(
      1,
      `expected a real server line "  -> address:port Forward${tunnelInfo ? " TunnelInfo" : ""} Weight ActiveConn InActConn", found ${JSON.stringify(line)}`,
    );
  const [, endpointText = "", forwardName = "", info, weight, active, inactive] = m;
  const endpoint = parseEndpoint(endpointText);
  if (!endpoint || endpoint.port === undefined)
    return fail(6, `expected a numeric real server address and port, found ${JSON.stringify(endpointText)}`);
  const destination: IpvsDestination = {
    address: endpoint.address,
    port: endpoint.port,
    forwarding: FORWARDING[forwardName] as ForwardingMethod,
    weight: Number(weight),
    upperThreshold: 0,
    lowerThreshold: 0,
    ...NO_CONNECTIONS,
    activeConns: Number(active),
    inactConns: Number(inactive),
  };
  const tunnel = info === undefined ? undefined : parseTunnelInfo(info);
  if (info !== undefined && tunnel === null)
    fail(
      line.indexOf(info, 34) + 1,
      `expected tunnel info (n/a, ipip, gue:PORT:FLAGS, gre:FLAGS), found ${JSON.stringify(info)}`,
    );
  if (tunnel) destination.tunnel = tunnel;
  return destination;
}

/** `ipip` → undefined (the default), `gue:6080:+c`, `gre:-c`; null when not understood. */
function parseTunnelInfo(info: string): IpvsTunnel | undefined | null {
  if (info === "n/a" || info === "ipip") return undefined;
  const gue = /^gue:(\d+):(-c|\+c|r\+c)$/.exec(info);
  if (gue) return { type: "gue", port: Number(gue[1]), checksum: CHECKSUM[gue[2] ?? ""] };
  const gre = /^gre:(-c|\+c|r\+c)$/.exec(info);
  if (gre) return { type: "gre", checksum: CHECKSUM[gre[1] ?? ""] };
  return null;
}
