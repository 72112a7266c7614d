/** A host change the agent refuses to make, whoever asked. */
export class RefusedHostChange extends Error {
  override name = "RefusedHostChange";
}

/**
 * The sysctls an agent may ever write, even when the caller is authenticated: forwarding, the ARP
 * settings realdr needs, reverse-path filtering, redirects and local acceptance per interface, and
 * the IPVS sysctls. Anything else is refused before a command runs.
 */
const WRITABLE_SYSCTLS: RegExp[] = [
  /^net\.ipv4\.ip_forward$/,
  /^net\.ipv6\.conf\.(all|default)\.forwarding$/,
  /^net\.ipv4\.conf\.[A-Za-z0-9_.-]{1,15}\.(arp_ignore|arp_announce|rp_filter|send_redirects|accept_local)$/,
  /^net\.ipv4\.vs\.(conn_reuse_mode|expire_nodest_conn|expire_quiescent_template|sloppy_tcp|sloppy_sctp|snat_reroute|conntrack|schedule_icmp|ignore_tunneled|run_estimation)$/,
];

export function sysctlWritable(key: string): boolean {
  return WRITABLE_SYSCTLS.some((pattern) => pattern.test(key));
}

export function assertSysctlWritable(key: string): void {
  if (!sysctlWritable(key))
    throw new RefusedHostChange(
      `refusing to write sysctl ${key}: not one lvsfleet manages (forwarding, ARP, rp_filter, redirects, IPVS)`,
    );
}

/** Interfaces must exist before an address or route is put on them. */
export function assertInterfaceExists(name: string | undefined, links: { name: string }[]): void {
  if (name === undefined) return;
  if (!links.some((l) => l.name === name))
    throw new RefusedHostChange(
      `refusing to use interface ${name}: it does not exist on this host (${links.map((l) => l.name).join(", ")})`,
    );
}
