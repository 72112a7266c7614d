import { netmaskOfPrefixLength } from "@lvsfleet/model";
import type {
  CheckerDefaults,
  CheckerNode,
  ForwardingNode,
  KeepalivedConfig,
  NotifyNodes,
  RawStatement,
  RealServerNode,
  ScriptNode,
  VirtualServerGroupNode,
  VirtualServerNode,
  VrrpInstanceNode,
  VrrpSyncGroupNode,
} from "./ast.ts";

/**
 * Writes a KeepalivedConfig as keepalived.conf text for keepalived 2.x (lvs_sched/lvs_method, retry),
 * one statement per line, four spaces per level, kept statements after the modelled ones.
 */
export function renderKeepalived(config: KeepalivedConfig, header?: string): string {
  const out = new Writer();
  for (const line of (header ?? "").split("\n").filter((l) => l !== "")) out.line(`! ${line}`);
  if (config.globalDefs) {
    out.open("global_defs");
    out.optional("router_id", config.globalDefs.routerId);
    out.raw(config.globalDefs.extra);
    out.close();
  }
  for (const group of config.vrrpSyncGroups) syncGroup(out, group);
  for (const instance of config.vrrpInstances) vrrpInstance(out, instance);
  for (const group of config.virtualServerGroups) virtualServerGroup(out, group);
  for (const vs of config.virtualServers) virtualServer(out, vs);
  out.raw(config.extra);
  return out.text();
}

class Writer {
  private readonly lines: string[] = [];
  private depth = 0;

  line(text: string): void {
    this.lines.push(`${"    ".repeat(this.depth)}${text}`);
  }

  statement(keyword: string, ...args: (string | number | undefined)[]): void {
    this.line([keyword, ...args.filter((a) => a !== undefined).map((a) => quote(String(a)))].join(" "));
  }

  optional(keyword: string, value: string | number | undefined): void {
    if (value !== undefined) this.statement(keyword, typeof value === "number" ? formatNumber(value) : value);
  }

  flag(keyword: string, on: boolean | undefined): void {
    if (on) this.statement(keyword);
  }

  open(keyword: string, ...args: (string | number | undefined)[]): void {
    if (this.depth === 0 && this.lines.length > 0) this.lines.push("");
    this.line([keyword, ...args.filter((a) => a !== undefined).map((a) => quote(String(a))), "{"].join(" "));
    this.depth++;
  }

  close(): void {
    this.depth--;
    this.line("}");
  }

  raw(statements: RawStatement[]): void {
    for (const s of statements) {
      if (s.block) {
        this.open(s.keyword, ...s.args);
        this.raw(s.block);
        this.close();
      } else this.statement(s.keyword, ...s.args);
    }
  }

