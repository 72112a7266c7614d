import type {
  ClusterSpec,
  Director,
  FieldError,
  ForwardingMethod,
  HealthCheck,
  RealServer,
  VirtualService,
  VrrpInstance,
  VrrpNotify,
} from "@lvsfleet/model";
import type {
  CheckerNode,
  ForwardingNode,
  KeepalivedConfig,
  NotifyNodes,
  RawStatement,
  RealServerNode,
  VirtualServerNode,
  VrrpInstanceNode,
} from "./ast.ts";
import type { AllowlistScripts } from "./exported-scripts.ts";
import { ExportedScripts } from "./exported-scripts.ts";

const METHOD: Record<ForwardingMethod, ForwardingNode> = {
  nat: { kind: "NAT" },
  dr: { kind: "DR" },
  tun: { kind: "TUN", options: [] },
};

/**
 * The keepalived configuration of one director of a cluster (keepalived.conf is per host: state,
 * priority and unicast source differ). `warnings` receives what keepalived cannot express. The
 * spec's scripts are names: `scripts` (the director's allowlist) gives their commands, else they
 * are written as /etc/lvsfleet/scripts/NAME (see exported-scripts.ts).
 */
export function fromClusterSpec(
  spec: ClusterSpec,
  director: Director | undefined,
  warnings: FieldError[],
  scripts?: AllowlistScripts,
): KeepalivedConfig {
  const commands = new ExportedScripts(scripts, warnings);
  const config: KeepalivedConfig = {
    vrrpSyncGroups: [],
    vrrpInstances: [],
    virtualServerGroups: [],
    virtualServers: [],
    extra: [],
  };
  const globalExtra: RawStatement[] = [];
  if (usesScripts(spec))
    globalExtra.push({ keyword: "enable_script_security", args: [] }, { keyword: "script_user", args: ["root"] });
  config.globalDefs = { routerId: director?.host, extra: globalExtra };

  if (spec.vrrp && director) {
    const vrrp = spec.vrrp;
    config.vrrpInstances = vrrp.instances.map((instance, i) =>
      vrrpInstance(instance, director, `vrrp.instances[${i}]`, warnings, commands),
    );
    if (vrrp.syncGroup)
      config.vrrpSyncGroups.push({
        name: vrrp.syncGroup.name,
        instances: vrrp.instances.map((i) => i.name),
        notify: notifyNodes(vrrp.syncGroup.notify, "vrrp.syncGroup", commands, {
          type: "GROUP",
          instance: vrrp.syncGroup.name,
          priority: String(director.priority),
        }),
        extra: [],
      });
  } else if (spec.directors.length > 0)
    warnings.push({
      field: spec.vrrp ? "directors" : "vrrp",
      message: spec.vrrp
        ? "no director chosen: the file has no vrrp_instance"
        : "the spec has no VRRP settings (vrrp): the file has no vrrp_instance, so keepalived will not move the VIPs",
    });

  spec.services.forEach((service, i) => {
    if (service.realServers.length === 0) {
      warnings.push({
        field: `services[${i}]`,
        message: "has no real servers: keepalived ignores such a virtual_server, so it is left out",
      });
      return;
    }
    if (service.slowStart !== undefined)
      warnings.push({ field: `services[${i}].slowStart`, message: "keepalived has no slow start; not written" });
    config.virtualServers.push(virtualServer(service, i, warnings, commands));
  });
  return config;
}

function usesScripts(spec: ClusterSpec): boolean {
  const notifyUsed = (n: VrrpNotify | undefined) => Boolean(n && Object.values(n).some((v) => v !== undefined));
  return (
    (spec.vrrp?.instances.some((i) => notifyUsed(i.notify)) ?? false) ||
    notifyUsed(spec.vrrp?.syncGroup?.notify) ||
    spec.services.some(
      (s) =>
        s.quorum?.up !== undefined ||
        s.quorum?.down !== undefined ||
        s.realServers.some((rs) => rs.healthChecks?.some((c) => c.type === "misc")),
    )
  );
}

