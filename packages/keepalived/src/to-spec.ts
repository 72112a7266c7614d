import {
  addressFamily,
  type ClusterSpec,
  type ClusterSpecInput,
  ClusterSpec as ClusterSpecSchema,
  type ForwardingMethod,
  fieldPath,
  type HealthCheckInput,
  nameServices,
  type RealServerInput,
  type SchedulerFlag,
  serviceIdentity,
  type VirtualServiceInput,
  type VrrpInstanceInput,
  type VrrpNotifyInput,
} from "@lvsfleet/model";
import type {
  CheckerDefaults,
  CheckerNode,
  ForwardingNode,
  KeepalivedConfig,
  NotifyNodes,
  RealServerNode,
  VirtualServerNode,
  VirtualServerTarget,
  VrrpInstanceNode,
} from "./ast.ts";
import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import { ImportedScripts } from "./imported-scripts.ts";

type DirectorInput = NonNullable<ClusterSpecInput["directors"]>[number];

/** Which director a keepalived.conf belongs to: keepalived.conf itself does not say. */
export interface DirectorIdentity {
  host: string;
  address: string;
}

export interface ParsedSource {
  file: string;
  config: KeepalivedConfig;
  director?: DirectorIdentity | undefined;
}

/** Where in the files each part of the spec came from, for messages about the spec. */
type Origins = Map<string, SourceLocation>;

interface FileParts {
  source: ParsedSource;
  services: { service: VirtualServiceInput; name?: string | undefined; at: SourceLocation }[];
  vips: { address: string; at: SourceLocation }[];
  vrrp?: {
    director: DirectorInput;
    instances: { instance: VrrpInstanceInput; at: SourceLocation }[];
    syncGroup?: { name: string; notify?: VrrpNotifyInput | undefined } | undefined;
    at: SourceLocation;
  };
}

/**
 * Maps parsed keepalived configurations (one per director, or one for all) to a ClusterSpec.
 * Keepalived's own defaults and corrections are applied (protocol UDP, scheduler wlc, forwarding NAT,
 * real-server ports for DR/TUN), each reported; what lvsfleet cannot express is refused.
 */
export function toClusterSpec(
  sources: ParsedSource[],
  options: { name?: string | undefined },
  diagnostics: Diagnostics,
  /** Names the scripts the files run and collects the allowlist entries to suggest. */
  scripts: ImportedScripts = new ImportedScripts(diagnostics),
): ClusterSpec | undefined {
  const origins: Origins = new Map();
  const parts = sources.map((source) => fileParts(source, diagnostics, scripts));
  const first = parts[0];
  if (!first) return undefined;
  const top = { file: first.source.file, line: 1, column: 1 };

  const vips: string[] = [];
  const addVip = (address: string, at: SourceLocation) => {
    if (!vips.includes(address)) {
      origins.set(`vips[${vips.length}]`, at);
      vips.push(address);
    }
  };
  for (const part of parts) for (const vip of part.vips) addVip(vip.address, vip.at);

  const services = mergeServices(parts, diagnostics);
  const hasVrrp = parts.some((p) => p.vrrp);
  for (const { service, at } of services)
    if (service.address !== undefined && !vips.includes(service.address)) {
      if (hasVrrp)
        diagnostics.warn(
          "note",
          at,
          `${service.address} is in no vrrp_instance's virtual_ipaddress; added to the cluster's vips`,
          "lvsfleet will bring this VIP up on the master like the others",
        );
      addVip(service.address, at);
    }
  const named = nameServices(services.map((s) => ({ service: s.service, preferred: s.name })));
  services.forEach(({ at }, i) => {
    origins.set(`services[${i}]`, at);
  });

  const vrrpParts = parts.filter((p) => p.vrrp);
  const directors = vrrpParts.map((p) => p.vrrp?.director as DirectorInput);
  vrrpParts.forEach((p, i) => {
    origins.set(`directors[${i}]`, p.vrrp?.at as SourceLocation);
  });
  const vrrp = mergeVrrp(vrrpParts, diagnostics, origins);

  const name = options.name ?? clusterName(first.source.config, diagnostics, top);
  const input: ClusterSpecInput = {
    name,
    vips,
    directors,
    services: named,
    ...(vrrp ? { vrrp } : {}),
  };
  if (vips.length === 0) {
    diagnostics.error(
      "value",
      top,
      "no VIPs: no vrrp_instance has a virtual_ipaddress and no virtual_server has an address",
      "lvsfleet needs the cluster's VIPs; for fwmark services, list the VIPs the marks select in a vrrp_instance",
    );
    return undefined;
  }
  if (diagnostics.errors.length > 0) return undefined;
  const result = ClusterSpecSchema.safeParse(input);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const field = fieldPath(issue.path);
    diagnostics.error("value", originOf(field, origins) ?? top, `${field || "spec"}: ${issue.message}`);
  }
  return undefined;
}

