/** The three IPVS packet-forwarding methods. */
export const FORWARDING_METHODS = ["dr", "nat", "tun"] as const;
export type ForwardingMethod = (typeof FORWARDING_METHODS)[number];

/** How `ipvsadm -Ln` names each method. */
export const FORWARD_NAMES: Record<ForwardingMethod, string> = {
  dr: "Route",
  nat: "Masq",
  tun: "Tunnel",
};

/** The ipvsadm flag that selects each method. */
export const FORWARD_FLAGS: Record<ForwardingMethod, string> = {
  dr: "-g",
  nat: "-m",
  tun: "-i",
};
