import { join } from "node:path";
import { fromClusterSpec, renderKeepalived } from "@lvsfleet/keepalived";
import { addressFamily, type ClusterSpec, type Director, type FieldError } from "@lvsfleet/model";

/** Where the agent keeps its keepalived's files: its own config, pid files and notify FIFO. */
export interface KeepalivedFiles {
  dir: string;
  conf: string;
  pid: string;
  vrrpPid: string;
  checkersPid: string;
  fifo: string;
  log: string;
}

export function keepalivedFiles(stateDir: string): KeepalivedFiles {
  const dir = join(stateDir, "keepalived");
  return {
    dir,
    conf: join(dir, "keepalived.conf"),
    pid: join(dir, "keepalived.pid"),
    vrrpPid: join(dir, "vrrp.pid"),
    checkersPid: join(dir, "checkers.pid"),
    fifo: join(dir, "notify.fifo"),
    log: join(dir, "keepalived.log"),
  };
}

/**
 * The director's VRRP-only keepalived.conf, from the cluster spec: its vrrp_instances (state from
 * the director's role, its priority and interface, advert_int and version, authentication, the
 * VIPs, unicast peers, nopreempt/preempt_delay, gratuitous ARP) and no virtual_server
 * (lvsfleet's data plane holds the table on every director). keepalived reports every state change
 * on `notify_fifo`, which the agent reads; the spec's notify scripts are not written here: the
 * agent runs them itself from its allowlist on those transitions (one execution path, no script
 * for keepalived to run as root). IPv4 VIPs get the lvsdr.sh label (eth0:1, eth0:2… by their place
 * in the spec's vips).
 */
export function renderVrrpConfig(
  spec: ClusterSpec,
  director: Director,
  fifo: string,
): { text: string; warnings: FieldError[] } {
  const warnings: FieldError[] = [];
  const vrrp = spec.vrrp && {
    ...spec.vrrp,
    instances: spec.vrrp.instances.map(({ notify: _run_by_the_agent, ...instance }) => instance),
    ...(spec.vrrp.syncGroup ? { syncGroup: { name: spec.vrrp.syncGroup.name } } : {}),
  };
  const config = fromClusterSpec({ ...spec, services: [], ...(vrrp ? { vrrp } : {}) }, director, warnings);
  config.globalDefs = {
    ...(config.globalDefs ?? { extra: [] }),
    extra: [...(config.globalDefs?.extra ?? []), { keyword: "notify_fifo", args: [fifo] }],
  };
  for (const instance of config.vrrpInstances) {
    const iface = instance.interface ?? director.interface;
    for (const vip of instance.virtualIpAddresses) {
      if (addressFamily(vip.address) !== "inet" || vip.options.length > 0) continue;
      vip.prefix = 32;
      vip.options = ["dev", iface, "label", `${iface}:${spec.vips.indexOf(vip.address) + 1}`];
    }
  }
  const header = `written by the lvsfleet director agent for ${director.host} (cluster ${spec.name}): VRRP only; changes are overwritten`;
  return { text: renderKeepalived(config, header), warnings };
}

/** Every VIP the spec's VRRP instances carry. */
export function vrrpVips(spec: ClusterSpec | undefined): string[] {
  return spec?.vrrp?.instances.flatMap((i) => i.vips) ?? [];
}