function originOf(field: string, origins: Origins): SourceLocation | undefined {
  let best: string | undefined;
  for (const key of origins.keys())
    if (
      (field === key || field.startsWith(`${key}.`) || field.startsWith(`${key}[`)) &&
      key.length > (best?.length ?? -1)
    )
      best = key;
  return best === undefined ? undefined : origins.get(best);
}

function clusterName(config: KeepalivedConfig, diagnostics: Diagnostics, at: SourceLocation): string {
  const routerId = config.globalDefs?.routerId;
  const derived = routerId
    ?.toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
  const name = derived || "keepalived";
  diagnostics.warn(
    "note",
    config.globalDefs?.at ?? at,
    `no cluster name given; using '${name}'`,
    "pass a name to choose one",
  );
  return name;
}

// ---------------------------------------------------------------- per file

function fileParts(source: ParsedSource, diagnostics: Diagnostics, scripts: ImportedScripts): FileParts {
  const { config } = source;
  const parts: FileParts = { source, services: [], vips: [] };
  for (const instance of config.vrrpInstances)
    for (const vip of instance.virtualIpAddresses) {
      const at = vip.at ?? (instance.at as SourceLocation);
      if (vip.prefix !== undefined || vip.options.length > 0)
        diagnostics.warn(
          "note",
          at,
          `'${[vip.prefix === undefined ? vip.address : `${vip.address}/${vip.prefix}`, ...vip.options].join(" ")}': lvsfleet brings VIPs up as /${addressFamily(vip.address) === "inet" ? 32 : 128} on the director's interface; prefix and options are dropped`,
        );
      parts.vips.push({ address: vip.address, at });
    }
  parts.vrrp = fileVrrp(source, diagnostics, scripts);
  for (const vs of config.virtualServers) {
    const at = vs.at as SourceLocation;
    if (vs.realServers.length === 0) {
      diagnostics.warn("note", at, "keepalived ignores a virtual_server without real servers; not imported");
      continue;
    }
    for (const target of expandTarget(vs, config, diagnostics)) {
      const service = virtualService(vs, target, diagnostics, scripts);
      if (service) parts.services.push({ service, name: vs.name, at });
    }
  }
  return parts;
}

function expandTarget(
  vs: VirtualServerNode,
  config: KeepalivedConfig,
  diagnostics: Diagnostics,
): VirtualServerTarget[] {
  const target = vs.target;
  if (target.kind !== "group") return [target];
  const group = config.virtualServerGroups.find((g) => g.name === target.name);
  if (!group) {
    diagnostics.error(
      "value",
      vs.at as SourceLocation,
      `virtual_server group ${target.name}: there is no virtual_server_group ${target.name}`,
    );
    return [];
  }
  const out: VirtualServerTarget[] = [];
  for (const entry of group.entries) {
    if (entry.kind === "fwmark") {
      if (entry.family === "inet6" || (entry.family === undefined && vs.ipFamily === "inet6"))
        diagnostics.error(
          "unsupported",
          entry.at as SourceLocation,
          "an inet6 fwmark in a virtual_server_group is not supported; use virtual_server fwmark with ip_family inet6",
        );
      out.push({ kind: "fwmark", mark: entry.mark });
      continue;
    }
    const addresses = expandRange(entry.address, entry.last, entry.prefix);
    if (addresses === undefined || addresses.length > 256) {
      diagnostics.error(
        "unsupported",
        entry.at as SourceLocation,
        `address range of ${addresses === undefined ? "more than 2^32" : addresses.length} addresses; lvsfleet imports ranges of up to 256 virtual services`,
      );
      continue;
    }
    for (const address of addresses) out.push({ kind: "address", address, port: entry.port });
  }
  return out;
}

