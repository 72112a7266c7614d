import { destinationKey, type IpvsTable, isIpAddress, parseEndpoint, serviceKey } from "@lvsfleet/model";

/** Numbers `ipvsadm -Ln --thresholds` or `--persistent-conn` show per destination, by service and destination key. */
export type ListingNumbers = Map<string, Map<string, number[]>>;

const SERVICE = /^(?:(TCP|UDP|SCTP) +(\S+)|FWM {2}(\d+)( IPv6)?) /;
const DESTINATION = /^ {2}-> (\S+) +(?:(?:Route|Masq|Tunnel|Local) +)?((?:\d+ +)*\d+) *$/;

/**
 * Reads the numeric columns of an `ipvsadm -Ln --thresholds` (Uthreshold Lthreshold ActiveConn
 * InActConn) or `-Ln --persistent-conn` (Weight PersistConn ActiveConn InActConn) listing.
 */
export function parseListingNumbers(text: string): ListingNumbers {
  const result: ListingNumbers = new Map();
  let current: Map<string, number[]> | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("IP Virtual Server") || line.startsWith("Prot ") || line.startsWith("  -> RemoteAddress"))
      continue;
    const service = SERVICE.exec(line);
    if (service) {
      const [, protocol, endpoint, fwmark, v6] = service;
      const ep = endpoint ? parseEndpoint(endpoint) : undefined;
      const key = fwmark
        ? serviceKey({ protocol: "fwmark", fwmark: Number(fwmark), family: v6 ? "inet6" : "inet" })
        : serviceKey({
            protocol: (protocol ?? "").toLowerCase() as "tcp",
            address: ep?.address,
            port: ep?.port,
            family: ep?.address.includes(":") ? "inet6" : "inet",
          });
      current = new Map();
      result.set(key, current);
      continue;
    }
    const destination = DESTINATION.exec(line);
    if (destination && current) {
      const ep = parseEndpoint(destination[1] ?? "");
      if (ep)
        current.set(
          destinationKey({ address: ep.address, port: ep.port ?? 0 }),
          (destination[2] ?? "").trim().split(/ +/).map(Number),
        );
    }
  }
  return result;
}

/** The -Sn table with thresholds and connection counts from the two listings. */
export function withListingNumbers(
  table: IpvsTable,
  thresholds: ListingNumbers,
  persistent: ListingNumbers,
): IpvsTable {
  return {
    services: table.services.map((s) => {
      const key = serviceKey(s);
      return {
        ...s,
        destinations: s.destinations.map((d) => {
          const [upper, lower, active, inact] = thresholds.get(key)?.get(destinationKey(d)) ?? [];
          const [, persist] = persistent.get(key)?.get(destinationKey(d)) ?? [];
          return {
            ...d,
            upperThreshold: upper ?? d.upperThreshold,
            lowerThreshold: lower ?? d.lowerThreshold,
            activeConns: active ?? d.activeConns,
            inactConns: inact ?? d.inactConns,
            persistConns: persist ?? d.persistConns,
          };
        }),
      };
    }),
  };
}

/**
 * How ipvsadm names the service of a `serviceKey` on its command line: `-t 192.0.2.1:80`,
 * `-u [2001:db8::1]:53`, `--sctp-service 10.0.0.1:9000`, `-f 7` (`-f 7 -6` for IPv6); undefined for
 * a key no service of lvsfleet's has.
 */
export function serviceListingArgs(key: string): string[] | undefined {
  const [kind, first, second] = key.split("|");
  if (kind === "fwmark") {
    if (!/^\d+$/.test(first ?? "")) return undefined;
    return second === "inet6" ? ["-f", first as string, "-6"] : ["-f", first as string];
  }
  const option = { tcp: "-t", udp: "-u", sctp: "--sctp-service" }[kind ?? ""];
  // the address goes into a line of an `ipvsadm -R` batch: only a plain IP address may
  if (!option || !first || !isIpAddress(first) || !/^\d+$/.test(second ?? "")) return undefined;
  return [option, first.includes(":") ? `[${first}]:${second}` : `${first}:${second}`];
}

/** The listings a service's read-back takes, in this order: structure with tunnel info, thresholds, persistent connections. */
export const LISTINGS = ["--tun-info", "--thresholds", "--persistent-conn"] as const;

/** The outputs of listings run one after another (`ipvsadm -R`), each from its `Prot LocalAddress:Port` heading. */
export function splitListings(text: string): string[] {
  const outputs: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("Prot ")) outputs.push("");
    if (outputs.length === 0 || line === "") continue;
    outputs[outputs.length - 1] += `${line}\n`;
  }
  return outputs;
}