const NOTIFY_KEYWORDS = {
  master: ["notify_master", "MASTER"],
  backup: ["notify_backup", "BACKUP"],
  fault: ["notify_fault", "FAULT"],
  stop: ["notify_stop", "STOP"],
  any: ["notify", undefined],
} as const;

function notifyNodes(
  notify: VrrpNotify | undefined,
  field: string,
  commands: ExportedScripts,
  values: Record<string, string>,
): NotifyNodes {
  const script = (key: keyof typeof NOTIFY_KEYWORDS) => {
    const name = notify?.[key];
    if (name === undefined) return undefined;
    const [keyword, state] = NOTIFY_KEYWORDS[key];
    return {
      command: commands.command(name, `${field}.notify.${key}`, keyword, state ? { ...values, state } : values),
    };
  };
  return {
    master: script("master"),
    backup: script("backup"),
    fault: script("fault"),
    stop: script("stop"),
    any: script("any"),
  };
}

function vrrpInstance(
  instance: VrrpInstance,
  director: Director,
  field: string,
  warnings: FieldError[],
  commands: ExportedScripts,
): VrrpInstanceNode {
  const peers = instance.unicastPeers;
  const wholeSeconds = (value: number | undefined, name: string) => {
    if (value === undefined || Number.isInteger(value)) return value;
    warnings.push({
      field: `${field}.garp.${name}`,
      message: `keepalived takes whole seconds: ${value} written as ${Math.round(value)}`,
    });
    return Math.round(value);
  };
  const garp = instance.garp && {
    repeat: instance.garp.repeat,
    delay: wholeSeconds(instance.garp.delay, "delay"),
    refresh: wholeSeconds(instance.garp.refresh, "refresh"),
    refreshRepeat: instance.garp.refreshRepeat,
  };
  return {
    name: instance.name,
    state: director.role === "master" ? "MASTER" : "BACKUP",
    interface: instance.interface ?? director.interface,
    virtualRouterId: instance.virtualRouterId,
    priority: director.priority,
    advertInt: instance.advertInt,
    version: instance.version,
    authentication: instance.authentication && {
      type: instance.authentication.type === "pass" ? "PASS" : "AH",
      password: instance.authentication.password,
    },
    virtualIpAddresses: instance.vips.map((address) => ({ address, options: [] })),
    unicastSrcIp: peers ? director.address : undefined,
    unicastPeers: (peers ?? []).filter((p) => p !== director.address).map((address) => ({ address, options: [] })),
    nopreempt: instance.nopreempt ?? false,
    preemptDelay: instance.preemptDelay,
    garp:
      garp && (Object.fromEntries(Object.entries(garp).filter(([, v]) => v !== undefined)) as VrrpInstanceNode["garp"]),
    notify: notifyNodes(instance.notify, field, commands, {
      type: "INSTANCE",
      instance: instance.name,
      priority: String(director.priority),
    }),
    extra: [],
  };
}

function virtualServer(
  service: VirtualService,
  index: number,
  warnings: FieldError[],
  commands: ExportedScripts,
): VirtualServerNode {
  const quorumScript = (name: string | undefined, key: "up" | "down") =>
    name === undefined
      ? undefined
      : {
          command: commands.command(name, `services[${index}].quorum.${key}`, `quorum_${key}`, {
            service: service.name,
            state: key,
          }),
        };
  const fwmark = service.protocol === "fwmark";
  const flags = [...service.schedulerFlags];
  const node: VirtualServerNode = {
    target: fwmark
      ? { kind: "fwmark", mark: service.fwmark as number }
      : { kind: "address", address: service.address as string, port: service.port },
    name: service.name,
    scheduler: service.scheduler,
    flags,
    forwarding: METHOD[service.forwarding],
    protocol: fwmark ? undefined : (service.protocol.toUpperCase() as "TCP" | "UDP" | "SCTP"),
    persistenceTimeout: service.persistence?.timeout,
    persistenceGranularity: service.persistence?.netmask,
    ipFamily: fwmark ? service.family : undefined,
    inhibitOnFailure: service.inhibitOnFailure || undefined,
    alpha: service.alpha ?? false,
    omega: service.omega ?? false,
    quorum: service.quorum?.weight,
    hysteresis: service.quorum?.hysteresis,
    quorumUp: quorumScript(service.quorum?.up, "up"),
    quorumDown: quorumScript(service.quorum?.down, "down"),
    sorryServer: service.sorryServer && { address: service.sorryServer.address, port: service.sorryServer.port },
    sorryServerInhibit: service.sorryServer?.inhibit ?? false,
    sorryServerForwarding: service.sorryServer?.forwarding && METHOD[service.sorryServer.forwarding],
    checkerDefaults: { delayLoop: service.delayLoop },
    realServers: service.realServers.map((rs, j) =>
      realServer(rs, service, `services[${index}].realServers[${j}]`, warnings, commands),
    ),
    extra: [],
  };
  return node;
}