/** Every address from first to last (or in first/prefix), for IPv4; IPv6 ranges vary the last group. */
function expandRange(first: string, last: string | undefined, prefix: number | undefined): string[] | undefined {
  if (last === undefined && prefix === undefined) return [first];
  if (first.includes(":")) {
    if (prefix !== undefined) return prefix >= 120 ? ipv6Block(first, prefix) : undefined;
    const head = first.slice(0, first.lastIndexOf(":") + 1);
    const a = Number.parseInt(first.slice(head.length) || "0", 16);
    const b = Number.parseInt((last as string).slice((last as string).lastIndexOf(":") + 1) || "0", 16);
    if (b - a > 4096) return undefined;
    return Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => `${head}${(a + i).toString(16)}`);
  }
  const toInt = (ip: string) => ip.split(".").reduce((n, part) => n * 256 + Number(part), 0);
  const toIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
  let a = toInt(first);
  let b = last !== undefined ? toInt(last) : a;
  if (prefix !== undefined) {
    const size = 2 ** (32 - prefix);
    a = Math.floor(a / size) * size;
    b = a + size - 1;
  }
  if (b - a > 4096) return undefined;
  return Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => toIp(a + i));
}

function ipv6Block(first: string, prefix: number): string[] {
  const head = first.slice(0, first.lastIndexOf(":") + 1);
  const low = Number.parseInt(first.slice(head.length) || "0", 16);
  const size = 2 ** (128 - prefix);
  const start = Math.floor(low / size) * size;
  return Array.from({ length: size }, (_, i) => `${head}${(start + i).toString(16)}`);
}

const FORWARDING: Record<ForwardingNode["kind"], ForwardingMethod> = { NAT: "nat", DR: "dr", TUN: "tun" };

function forwardingOf(
  node: ForwardingNode | undefined,
  at: SourceLocation,
  diagnostics: Diagnostics,
): ForwardingMethod | undefined {
  if (!node) return undefined;
  if (node.kind === "TUN" && node.options.length > 0)
    diagnostics.error(
      "unsupported",
      at,
      `tunnel options '${node.options.join(" ")}' are not supported by lvsfleet (IPIP only)`,
      "remove the 'type ...' options to use plain IPIP tunnelling",
    );
  return FORWARDING[node.kind];
}

