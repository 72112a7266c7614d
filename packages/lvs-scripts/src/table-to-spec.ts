import type { Diagnostics, SourceLocation } from "@lvsfleet/keepalived";
import {
  type ForwardingMethod,
  type IpvsDestination,
  type IpvsService,
  type IpvsTable,
  maxPrefixLength,
  type RealServerInput,
  type VirtualServiceInput,
} from "@lvsfleet/model";

/**
 * The virtual services of an IPVS table as spec services (still unnamed). What the table holds and the
 * spec cannot (one-packet scheduling, GUE/GRE tunnels) is refused with the location of the service.
 * The service's forwarding method is the one most of its real servers use (the first on a tie); the
 * others keep theirs as an override.
 */
export function servicesFromTable(
  table: IpvsTable,
  locate: (service: IpvsService, destination?: IpvsDestination) => SourceLocation,
  diagnostics: Diagnostics,
): VirtualServiceInput[] {
  return table.services.map((service) => serviceFromTable(service, locate, diagnostics));
}

function serviceFromTable(
  service: IpvsService,
  locate: (service: IpvsService, destination?: IpvsDestination) => SourceLocation,
  diagnostics: Diagnostics,
): VirtualServiceInput {
  const at = locate(service);
  if (service.onePacket)
    diagnostics.error("unsupported", at, "one-packet scheduling (-o) is not supported by lvsfleet", "remove -o");
  for (const d of service.destinations)
    if (d.forwarding === "tun" && d.tunnel && d.tunnel.type !== "ipip")
      diagnostics.error(
        "unsupported",
        locate(service, d),
        `${d.address}: --tun-type ${d.tunnel.type} is not supported by lvsfleet (IPIP only)`,
        "use the default IPIP tunnel",
      );
  const forwarding = mostCommon(service.destinations.map((d) => d.forwarding)) ?? "dr";
  const out: VirtualServiceInput = {
    name: "pending",
    protocol: service.protocol,
    scheduler: service.scheduler,
    schedulerFlags: [...service.schedulerFlags],
    forwarding,
    inhibitOnFailure: false,
    realServers: service.destinations.map((d) => {
      const rs: RealServerInput = { address: d.address, port: d.port, weight: d.weight };
      if (d.forwarding !== forwarding) rs.forwarding = d.forwarding;
      if (d.upperThreshold) rs.upperThreshold = d.upperThreshold;
      if (d.lowerThreshold) rs.lowerThreshold = d.lowerThreshold;
      return rs;
    }),
  };
  if (service.protocol === "fwmark") {
    out.fwmark = service.fwmark;
    if (service.family === "inet6") out.family = "inet6";
  } else {
    out.address = service.address;
    out.port = service.port;
  }
  if (service.persistence)
    out.persistence = {
      timeout: service.persistence.timeout,
      ...(service.persistence.netmask !== maxPrefixLength(service.family)
        ? { netmask: service.persistence.netmask }
        : {}),
    };
  return out;
}

function mostCommon(methods: ForwardingMethod[]): ForwardingMethod | undefined {
  const counts = new Map<ForwardingMethod, number>();
  for (const m of methods) counts.set(m, (counts.get(m) ?? 0) + 1);
  let best: ForwardingMethod | undefined;
  for (const m of methods) if (best === undefined || (counts.get(m) ?? 0) > (counts.get(best) ?? 0)) best = m;
  return best;
}
