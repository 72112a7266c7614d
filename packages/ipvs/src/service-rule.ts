import {
  FORWARD_FLAGS,
  formatEndpoint,
  type IpvsDestinationConfig,
  type IpvsServiceConfig,
  maxPrefixLength,
  netmaskOfPrefixLength,
  type SchedulerFlag,
} from "@lvsfleet/model";

/**
 * The pieces of an ipvsadm command line that name a service and a destination, and their
 * settings, exactly as ipvsadm 1.31 `print_service_entry` writes them with FMT_RULE.
 */

const PROTOCOL_SWITCH = { tcp: "-t", udp: "-u", sctp: "--sctp-service" } as const;

/** `-t 192.168.1.229:80`, `--sctp-service [2001:db8::1]:9`, `-f 7` or `-f 8 -6`. */
export function serviceSelector(s: IpvsServiceConfig): string {
  if (s.protocol === "fwmark") return `-f ${s.fwmark}${s.family === "inet6" ? " -6" : ""}`;
  return `${PROTOCOL_SWITCH[s.protocol]} ${formatEndpoint(s.address ?? "", s.port ?? 0)}`;
}

/** ipvsadm prints scheduler flags in bit order (fallback = flag-1, port = flag-2), which is alphabetical. */
export function orderedSchedulerFlags(flags: readonly SchedulerFlag[]): SchedulerFlag[] {
  return [...new Set(flags)].sort();
}

/** `-s wrr -p 60 -M 255.255.255.0 -o -b sh-port`: the settings of `-A`/`-E`, in ipvsadm's order. */
export function serviceSettings(s: IpvsServiceConfig): string {
  let text = `-s ${s.scheduler}`;
  if (s.persistence) {
    text += ` -p ${s.persistence.timeout}`;
    const { netmask } = s.persistence;
    if (netmask !== maxPrefixLength(s.family))
      text += ` -M ${s.family === "inet" ? netmaskOfPrefixLength(netmask) : netmask}`;
  }
  if (s.onePacket) text += " -o";
  if (s.schedulerFlags.length > 0) text += ` -b ${orderedSchedulerFlags(s.schedulerFlags).join(",")}`;
  return text;
}

/** `-r 192.168.1.220:80` */
export function destinationSelector(d: Pick<IpvsDestinationConfig, "address" | "port">): string {
  return `-r ${formatEndpoint(d.address, d.port)}`;
}

/** `-g -w 3`, `-i -w 1 --tun-type gue --tun-port 6080 --tun-csum`: what ipvsadm -S writes after `-r`. */
export function destinationSettings(d: IpvsDestinationConfig): string {
  const base = `${FORWARD_FLAGS[d.forwarding]} -w ${d.weight}`;
  if (d.forwarding !== "tun") return base;
  const tunnel = d.tunnel ?? { type: "ipip" };
  const checksum = `--tun-${tunnel.checksum ?? "nocsum"}`;
  switch (tunnel.type) {
    case "ipip":
      return `${base} --tun-type ipip`;
    case "gue":
      return `${base} --tun-type gue --tun-port ${tunnel.port ?? 0} ${checksum}`;
    case "gre":
      return `${base} --tun-type gre ${checksum}`;
  }
}

/** ` -x 100 -y 10` when the destination has thresholds (ipvsadm -S never writes them). */
export function thresholdSettings(d: Pick<IpvsDestinationConfig, "upperThreshold" | "lowerThreshold">): string {
  return (d.upperThreshold ? ` -x ${d.upperThreshold}` : "") + (d.lowerThreshold ? ` -y ${d.lowerThreshold}` : "");
}
