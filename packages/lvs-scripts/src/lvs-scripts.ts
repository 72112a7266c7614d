import { parseSave, SaveFormatError } from "@lvsfleet/ipvs";
import { Diagnostics, type SourceLocation, sortByPosition } from "@lvsfleet/keepalived";
import { canonicalIp, type IpvsService, type IpvsTable, isIpAddress, serviceKey } from "@lvsfleet/model";
import { assembleSpec, type DirectorInput } from "./assemble.ts";
import type { LegacyImportResult } from "./ipvsadm-save.ts";
import {
  programName,
  readShellScript,
  runsOnStart,
  type ShellCommand,
  type ShellScript,
  type ShellWord,
} from "./shell.ts";
import { servicesFromTable } from "./table-to-spec.ts";

export interface ScriptSource {
  text: string;
  /** For messages. */
  file: string;
}

export interface DirectorScript extends ScriptSource {
  /** The directors that run this script (the guide runs the same lvsdr.sh on master and backup). */
  directors?: Omit<DirectorInput, "interface">[] | undefined;
}

export interface RealServerScript extends ScriptSource {
  /** The real server's agent host name and the address the director script sends to. */
  host: string;
  address: string;
}

export interface ScriptImportOptions {
  /** The cluster's name (scripts have none). */
  name: string;
}

/**
 * Imports the guide's style of start scripts: a director script (lvsdr.sh: the VIP on an interface
 * alias, then `ipvsadm -C`, `-A`, `-a` lines, usually with VIP/RIP variables) and optionally one
 * real-server script per real server (realdr.sh: the VIP on lo, arp_ignore/arp_announce). What the
 * `start` branch does is what is imported; the ipvsadm lines are read by the same parser as
 * `ipvsadm -R`. A real-server script gives its real server a host name and is checked against the
 * cluster (its VIPs, its ARP settings).
 */
export function importLvsScripts(
  director: DirectorScript,
  realServers: RealServerScript[],
  options: ScriptImportOptions,
): LegacyImportResult {
  const diagnostics = new Diagnostics();
  const top = { file: director.file, line: 1, column: 1 };
  const script = readShellScript(director.text, director.file, diagnostics);
  const table = tableOf(script, director.file, diagnostics);
  const vips = directorVips(script, diagnostics);
  if (!table) return { ok: false, diagnostics: sortByPosition(diagnostics.list) };
  const locate = (service: IpvsService) => table.lines.get(serviceKey(service)) ?? top;
  const services = servicesFromTable(table.table, locate, diagnostics);
  const iface = vips[0]?.interface;
  if ((director.directors?.length ?? 0) > 0 && !iface)
    diagnostics.warn(
      "note",
      top,
      "the script brings up no VIP on an interface; the directors get eth0",
      "check the director's interface",
    );
  const spec = assembleSpec(
    {
      name: options.name,
      services: services.map((service, i) => ({
        service,
        at: locate(table.table.services[i] as IpvsService),
      })),
      vips: vips.map((v) => ({ address: v.address, at: v.at })),
      directors: (director.directors ?? []).map((d) => ({ ...d, interface: iface ?? "eth0" })),
      top,
    },
    diagnostics,
  );
  if (!spec) return { ok: false, diagnostics: sortByPosition(diagnostics.list) };
  for (const rs of realServers) applyRealServerScript(spec, rs, diagnostics);
  return diagnostics.errors.length > 0
    ? { ok: false, diagnostics: sortByPosition(diagnostics.list) }
    : { ok: true, spec, diagnostics: sortByPosition(diagnostics.list) };
}

const LISTING = /^-(L|l|S|Z|-list|-save|-zero)/;