function virtualService(
  vs: VirtualServerNode,
  target: VirtualServerTarget,
  diagnostics: Diagnostics,
  scripts: ImportedScripts,
): VirtualServiceInput | undefined {
  const at = vs.at as SourceLocation;
  let forwarding = forwardingOf(vs.forwarding, at, diagnostics);
  if (!forwarding) {
    diagnostics.warn(
      "note",
      at,
      "no lvs_method: keepalived's default is NAT",
      "write 'lvs_method NAT' (or DR, TUN) to say so",
    );
    forwarding = "nat";
  }
  const service: VirtualServiceInput = { name: "pending", scheduler: "wlc", forwarding };
  if (target.kind === "fwmark") {
    service.protocol = "fwmark";
    service.fwmark = target.mark;
    if (vs.ipFamily) service.family = vs.ipFamily;
    if (vs.protocol)
      diagnostics.warn("note", at, `'protocol ${vs.protocol}' is ignored for a fwmark service, as keepalived does`);
  } else if (target.kind === "address") {
    service.address = target.address;
    service.port = target.port ?? 0;
    if (vs.protocol) service.protocol = vs.protocol.toLowerCase() as "tcp" | "udp" | "sctp";
    else {
      diagnostics.warn(
        "note",
        at,
        "no protocol: keepalived's default is UDP",
        "write 'protocol TCP' (or UDP, SCTP) to say so",
      );
      service.protocol = "udp";
    }
    if (vs.ipFamily && vs.ipFamily !== addressFamily(target.address))
      diagnostics.error("value", at, `ip_family ${vs.ipFamily} conflicts with the address ${target.address}`);
  }
  if (vs.scheduler) service.scheduler = vs.scheduler as VirtualServiceInput["scheduler"];
  else diagnostics.warn("note", at, "no lvs_sched: keepalived's default is wlc", "write 'lvs_sched wlc' to say so");
  service.schedulerFlags = schedulerFlags(vs, service.scheduler as string, diagnostics);

  let timeout = vs.persistenceTimeout;
  if (timeout === undefined && vs.persistenceGranularity !== undefined) timeout = 360;
  if (timeout === undefined && service.port === 0 && target.kind === "address") {
    diagnostics.warn(
      "note",
      at,
      "port 0 is only valid for a persistent service: keepalived makes it persistent for 360 s",
    );
    timeout = 360;
  }
  if (timeout !== undefined)
    service.persistence = {
      timeout,
      ...(vs.persistenceGranularity !== undefined ? { netmask: vs.persistenceGranularity } : {}),
    };
  service.inhibitOnFailure = vs.inhibitOnFailure ?? false;
  if (vs.checkerDefaults.delayLoop !== undefined) service.delayLoop = vs.checkerDefaults.delayLoop;
  if (vs.alpha) service.alpha = true;
  if (vs.omega) service.omega = true;

  const realServers: RealServerInput[] = [];
  const seen = new Set<string>();
  for (const rs of vs.realServers) {
    const real = realServer(rs, vs, target, forwarding, diagnostics, scripts);
    if (!real) continue;
    const key = `${real.address}|${real.port}`;
    if (seen.has(key)) {
      diagnostics.warn(
        "note",
        rs.at as SourceLocation,
        `real server ${real.address} ${real.port} is listed twice: keepalived drops the second, so does the import`,
      );
      continue;
    }
    seen.add(key);
    realServers.push(real);
  }
  service.realServers = realServers;

  const quorum = quorumOf(vs, realServers, diagnostics, scripts);
  if (quorum) service.quorum = quorum;
  if (vs.sorryServer) {
    const sorryForwarding = forwardingOf(vs.sorryServerForwarding, at, diagnostics);
    let port = vs.sorryServer.port;
    const effective = sorryForwarding ?? forwarding;
    if (effective !== "nat" && target.kind === "fwmark") port = undefined;
    else if (effective !== "nat" && target.kind === "address") port = service.port;
    else if (port === undefined && target.kind === "address") port = service.port;
    service.sorryServer = {
      address: vs.sorryServer.address,
      ...(port !== undefined ? { port } : {}),
      ...(sorryForwarding && sorryForwarding !== forwarding ? { forwarding: sorryForwarding } : {}),
      ...(vs.sorryServerInhibit ? { inhibit: true } : {}),
    };
  } else if (vs.sorryServerInhibit || vs.sorryServerForwarding)
    diagnostics.warn("note", at, "sorry_server_inhibit / sorry_server_lvs_method without a sorry_server: ignored");
  return service;
}

function schedulerFlags(vs: VirtualServerNode, scheduler: string, diagnostics: Diagnostics): SchedulerFlag[] {
  const flags = new Set<SchedulerFlag>();
  const at = vs.at as SourceLocation;
  for (const flag of vs.flags) {
    if (flag === "ops") {
      diagnostics.error(
        "unsupported",
        at,
        "'ops' (one-packet scheduling) is not supported by lvsfleet",
        "remove 'ops'",
      );
      continue;
    }
    const generic = flag === "flag-1" ? "fallback" : flag === "flag-2" ? "port" : undefined;
    const named = generic ? `${scheduler}-${generic}` : flag;
    if (named === "sh-fallback" || named === "sh-port" || named === "mh-fallback" || named === "mh-port") {
      if (named.startsWith(`${scheduler}-`)) flags.add(named);
      else
        diagnostics.warn(
          "note",
          at,
          `'${flag}' only applies to the ${named.split("-")[0]} scheduler: ignored, as keepalived does`,
        );
    } else diagnostics.warn("note", at, `'${flag}' has no meaning for the ${scheduler} scheduler: ignored`);
  }
  return [...flags];
}

