import { kernelAtLeast } from "@lvsfleet/hostops";

/** Why each IPVS sysctl matters, for doctor messages and docs. */
export const IPVS_SYSCTL_REASONS: Record<string, string> = {
  "net.ipv4.vs.conn_reuse_mode":
    "before kernel 5.9, 1 delays a new connection on a reused client port by 1 s when conntrack is on (0 avoids it); from 5.9 on, 1 is safe and lets such connections leave a weight-0 server",
  "net.ipv4.vs.expire_nodest_conn":
    "1 drops the connections of a removed real server at once instead of letting their packets fall into a black hole until timeout",
  "net.ipv4.vs.expire_quiescent_template":
    "1 lets persistent clients leave a server whose weight is 0 (drain), instead of sticking to it until the template expires",
};

/**
 * The IPVS sysctls kube-proxy and long LVS practice agree on, for a kernel release:
 * conn_reuse_mode exists from 4.1, and is only safe at 1 from 5.9 (commit 35dfb013149f).
 */
export function safeIpvsSysctls(release: string | undefined): Record<string, string> {
  const known = release !== undefined && /^\d+\.\d+/.test(release);
  return {
    ...(known && kernelAtLeast(release, 4, 1)
      ? { "net.ipv4.vs.conn_reuse_mode": kernelAtLeast(release, 5, 9) ? "1" : "0" }
      : {}),
    "net.ipv4.vs.expire_nodest_conn": "1",
    "net.ipv4.vs.expire_quiescent_template": "1",
  };
}

/** `conn_reuse_mode=0` → the full key and value; refuses anything but the three IPVS keys and small integers. */
export function parseIpvsSysctl(text: string): [string, string] {
  const match = /^(?:net\.ipv4\.vs\.)?(conn_reuse_mode|expire_nodest_conn|expire_quiescent_template)=(\d{1,2})$/.exec(
    text,
  );
  if (!match)
    throw new Error(
      `--ipvs-sysctl ${JSON.stringify(text)}: must be conn_reuse_mode=N, expire_nodest_conn=N or expire_quiescent_template=N`,
    );
  return [`net.ipv4.vs.${match[1]}`, match[2] as string];
}