function realServer(
  rs: RealServer,
  service: VirtualService,
  field: string,
  warnings: FieldError[],
  commands: ExportedScripts,
): RealServerNode {
  const forwarding = rs.forwarding ?? service.forwarding;
  if (forwarding !== "nat" && service.protocol !== "fwmark" && rs.port !== service.port)
    warnings.push({
      field: `${field}.port`,
      message: `keepalived gives a ${forwarding.toUpperCase()} real server the virtual server's port ${service.port}, not ${rs.port}`,
    });
  if (rs.slowStart !== undefined)
    warnings.push({ field: `${field}.slowStart`, message: "keepalived has no slow start; not written" });
  if (rs.host !== undefined)
    warnings.push({
      field: `${field}.host`,
      message: "keepalived.conf has no place for the real server's agent host name; not written",
    });
  return {
    address: rs.address,
    port: rs.port,
    weight: rs.weight,
    forwarding: rs.forwarding && rs.forwarding !== service.forwarding ? METHOD[rs.forwarding] : undefined,
    inhibitOnFailure: rs.inhibitOnFailure,
    upperThreshold: rs.upperThreshold || undefined,
    lowerThreshold: rs.lowerThreshold || undefined,
    checkerDefaults: {},
    checkers: (rs.healthChecks ?? []).map((check, k) => {
      const at = `${field}.healthChecks[${k}]`;
      const misc = (name: string) =>
        commands.command(name, `${at}.script`, "misc_path", {
          address: rs.address,
          port: String(rs.port),
          service: service.name,
        });
      return checker(check, at, warnings, misc);
    }),
    extra: [],
  };
}

function checker(
  check: HealthCheck,
  field: string,
  warnings: FieldError[],
  miscCommand: (name: string) => string,
): CheckerNode {
  if (check.rise !== undefined || check.fall !== undefined)
    warnings.push({
      field,
      message: "keepalived has no rise/fall for LVS checkers (it behaves as rise 1, fall 1); not written",
    });
  const timing = {
    connectTimeout: check.type === "misc" ? undefined : check.connectTimeout,
    retry: check.retry,
    delayBeforeRetry: check.delayBeforeRetry,
    delayLoop: check.delayLoop,
    warmup: check.warmup,
  };
  switch (check.type) {
    case "tcp":
      return {
        type: "TCP_CHECK",
        connectIp: check.connectIp,
        connectPort: check.connectPort,
        bindTo: check.bindTo,
        ...timing,
        extra: [],
      };
    case "http":
    case "https":
      return {
        type: check.type === "http" ? "HTTP_GET" : "SSL_GET",
        connectIp: check.connectIp,
        connectPort: check.connectPort,
        bindTo: check.bindTo,
        ...timing,
        virtualhost: check.virtualhost,
        enableSni: check.type === "https" ? Boolean(check.enableSni) : false,
        urls: check.urls.map((url) => ({
          path: url.path,
          digest: url.digest,
          statusCodes: url.statusCodes,
          virtualhost: url.virtualhost,
          extra: [],
        })),
        extra: [],
      };
    case "misc":
      return {
        type: "MISC_CHECK",
        path: { command: miscCommand(check.script) },
        timeout: check.timeout,
        dynamic: Boolean(check.dynamic),
        ...timing,
        extra: [],
      };
  }
}