function quorumOf(
  vs: VirtualServerNode,
  realServers: RealServerInput[],
  diagnostics: Diagnostics,
  scripts: ImportedScripts,
): VirtualServiceInput["quorum"] {
  if (vs.quorum === undefined && vs.hysteresis === undefined && !vs.quorumUp && !vs.quorumDown) return undefined;
  const at = vs.at as SourceLocation;
  let weight = vs.quorum ?? 1;
  const total = realServers.reduce((sum, rs) => sum + (rs.weight ?? 1), 0);
  if (weight > total && total > 0) {
    diagnostics.warn(
      "note",
      at,
      `quorum ${weight} exceeds the total weight ${total} of the real servers: keepalived lowers it to ${total}, so does the import`,
    );
    weight = total;
  }
  let hysteresis = vs.hysteresis;
  if (hysteresis !== undefined && hysteresis >= weight) {
    diagnostics.warn(
      "note",
      at,
      `hysteresis ${hysteresis} is not below the quorum ${weight}: keepalived lowers it to ${weight - 1}, so does the import`,
    );
    hysteresis = weight - 1;
  }
  return {
    weight,
    ...(hysteresis !== undefined ? { hysteresis } : {}),
    ...(vs.quorumUp ? { up: scripts.name(vs.quorumUp, "quorum_up", at) } : {}),
    ...(vs.quorumDown ? { down: scripts.name(vs.quorumDown, "quorum_down", at) } : {}),
  };
}

function realServer(
  rs: RealServerNode,
  vs: VirtualServerNode,
  target: VirtualServerTarget,
  serviceForwarding: ForwardingMethod,
  diagnostics: Diagnostics,
  scripts: ImportedScripts,
): RealServerInput | undefined {
  const at = rs.at as SourceLocation;
  const own = forwardingOf(rs.forwarding, at, diagnostics);
  const forwarding = own ?? serviceForwarding;
  let port = rs.port ?? 0;
  if (target.kind === "fwmark") {
    if (forwarding !== "nat" && port !== 0) {
      diagnostics.warn(
        "note",
        at,
        `a ${forwarding.toUpperCase()} real server of a fwmark service has no port: keepalived clears ${port}, so does the import`,
      );
      port = 0;
    }
  } else if (target.kind === "address") {
    const vsPort = target.port ?? 0;
    if (port === 0) port = vsPort;
    else if (forwarding !== "nat" && port !== vsPort) {
      diagnostics.warn(
        "note",
        at,
        `a ${forwarding.toUpperCase()} real server uses the virtual server's port: keepalived resets ${port} to ${vsPort}, so does the import`,
      );
      port = vsPort;
    }
  }
  const real: RealServerInput = { address: rs.address, port, weight: rs.weight ?? 1 };
  if (own && own !== serviceForwarding) real.forwarding = own;
  if (rs.upperThreshold) real.upperThreshold = rs.upperThreshold;
  if (rs.lowerThreshold) real.lowerThreshold = rs.lowerThreshold;
  if (rs.inhibitOnFailure !== undefined && rs.inhibitOnFailure !== (vs.inhibitOnFailure ?? false))
    real.inhibitOnFailure = rs.inhibitOnFailure;
  const { delayLoop: _serviceLoop, ...serviceDefaults } = vs.checkerDefaults;
  const defaults: CheckerDefaults = { ...serviceDefaults, ...definedOnly(rs.checkerDefaults) };
  const checks = rs.checkers
    .map((checker) => healthCheck(checker, defaults, rs.virtualhost ?? vs.virtualhost, diagnostics, scripts))
    .filter((c): c is HealthCheckInput => c !== undefined);
  if (checks.length > 0) real.healthChecks = checks;
  return real;
}

function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function timing(node: CheckerDefaults, defaults: CheckerDefaults) {
  const merged = { ...defaults, ...definedOnly(node) };
  return definedOnly({
    connectTimeout: merged.connectTimeout,
    retry: merged.retry,
    delayBeforeRetry: merged.delayBeforeRetry,
    delayLoop: merged.delayLoop,
    warmup: merged.warmup,
  });
}

function healthCheck(
  node: CheckerNode,
  defaults: CheckerDefaults,
  virtualhost: string | undefined,
  diagnostics: Diagnostics,
  scripts: ImportedScripts,
): HealthCheckInput | undefined {
  if (node.type === "OTHER") return undefined;
  const at = node.at as SourceLocation;
  if (node.type === "MISC_CHECK") {
    if (!node.path) return undefined;
    const { connectTimeout: _none, ...scriptTiming } = timing(node, defaults);
    return {
      type: "misc",
      script: scripts.name(node.path, "misc_path", at),
      ...(node.timeout !== undefined ? { timeout: node.timeout } : {}),
      ...(node.dynamic ? { dynamic: true } : {}),
      ...scriptTiming,
    };
  }
  const connection = definedOnly({ connectIp: node.connectIp, connectPort: node.connectPort, bindTo: node.bindTo });
  if (node.type === "TCP_CHECK") return { type: "tcp", ...connection, ...timing(node, defaults) };
  if (node.type === "HTTP_GET" && node.enableSni)
    diagnostics.warn("note", at, "enable_sni only applies to SSL_GET: ignored");
  const host = node.virtualhost ?? virtualhost;
  return {
    type: node.type === "HTTP_GET" ? "http" : "https",
    urls: node.urls.map((url) =>
      definedOnly({
        path: url.path as string,
        statusCodes: url.statusCodes,
        digest: url.digest,
        virtualhost: url.virtualhost,
      }),
    ) as { path: string }[],
    ...(host !== undefined ? { virtualhost: host } : {}),
    ...(node.type === "SSL_GET" && node.enableSni ? { enableSni: true } : {}),
    ...connection,
    ...timing(node, defaults),
  };
}