/** The table the start branch's ipvsadm lines build, read as one `ipvsadm -R` batch. */
function tableOf(
  script: ShellScript,
  file: string,
  diagnostics: Diagnostics,
): { table: IpvsTable; lines: Map<string, SourceLocation> } | undefined {
  const rules: { text: string; at: SourceLocation; words: ShellWord[] }[] = [];
  for (const command of script.commands) {
    if (programName(command) !== "ipvsadm" || !runsOnStart(command)) continue;
    const args = command.words.slice(1);
    const first = args[0];
    if (!first || LISTING.test(first.text)) continue;
    if (/^--(start|stop)-daemon|^--set/.test(first.text)) {
      diagnostics.warn("note", first.at, `'ipvsadm ${first.text}' is not part of the table; not imported`);
      continue;
    }
    if (command.nested) {
      diagnostics.error(
        "unsupported",
        command.at,
        "an ipvsadm line inside a loop, condition or function: the importer does not run the script to see whether or how often it runs",
        "write the ipvsadm lines out one per service and real server",
      );
      continue;
    }
    rules.push({ text: args.map((w) => w.text).join(" "), at: first.at, words: args });
  }
  if (rules.length === 0) {
    diagnostics.error("value", { file, line: 1, column: 1 }, "the script's start branch runs no ipvsadm -A/-a lines");
    return undefined;
  }
  try {
    const table = parseSave(rules.map((r) => r.text).join("\n"));
    const lines = new Map<string, SourceLocation>();
    for (const rule of rules) {
      if (!/^(-A|--add-service)\b/.test(rule.text)) continue;
      for (const service of parseSave(rule.text).services) lines.set(serviceKey(service), rule.at);
    }
    return { table, lines };
  } catch (e) {
    if (!(e instanceof SaveFormatError)) throw e;
    const rule = rules[e.line - 1];
    const at = rule ? wordAt(rule.words, e.column) : { file, line: 1, column: 1 };
    diagnostics.error("syntax", at, e.reason, "variables are replaced by their values before the line is read");
    return undefined;
  }
}

/** The script position of the word at a column of the words joined by single spaces (after expansion). */
function wordAt(words: ShellWord[], column: number): SourceLocation {
  let offset = 0;
  for (const word of words) {
    if (column - 1 < offset + word.text.length + 1) return word.at;
    offset += word.text.length + 1;
  }
  return (words[words.length - 1] as ShellWord).at;
}

interface ScriptVip {
  address: string;
  interface: string;
  at: SourceLocation;
}

/** VIPs brought up on `start`: `ifconfig IF[:label] ADDR ...` or `ip addr add ADDR[/len] dev IF`. */
function addressesUp(script: ShellScript, diagnostics: Diagnostics): ScriptVip[] {
  const out: ScriptVip[] = [];
  for (const command of script.commands) {
    if (!runsOnStart(command)) continue;
    const vip = addressOf(command);
    if (!vip) continue;
    if (command.nested) {
      diagnostics.warn("note", command.at, "an address is added inside a loop, condition or function; not imported");
      continue;
    }
    if (!isIpAddress(vip.address)) {
      diagnostics.error(
        "value",
        vip.at,
        `'${vip.address}' is not an IPv4 or IPv6 address`,
        "check the variable it comes from",
      );
      continue;
    }
    out.push({ ...vip, address: canonicalIp(vip.address) });
  }
  return out;
}

function addressOf(command: ShellCommand): ScriptVip | undefined {
  const words = command.words;
  const program = programName(command);
  if (program === "ifconfig" && words.length >= 3) {
    const device = words[1] as (typeof words)[number];
    const address = words[2] as (typeof words)[number];
    if (address.text === "down" || address.text === "up") return undefined;
    return {
      address: address.text.split("/")[0] as string,
      interface: device.text.split(":")[0] as string,
      at: address.at,
    };
  }
  if (program === "ip" && /^a(d(dr?)?|ddress)?$/.test(words[1]?.text ?? "") && words[2]?.text === "add") {
    const address = words[3];
    const dev = words.findIndex((w) => w.text === "dev");
    const device = dev > 0 ? words[dev + 1] : undefined;
    if (!address || !device) return undefined;
    return {
      address: address.text.split("/")[0] as string,
      interface: device.text.split(":")[0] as string,
      at: address.at,
    };
  }
  return undefined;
}

