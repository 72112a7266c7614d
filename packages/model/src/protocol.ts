/** Virtual service protocols: -t, -u, --sctp-service, and -f (firewall mark). */
export const PROTOCOLS = ["tcp", "udp", "sctp", "fwmark"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** How `ipvsadm -Ln` names each protocol. */
export const PROTOCOL_NAMES: Record<Protocol, string> = {
  tcp: "TCP",
  udp: "UDP",
  sctp: "SCTP",
  fwmark: "FWM",
};