// ---------------------------------------------------------------- VRRP

function fileVrrp(source: ParsedSource, diagnostics: Diagnostics, scripts: ImportedScripts): FileParts["vrrp"] {
  const { config } = source;
  const instances = config.vrrpInstances;
  const first = instances[0];
  if (!first) return undefined;
  const at = first.at as SourceLocation;
  const state = (node: VrrpInstanceNode) => effectiveState(node, diagnostics);
  const firstState = state(first);
  for (const instance of instances.slice(1)) {
    const own = state(instance);
    if (own !== firstState || (instance.priority ?? 100) !== (first.priority ?? 100))
      diagnostics.error(
        "conflict",
        instance.at as SourceLocation,
        `vrrp_instance ${instance.name} has state/priority ${own}/${instance.priority ?? 100}, ${first.name} has ${firstState}/${first.priority ?? 100}`,
        "lvsfleet gives a director one role and one priority for all its VRRP instances",
      );
  }
  const identity = source.director ?? identityFromFile(source);
  if (!identity) {
    diagnostics.warn(
      "note",
      at,
      `vrrp_instance ${first.name} not imported: this file does not say which director it belongs to`,
      "give the director's host name and address for this file (e.g. lb1=192.168.1.252), or set router_id and unicast_src_ip",
    );
    return undefined;
  }
  const iface = first.interface;
  if (!iface) {
    diagnostics.error(
      "value",
      at,
      `vrrp_instance ${first.name} has no interface`,
      "add 'interface eth0' (the interface VRRP and the VIPs use)",
    );
    return undefined;
  }
  const out: NonNullable<FileParts["vrrp"]> = {
    director: {
      host: identity.host,
      address: identity.address,
      role: firstState === "MASTER" ? "master" : "backup",
      priority: first.priority ?? 100,
      interface: iface,
    },
    instances: [],
    at,
  };
  for (let node of instances) {
    const nodeAt = node.at as SourceLocation;
    if (node.virtualRouterId === undefined) {
      diagnostics.error(
        "value",
        nodeAt,
        `vrrp_instance ${node.name} has no virtual_router_id`,
        "keepalived refuses to run it; add 'virtual_router_id N' (1-255)",
      );
      continue;
    }
    if (node.virtualIpAddresses.length === 0) {
      diagnostics.error("value", nodeAt, `vrrp_instance ${node.name} has no virtual_ipaddress`);
      continue;
    }
    const instance: VrrpInstanceInput = {
      name: node.name,
      virtualRouterId: node.virtualRouterId,
      vips: [...new Set(node.virtualIpAddresses.map((v) => v.address))],
    };
    if (node.interface && node.interface !== iface) instance.interface = node.interface;
    if (node.advertInt !== undefined) {
      instance.advertInt = node.advertInt;
      if (!Number.isInteger(node.advertInt) && node.version !== 3) {
        instance.advertInt = Math.max(1, Math.round(node.advertInt));
        diagnostics.warn(
          "note",
          nodeAt,
          `advert_int ${node.advertInt}: VRRPv2 needs whole seconds, keepalived rounds it to ${instance.advertInt}; so does the import`,
          "add 'version 3' for sub-second adverts",
        );
      }
    }
    if (node.version !== undefined) instance.version = node.version;
    if (node.authentication) {
      if (!node.authentication.type || node.authentication.password === undefined)
        diagnostics.error("value", nodeAt, "authentication needs both auth_type and auth_pass");
      else
        instance.authentication = {
          type: node.authentication.type === "PASS" ? "pass" : "ah",
          password: node.authentication.password,
        };
    }
    if (node.unicastPeers.length > 0) {
      const self = node.unicastSrcIp ?? identity.address;
      instance.unicastPeers = sortAddresses([...new Set([self, ...node.unicastPeers.map((p) => p.address)])]);
      if (node.unicastPeers.some((p) => p.options.length > 0))
        diagnostics.warn("note", nodeAt, "unicast_peer min_ttl/max_ttl options are dropped");
    }
    if (node.unicastSrcIp && node.unicastSrcIp !== identity.address)
      diagnostics.warn(
        "note",
        nodeAt,
        `unicast_src_ip ${node.unicastSrcIp} is not the director's address ${identity.address}; lvsfleet uses the director's address`,
      );
    if (node.nopreempt && node.priority === 255) {
      diagnostics.warn(
        "note",
        nodeAt,
        "keepalived resets nopreempt at priority 255 (the address owner always preempts); so does the import",
      );
      node = { ...node, nopreempt: false };
    }
    if (node.nopreempt && node.preemptDelay !== undefined) {
      diagnostics.warn("note", nodeAt, "keepalived resets preempt_delay under nopreempt; so does the import");
      node = { ...node, preemptDelay: undefined };
    }
    if (node.state === "MASTER" && (node.nopreempt || node.preemptDelay !== undefined))
      diagnostics.warn(
        "note",
        nodeAt,
        `keepalived ignores ${node.nopreempt ? "nopreempt" : "preempt_delay"} when state is MASTER; so does the import`,
        "start every director as BACKUP (the highest priority wins) to use it",
      );
    else {
      if (node.nopreempt) instance.nopreempt = true;
      if (node.preemptDelay !== undefined) instance.preemptDelay = node.preemptDelay;
    }
    if (node.garp) instance.garp = { ...node.garp };
    const notify = notifyOf(node.notify, nodeAt, scripts);
    if (notify) instance.notify = notify;
    out.instances.push({ instance, at: nodeAt });
  }
  const groups = config.vrrpSyncGroups;
  if (groups.length > 1)
    diagnostics.error(
      "unsupported",
      groups[1]?.at as SourceLocation,
      "lvsfleet supports one vrrp_sync_group per cluster",
    );
  const group = groups[0];
  if (group) {
    const names = new Set(instances.map((i) => i.name));
    const missing = group.instances.filter((name) => !names.has(name));
    if (missing.length > 0)
      diagnostics.error(
        "value",
        group.at as SourceLocation,
        `vrrp_sync_group ${group.name} names unknown instance(s): ${missing.join(", ")}`,
      );
    const outside = instances.filter((i) => !group.instances.includes(i.name)).map((i) => i.name);
    if (outside.length > 0)
      diagnostics.error(
        "unsupported",
        group.at as SourceLocation,
        `vrrp_sync_group ${group.name} leaves out ${outside.join(", ")}`,
        "lvsfleet's sync group holds every instance of the cluster",
      );
    if (group.instances.length < 2)
      diagnostics.warn(
        "note",
        group.at as SourceLocation,
        `vrrp_sync_group ${group.name} has one instance: keepalived ignores it, so does the import`,
      );
    else {
      const notify = notifyOf(group.notify, group.at as SourceLocation, scripts);
      out.syncGroup = { name: group.name, ...(notify ? { notify } : {}) };
    }
  }
  return out;
}

