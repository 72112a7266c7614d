import { formatEndpoint, type IpvsService, type IpvsStats, type IpvsTable } from "@lvsfleet/model";

/**
 * An IPVS table as Prometheus samples: one set of names for the server (which adds cluster,
 * director and service labels) and the agents (which expose their own table). Pure.
 */

/** Labels that say which virtual service and real server a sample is about. */
export const SERVICE_LABELS = ["protocol", "vip"] as const;
export const REAL_SERVER_LABELS = ["protocol", "vip", "real_server"] as const;

export type TableGauge = "weight" | "activeConnections" | "inactiveConnections" | "persistentConnections";
export type TableCounter =
  | "realServerConnections"
  | "realServerPackets"
  | "realServerBytes"
  | "serviceConnections"
  | "servicePackets"
  | "serviceBytes";

export interface MetricDefinition {
  name: string;
  help: string;
  labels: readonly string[];
}

export const TABLE_GAUGES: Record<TableGauge, MetricDefinition> = {
  weight: {
    name: "lvsfleet_real_server_weight",
    help: "Weight of the real server in the director's IPVS table: the effective weight (0 while drained or inhibited after a failed check)",
    labels: REAL_SERVER_LABELS,
  },
  activeConnections: {
    name: "lvsfleet_real_server_active_connections",
    help: "Connections in ESTABLISHED state (ipvsadm ActiveConn)",
    labels: REAL_SERVER_LABELS,
  },
  inactiveConnections: {
    name: "lvsfleet_real_server_inactive_connections",
    help: "Connections in any other state (ipvsadm InActConn)",
    labels: REAL_SERVER_LABELS,
  },
  persistentConnections: {
    name: "lvsfleet_real_server_persistent_connections",
    help: "Persistence templates pointing at the real server (ipvsadm --persistent-conn PersistConn)",
    labels: REAL_SERVER_LABELS,
  },
};

/** Cumulative counters, present when the data plane reports them (ipvsadm -Ln --stats). */
export const TABLE_COUNTERS: Record<TableCounter, MetricDefinition> = {
  realServerConnections: {
    name: "lvsfleet_real_server_connections_total",
    help: "Connections scheduled to the real server since it was added (ipvsadm --stats Conns)",
    labels: REAL_SERVER_LABELS,
  },
  realServerPackets: {
    name: "lvsfleet_real_server_packets_total",
    help: "Packets to (direction=in) and from (direction=out) the real server through the director",
    labels: [...REAL_SERVER_LABELS, "direction"],
  },
  realServerBytes: {
    name: "lvsfleet_real_server_bytes_total",
    help: "Bytes to (direction=in) and from (direction=out) the real server through the director",
    labels: [...REAL_SERVER_LABELS, "direction"],
  },
  serviceConnections: {
    name: "lvsfleet_virtual_service_connections_total",
    help: "Connections the virtual service scheduled since it was added (ipvsadm --stats Conns)",
    labels: SERVICE_LABELS,
  },
  servicePackets: {
    name: "lvsfleet_virtual_service_packets_total",
    help: "Packets in (client to director) and out (through the director back to the client) of the virtual service",
    labels: [...SERVICE_LABELS, "direction"],
  },
  serviceBytes: {
    name: "lvsfleet_virtual_service_bytes_total",
    help: "Bytes in and out of the virtual service",
    labels: [...SERVICE_LABELS, "direction"],
  },
};

export type Labels = Record<string, string>;

export interface TableSample<K extends string> {
  metric: K;
  labels: Labels;
  value: number;
}

export interface TableSamples {
  gauges: TableSample<TableGauge>[];
  counters: TableSample<TableCounter>[];
}

/** `192.168.1.229:80`, `[2001:db8::1]:80`, or `fwmark:1` for a firewall-mark service. */
export function vipLabel(service: Pick<IpvsService, "protocol" | "address" | "port" | "fwmark">): string {
  if (service.protocol === "fwmark" || service.address === undefined) return `fwmark:${service.fwmark ?? 0}`;
  return formatEndpoint(service.address, service.port ?? 0);
}

export function serviceLabels(service: IpvsService): Labels {
  return { protocol: service.protocol, vip: vipLabel(service) };
}

function statSamples<K extends TableCounter>(
  stats: IpvsStats,
  labels: Labels,
  names: { conns: K; packets: K; bytes: K },
): TableSample<K>[] {
  return [
    { metric: names.conns, labels, value: stats.conns },
    { metric: names.packets, labels: { ...labels, direction: "in" }, value: stats.inPkts },
    { metric: names.packets, labels: { ...labels, direction: "out" }, value: stats.outPkts },
    { metric: names.bytes, labels: { ...labels, direction: "in" }, value: stats.inBytes },
    { metric: names.bytes, labels: { ...labels, direction: "out" }, value: stats.outBytes },
  ];
}

/**
 * Every sample a table yields; `extra(service)` adds labels per service (the server adds cluster,
 * director and the service's name from the spec).
 */
export function tableSamples(table: IpvsTable, extra: (service: IpvsService) => Labels = () => ({})): TableSamples {
  const gauges: TableSample<TableGauge>[] = [];
  const counters: TableSample<TableCounter>[] = [];
  for (const service of table.services) {
    const base = { ...extra(service), ...serviceLabels(service) };
    if (service.stats)
      counters.push(
        ...statSamples(service.stats, base, {
          conns: "serviceConnections",
          packets: "servicePackets",
          bytes: "serviceBytes",
        }),
      );
    for (const d of service.destinations) {
      const labels = { ...base, real_server: formatEndpoint(d.address, d.port) };
      gauges.push(
        { metric: "weight", labels, value: d.weight },
        { metric: "activeConnections", labels, value: d.activeConns },
        { metric: "inactiveConnections", labels, value: d.inactConns },
        { metric: "persistentConnections", labels, value: d.persistConns },
      );
      if (d.stats)
        counters.push(
          ...statSamples(d.stats, labels, {
            conns: "realServerConnections",
            packets: "realServerPackets",
            bytes: "realServerBytes",
          }),
        );
    }
  }
  return { gauges, counters };
}