  script(keyword: string, script: ScriptNode | undefined): void {
    if (!script) return;
    const who = [script.user, script.group].filter((w) => w !== undefined).map((w) => quote(w as string));
    this.line([keyword, quoteScript(script.command), ...who].join(" "));
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

/**
 * Writes a value so that keepalived reads it back unchanged. keepalived splits ordinary values on
 * white space and reads "..." without escapes (alloc_strvec_r), after cutting comments at # or !
 * outside double quotes and splitting braces off: so a value with white space, #, !, { or } goes in
 * double quotes, and a value with a double quote cannot be written at all (nor a lone brace, which
 * keepalived 2.2 takes as the end of the block even when quoted). A value starting with // is quoted
 * too: keepalived reads it either way, but readers that take an unquoted // for a pasted comment
 * (lvsfleet's own import among them) read the quoted one as the value.
 */
export function quote(word: string): string {
  if (word.includes('"'))
    throw new Error(`${JSON.stringify(word)} cannot be written in keepalived.conf (double quote)`);
  if (word === "{" || word === "}")
    throw new Error(
      `${JSON.stringify(word)} cannot be written in keepalived.conf (keepalived takes it as a brace even quoted)`,
    );
  if (word !== "" && !/[\s#!{}]/.test(word) && !word.startsWith("//")) return word;
  if (/\\$/.test(word))
    throw new Error(`${JSON.stringify(word)} cannot be written in keepalived.conf (quoted, ends in a backslash)`);
  return `"${word}"`;
}

/**
 * Writes a script command line (notify_*, quorum_up/down, misc_path), which keepalived re-reads with
 * quotes and backslash escapes: always double-quoted, with \ and " escaped. keepalived splits braces off
 * before it knows about escapes, so a command cannot hold both a double quote and a brace.
 */
export function quoteScript(command: string): string {
  if (command.includes('"') && /[{}]/.test(command))
    throw new Error(`${JSON.stringify(command)} cannot be written in keepalived.conf (double quote and brace)`);
  return `"${command.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Seconds with at most microsecond precision, never in exponent notation. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(6).replace(/0+$/, "").replace(/\.$/, "");
}

function notify(out: Writer, nodes: NotifyNodes): void {
  out.script("notify_master", nodes.master);
  out.script("notify_backup", nodes.backup);
  out.script("notify_fault", nodes.fault);
  out.script("notify_stop", nodes.stop);
  out.script("notify", nodes.any);
}

function syncGroup(out: Writer, group: VrrpSyncGroupNode): void {
  out.open("vrrp_sync_group", group.name);
  out.open("group");
  for (const name of group.instances) out.statement(name);
  out.close();
  notify(out, group.notify);
  out.raw(group.extra);
  out.close();
}

function vrrpInstance(out: Writer, node: VrrpInstanceNode): void {
  out.open("vrrp_instance", node.name);
  out.optional("state", node.state);
  out.optional("interface", node.interface);
  out.optional("virtual_router_id", node.virtualRouterId);
  out.optional("priority", node.priority);
  out.optional("advert_int", node.advertInt);
  out.optional("version", node.version);
  out.flag("nopreempt", node.nopreempt);
  out.optional("preempt_delay", node.preemptDelay);
  out.optional("garp_master_repeat", node.garp?.repeat);
  out.optional("garp_master_delay", node.garp?.delay);
  out.optional("garp_master_refresh", node.garp?.refresh);
  out.optional("garp_master_refresh_repeat", node.garp?.refreshRepeat);
  out.optional("mcast_src_ip", node.mcastSrcIp);
  out.optional("unicast_src_ip", node.unicastSrcIp);
  if (node.unicastPeers.length > 0) {
    out.open("unicast_peer");
    for (const peer of node.unicastPeers) out.statement(peer.address, ...peer.options);
    out.close();
  }
  if (node.authentication) {
    out.open("authentication");
    out.optional("auth_type", node.authentication.type);
    out.optional("auth_pass", node.authentication.password);
    out.close();
  }
  out.open("virtual_ipaddress");
  for (const vip of node.virtualIpAddresses)
    out.statement(vip.prefix === undefined ? vip.address : `${vip.address}/${vip.prefix}`, ...vip.options);
  out.close();
  notify(out, node.notify);
  out.raw(node.extra);
  out.close();
}

function virtualServerGroup(out: Writer, group: VirtualServerGroupNode): void {
  out.open("virtual_server_group", group.name);
  for (const entry of group.entries) {
    if (entry.kind === "fwmark") out.statement("fwmark", entry.mark, entry.family);
    else {
      const range =
        entry.prefix !== undefined
          ? `${entry.address}/${entry.prefix}`
          : entry.last !== undefined
            ? `${entry.address}-${entry.last}`
            : entry.address;
      out.statement(range, entry.port);
    }
  }
  out.close();
}

function forwarding(out: Writer, keyword: string, node: ForwardingNode | undefined): void {
  if (node) out.statement(keyword, node.kind, ...(node.kind === "TUN" ? node.options : []));
}

function timing(out: Writer, defaults: CheckerDefaults): void {
  out.optional("delay_loop", defaults.delayLoop);
  out.optional("connect_timeout", defaults.connectTimeout);
  out.optional("retry", defaults.retry);
  out.optional("delay_before_retry", defaults.delayBeforeRetry);
  out.optional("warmup", defaults.warmup);
}

function virtualServer(out: Writer, vs: VirtualServerNode): void {
  const t = vs.target;
  if (t.kind === "address") out.open("virtual_server", t.address, t.port || undefined);
  else if (t.kind === "fwmark") out.open("virtual_server", "fwmark", t.mark);
  else out.open("virtual_server", "group", t.name);
  out.optional("snmp_name", vs.name);
  out.optional("ip_family", vs.ipFamily);
  out.optional("lvs_sched", vs.scheduler);
  for (const flag of vs.flags) out.statement(flag);
  forwarding(out, "lvs_method", vs.forwarding);
  out.optional("protocol", vs.protocol);
  out.optional("persistence_timeout", vs.persistenceTimeout);
  if (vs.persistenceGranularity !== undefined)
    out.statement(
      "persistence_granularity",
      isIpv6Target(vs) ? vs.persistenceGranularity : netmaskOfPrefixLength(vs.persistenceGranularity),
    );
  timing(out, vs.checkerDefaults);
  out.flag("inhibit_on_failure", vs.inhibitOnFailure);
  out.flag("alpha", vs.alpha);
  out.flag("omega", vs.omega);
  out.optional("quorum", vs.quorum);
  out.optional("hysteresis", vs.hysteresis);
  out.script("quorum_up", vs.quorumUp);
  out.script("quorum_down", vs.quorumDown);
  out.optional("virtualhost", vs.virtualhost);
  if (vs.sorryServer) {
    out.statement("sorry_server", vs.sorryServer.address, vs.sorryServer.port);
    out.flag("sorry_server_inhibit", vs.sorryServerInhibit);
    forwarding(out, "sorry_server_lvs_method", vs.sorryServerForwarding);
  }
  out.raw(vs.extra);
  for (const rs of vs.realServers) realServer(out, rs);
  out.close();
}

function isIpv6Target(vs: VirtualServerNode): boolean {
  if (vs.target.kind === "address") return vs.target.address.includes(":");
  return vs.ipFamily === "inet6";
}

function realServer(out: Writer, rs: RealServerNode): void {
  out.open("real_server", rs.address, rs.port || undefined);
  out.optional("weight", rs.weight);
  forwarding(out, "lvs_method", rs.forwarding);
  if (rs.inhibitOnFailure !== undefined) out.statement("inhibit_on_failure", rs.inhibitOnFailure ? "yes" : "no");
  out.optional("uthreshold", rs.upperThreshold);
  out.optional("lthreshold", rs.lowerThreshold);
  out.optional("virtualhost", rs.virtualhost);
  timing(out, rs.checkerDefaults);
  out.raw(rs.extra);
  for (const checker of rs.checkers) check(out, checker);
  out.close();
}

function check(out: Writer, node: CheckerNode): void {
  if (node.type === "OTHER") {
    out.raw([node.statement]);
    return;
  }
  out.open(node.type);
  if (node.type === "MISC_CHECK") {
    out.script("misc_path", node.path);
    out.optional("misc_timeout", node.timeout);
    out.flag("misc_dynamic", node.dynamic);
  } else {
    out.optional("connect_ip", node.connectIp);
    out.optional("connect_port", node.connectPort);
    out.optional("bindto", node.bindTo);
  }
  timing(out, node);
  if (node.type === "HTTP_GET" || node.type === "SSL_GET") {
    out.optional("virtualhost", node.virtualhost);
    out.flag("enable_sni", node.enableSni);
    for (const url of node.urls) {
      out.open("url");
      out.optional("path", url.path);
      out.optional("digest", url.digest);
      if (url.statusCodes) out.statement("status_code", ...url.statusCodes);
      out.optional("virtualhost", url.virtualhost);
      out.raw(url.extra);
      out.close();
    }
  }
  out.raw(node.extra);
  out.close();
}