/** keepalived starts an instance with AH authentication as BACKUP even when it says MASTER (below priority 255). */
function effectiveState(node: VrrpInstanceNode, diagnostics: Diagnostics): "MASTER" | "BACKUP" {
  if (node.state !== "MASTER") return "BACKUP";
  if (node.authentication?.type === "AH" && (node.priority ?? 100) < 255) {
    diagnostics.warn(
      "note",
      node.at as SourceLocation,
      `vrrp_instance ${node.name}: keepalived starts an instance with AH authentication as BACKUP, not MASTER; so does the import`,
    );
    return "BACKUP";
  }
  return "MASTER";
}

function identityFromFile(source: ParsedSource): DirectorIdentity | undefined {
  const host = source.config.globalDefs?.routerId;
  const first = source.config.vrrpInstances[0];
  const address = first?.unicastSrcIp ?? first?.mcastSrcIp;
  if (!host || !address || !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(host)) return undefined;
  return { host, address };
}

function notifyOf(notify: NotifyNodes, at: SourceLocation, scripts: ImportedScripts): VrrpNotifyInput | undefined {
  const out: VrrpNotifyInput = {};
  for (const key of ["master", "backup", "fault", "stop", "any"] as const) {
    const script = notify[key];
    if (script) out[key] = scripts.name(script, key === "any" ? "notify" : `notify_${key}`, at);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Addresses in a stable order (IPv4 numerically, then IPv6 as text). */
export function sortAddresses(addresses: string[]): string[] {
  const key = (a: string) =>
    a.includes(":")
      ? `6${a}`
      : `4${a
          .split(".")
          .map((p) => p.padStart(3, "0"))
          .join(".")}`;
  return [...addresses].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

// ---------------------------------------------------------------- merging files

function mergeServices(parts: FileParts[], diagnostics: Diagnostics): FileParts["services"] {
  const [first, ...rest] = parts;
  if (!first) return [];
  const byIdentity = new Map(first.services.map((s) => [identity(s.service), s]));
  for (const part of rest) {
    const seen = new Set<string>();
    for (const entry of part.services) {
      const key = identity(entry.service);
      seen.add(key);
      const original = byIdentity.get(key);
      if (!original) {
        diagnostics.error(
          "conflict",
          entry.at,
          `this virtual_server is not in ${first.source.file}`,
          "every director must carry the same virtual servers",
        );
        continue;
      }
      const difference = firstDifference(original.service, entry.service);
      if (difference)
        diagnostics.error(
          "conflict",
          entry.at,
          `this virtual_server differs from the one in ${first.source.file} at ${difference}`,
          "lvsfleet gives every director the same table; make the files agree (e.g. the same weights)",
        );
    }
    for (const [key, original] of byIdentity)
      if (!seen.has(key))
        diagnostics.error(
          "conflict",
          original.at,
          `this virtual_server is missing from ${part.source.file}`,
          "every director must carry the same virtual servers",
        );
  }
  return first.services;
}

function identity(service: VirtualServiceInput): string {
  return serviceIdentity({
    protocol: service.protocol ?? "tcp",
    address: service.address,
    port: service.port,
    fwmark: service.fwmark,
    family: service.family,
  });
}

function firstDifference(a: unknown, b: unknown, path = ""): string | undefined {
  if (a === b) return undefined;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null)
    return `${path || "(value)"} (${JSON.stringify(a)} vs ${JSON.stringify(b)})`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const sub = Array.isArray(a) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    const d = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], sub);
    if (d) return d;
  }
  return undefined;
}