function directorVips(script: ShellScript, diagnostics: Diagnostics): ScriptVip[] {
  const vips = addressesUp(script, diagnostics).filter((v) => v.interface !== "lo");
  const variable = script.variables.get("VIP");
  if (vips.length === 0 && variable && isIpAddress(variable.value)) {
    diagnostics.warn(
      "note",
      variable.at,
      `VIP=${variable.value} is not brought up by the script; taken as the cluster's VIP`,
    );
    return [{ address: canonicalIp(variable.value), interface: "", at: variable.at }];
  }
  return vips;
}

const ARP_SETTINGS = [
  { path: "lo/arp_ignore", value: "1" },
  { path: "lo/arp_announce", value: "2" },
  { path: "all/arp_ignore", value: "1" },
  { path: "all/arp_announce", value: "2" },
];

/** Checks a realdr.sh against the cluster and gives its real server a host name. */
function applyRealServerScript(
  spec: NonNullable<ReturnType<typeof assembleSpec>>,
  source: RealServerScript,
  diagnostics: Diagnostics,
): void {
  const script = readShellScript(source.text, source.file, diagnostics);
  const top = { file: source.file, line: 1, column: 1 };
  const onLo = addressesUp(script, diagnostics).filter((v) => v.interface === "lo");
  if (onLo.length === 0)
    diagnostics.warn("note", top, "the script puts no VIP on lo: in DR the real server drops the VIP's packets");
  for (const vip of onLo)
    if (!spec.vips.includes(vip.address))
      diagnostics.warn("note", vip.at, `${vip.address} is not one of the cluster's VIPs (${spec.vips.join(", ")})`);
  const settings = sysctlWrites(script);
  for (const { path, value } of ARP_SETTINGS) {
    const set = settings.get(path);
    if (set?.value !== value)
      diagnostics.warn(
        "note",
        set?.at ?? top,
        `net.ipv4.conf.${path.replace("/", ".")} is ${set ? `set to ${set.value}` : "not set"} on start, not ${value}: the real server may answer ARP for the VIP`,
      );
  }
  const address = canonicalIp(source.address);
  let found = false;
  for (const service of spec.services)
    for (const rs of service.realServers)
      if (rs.address === address) {
        rs.host = source.host;
        found = true;
      }
  if (!found) diagnostics.warn("note", top, `${source.host} (${address}) is not a real server of any service`);
}

/** `echo N > /proc/sys/net/ipv4/conf/IF/NAME` and `sysctl -w net.ipv4.conf.IF.NAME=N` on start. */
function sysctlWrites(script: ShellScript): Map<string, { value: string; at: SourceLocation }> {
  const writes = new Map<string, { value: string; at: SourceLocation }>();
  for (const command of script.commands) {
    if (!runsOnStart(command) || command.nested) continue;
    const words = command.words.map((w) => w.text);
    if (words[0] === "echo") {
      const redirect = words.findIndex((w) => w.startsWith(">"));
      const target =
        redirect < 0 ? undefined : words[redirect] === ">" ? words[redirect + 1] : words[redirect]?.slice(1);
      const match = /^\/proc\/sys\/net\/ipv4\/conf\/([^/]+\/[a-z_]+)$/.exec(target ?? "");
      if (match && words[1] !== undefined) writes.set(match[1] as string, { value: words[1], at: command.at });
    }
    if (programName(command) === "sysctl") {
      for (const w of words.slice(1)) {
        const match = /^net\.ipv4\.conf\.([^.=]+)\.([a-z_]+)=(\S+)$/.exec(w);
        if (match) writes.set(`${match[1]}/${match[2]}`, { value: match[3] as string, at: command.at });
      }
    }
  }
  return writes;
}
