import { destinationKey, type IpvsTable, parseEndpoint, serviceKey } from "@lvsfleet/model";

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