function mergeVrrp(parts: FileParts[], diagnostics: Diagnostics, origins: Origins): ClusterSpecInput["vrrp"] {
  const [first, ...rest] = parts.map((p) => p.vrrp as NonNullable<FileParts["vrrp"]>);
  if (!first || first.instances.length === 0) return undefined;
  const instances = first.instances.map((i) => ({ ...i.instance }));
  first.instances.forEach((i, n) => {
    origins.set(`vrrp.instances[${n}]`, i.at);
  });
  for (const other of rest) {
    if (other.instances.length !== instances.length) {
      diagnostics.error(
        "conflict",
        other.at,
        `this file has ${other.instances.length} vrrp_instance(s), the first has ${instances.length}`,
        "every director must run the same VRRP instances",
      );
      continue;
    }
    other.instances.forEach(({ instance, at }, n) => {
      const mine = instances[n] as VrrpInstanceInput;
      const { unicastPeers: a, ...restA } = mine;
      const { unicastPeers: b, ...restB } = instance;
      const difference = firstDifference(restA, restB);
      if (difference)
        diagnostics.error(
          "conflict",
          at,
          `vrrp_instance ${instance.name} differs from the first file's at ${difference}`,
          "only state, priority and unicast_src_ip may differ between directors",
        );
      if (a || b) mine.unicastPeers = sortAddresses([...new Set([...(a ?? []), ...(b ?? [])])]);
    });
    if (JSON.stringify(other.syncGroup) !== JSON.stringify(first.syncGroup))
      diagnostics.error("conflict", other.at, "the vrrp_sync_group differs from the first file's");
  }
  return { instances, ...(first.syncGroup ? { syncGroup: first.syncGroup } : {}) };
}

export type { ClusterSpec };
