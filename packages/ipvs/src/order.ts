import type { IpvsDestinationConfig, IpvsServiceConfig, IpvsTable } from "@lvsfleet/model";

/** ipvsadm's address comparison: 32-bit words compared by C int subtraction, wrap-around included. */
function compareWords(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const r = ((a[i] ?? 0) - (b[i] ?? 0)) | 0;
    if (r !== 0) return r;
  }
  return 0;
}

function words(address: string | undefined): number[] {
  if (address === undefined) return [0];
  if (!address.includes(":")) return [address.split(".").reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0)];
  const [head = "", tail = ""] = address.split("::");
  const h = head ? head.split(":") : [];
  const t = address.includes("::") && tail ? tail.split(":") : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t].map((g) => Number.parseInt(g, 16));
  return [0, 2, 4, 6].map((i) => (((groups[i] ?? 0) << 16) | (groups[i + 1] ?? 0)) >>> 0);
}

const PROTOCOL_NUMBER = { tcp: 6, udp: 17, sctp: 132, fwmark: 0 } as const;
const AF_NUMBER = { inet: 2, inet6: 10 } as const;

/** libipvs ipvs_cmp_services: fwmark, then family, protocol, address, port. */
export function compareServices(a: IpvsServiceConfig, b: IpvsServiceConfig): number {
  return (
    ((a.fwmark ?? 0) - (b.fwmark ?? 0)) | 0 ||
    AF_NUMBER[a.family] - AF_NUMBER[b.family] ||
    PROTOCOL_NUMBER[a.protocol] - PROTOCOL_NUMBER[b.protocol] ||
    compareWords(words(a.address), words(b.address)) ||
    (a.port ?? 0) - (b.port ?? 0)
  );
}

/** libipvs ipvs_cmp_dests: family, address, port. */
export function compareDestinations(a: IpvsDestinationConfig, b: IpvsDestinationConfig): number {
  const af = (d: IpvsDestinationConfig) => (d.address.includes(":") ? 10 : 2);
  return af(a) - af(b) || compareWords(words(a.address), words(b.address)) || a.port - b.port;
}

/** The table in the order `ipvsadm -L` and `-S` print it. */
export function sortedLikeIpvsadm(table: IpvsTable): IpvsTable {
  return {
    services: [...table.services]
      .sort(compareServices)
      .map((s) => ({ ...s, destinations: [...s.destinations].sort(compareDestinations) })),
  };
}
