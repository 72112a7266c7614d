import {
  type AddressFamily,
  addressFamily,
  type ForwardingMethod,
  flagAppliesTo,
  type IpvsDestinationConfig,
  type IpvsServiceConfig,
  type IpvsTunnel,
  maxPrefixLength,
  type Operation,
  type Protocol,
  parseEndpoint,
  prefixLengthOfNetmask,
  SCHEDULER_FLAGS,
  SCHEDULERS,
  type Scheduler,
  type SchedulerFlag,
} from "@lvsfleet/model";
import { SaveFormatError } from "./format-error.ts";
import { type Token, tokenize } from "./tokens.ts";

/** One line of an `ipvsadm -R` batch: a table operation, or -C (clear the table). */
export type Rule = { kind: "clear"; column: number } | { kind: "operation"; operation: Operation; column: number };

type Command = Operation["op"] | "clear";

const COMMANDS: Record<string, Command> = {
  "-A": "add-service",
  "--add-service": "add-service",
  "-E": "edit-service",
  "--edit-service": "edit-service",
  "-D": "delete-service",
  "--delete-service": "delete-service",
  "-a": "add-destination",
  "--add-server": "add-destination",
  "-e": "edit-destination",
  "--edit-server": "edit-destination",
  "-d": "delete-destination",
  "--delete-server": "delete-destination",
  "-C": "clear",
  "--clear": "clear",
};

/** Long option names for the short ones, so both spellings share one code path. */
const LONG: Record<string, string> = {
  "-t": "--tcp-service",
  "-u": "--udp-service",
  "-f": "--fwmark-service",
  "-6": "--ipv6",
  "-s": "--scheduler",
  "-p": "--persistent",
  "-M": "--netmask",
  "-b": "--sched-flags",
  "-o": "--ops",
  "-r": "--real-server",
  "-g": "--gatewaying",
  "-i": "--ipip",
  "-m": "--masquerading",
  "-w": "--weight",
  "-x": "--u-threshold",
  "-y": "--l-threshold",
};

const TAKES_VALUE = new Set([
  "--tcp-service",
  "--udp-service",
  "--sctp-service",
  "--fwmark-service",
  "--scheduler",
  "--netmask",
  "--sched-flags",
  "--real-server",
  "--weight",
  "--u-threshold",
  "--l-threshold",
  "--tun-type",
  "--tun-port",
  "--pe",
]);
const FLAGS = new Set([
  "--ipv6",
  "--ops",
  "--gatewaying",
  "--ipip",
  "--masquerading",
  "--tun-nocsum",
  "--tun-csum",
  "--tun-remcsum",
]);

const FORWARDING: Record<string, ForwardingMethod> = { "--gatewaying": "dr", "--ipip": "tun", "--masquerading": "nat" };
const SERVICE_PROTOCOL: Record<string, Protocol> = {
  "--tcp-service": "tcp",
  "--udp-service": "udp",
  "--sctp-service": "sctp",
  "--fwmark-service": "fwmark",
};
/** ipvsadm's MAX_TIMEOUT: 31 days. */
const MAX_PERSISTENCE = 2678400;
/** What `-p` without a value means (ipvsadm's DEF_PERSISTENCE... IPVS_SVC_PERSISTENT_TIMEOUT). */
const DEFAULT_PERSISTENCE = 360;
const INT_MAX = 2147483647;

interface Option {
  name: string;
  /** The spelling used in the text, for messages. */
  spelled: string;
  value: string | undefined;
  column: number;
  valueColumn: number;
}

/** Parses one non-blank line of `ipvsadm -S` / `ipvsadm -R` text; `line` is its 1-based number. */
export function parseRule(text: string, line: number): Rule {
  const fail = (column: number, reason: string): never => {
    throw new SaveFormatError(line, column, reason);
  };
  const tokens = tokenize(text);
  let command: { command: Command; token: Token } | undefined;
  const options = new Map<string, Option>();

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    const found = COMMANDS[token.text];
    if (found) {
      if (command) fail(token.column, `expected one command per line, found ${token.text} after ${command.token.text}`);
      command = { command: found, token };
      continue;
    }
    const [spelled, inline] = splitInlineValue(token.text);
    const name = LONG[spelled] ?? spelled;
    if (!TAKES_VALUE.has(name) && !FLAGS.has(name) && name !== "--persistent")
      fail(token.column, `expected an ipvsadm option, found ${JSON.stringify(token.text)}`);
    if (options.has(name)) fail(token.column, `option ${spelled} is given twice`);
    let value = inline;
    let valueColumn = token.column + spelled.length + 1;
    const next = tokens[i + 1];
    if (value === undefined && TAKES_VALUE.has(name)) {
      if (!next) fail(token.column + token.text.length, `expected a value after ${spelled}`);
      value = (next as Token).text;
      valueColumn = (next as Token).column;
      i++;
    } else if (value === undefined && name === "--persistent" && next && /^\d+$/.test(next.text)) {
      value = next.text;
      valueColumn = next.column;
      i++;
    } else if (value !== undefined && FLAGS.has(name)) {
      fail(token.column, `option ${spelled} takes no value`);
    }
    options.set(name, { name, spelled, value, column: token.column, valueColumn });
  }
  if (!command) return fail(tokens[0]?.column ?? 1, "expected a command (-A, -E, -D, -a, -e, -d or -C) on this line");

  const allowed = ALLOWED[command.command];
  for (const option of options.values())
    if (!allowed.has(option.name))
      fail(option.column, `option ${option.spelled} is not allowed with ${command.token.text}`);

  if (command.command === "clear") return { kind: "clear", column: command.token.column };

  const service = parseServiceSelector(options, command.token, fail);
  if (command.command === "add-service" || command.command === "edit-service")
    Object.assign(service, parseServiceSettings(options, service, fail));
  const operation = ((): Operation => {
    switch (command.command) {
      case "add-service":
      case "edit-service":
      case "delete-service":
        return { op: command.command, service };
      default:
        return {
          op: command.command,
          service,
          destination: parseDestination(options, service, command.command, command.token, fail),
        };
    }
  })();
  return { kind: "operation", operation, column: command.token.column };
}

type Fail = (column: number, reason: string) => never;

const SERVICE_OPTIONS = ["--tcp-service", "--udp-service", "--sctp-service", "--fwmark-service", "--ipv6"];
const SERVICE_SETTINGS = ["--scheduler", "--persistent", "--netmask", "--sched-flags", "--ops", "--pe"];
const DESTINATION_SETTINGS = [
  "--gatewaying",
  "--ipip",
  "--masquerading",
  "--weight",
  "--u-threshold",
  "--l-threshold",
  "--tun-type",
  "--tun-port",
  "--tun-nocsum",
  "--tun-csum",
  "--tun-remcsum",
];
const ALLOWED: Record<Command, Set<string>> = {
  "add-service": new Set([...SERVICE_OPTIONS, ...SERVICE_SETTINGS]),
  "edit-service": new Set([...SERVICE_OPTIONS, ...SERVICE_SETTINGS]),
  "delete-service": new Set(SERVICE_OPTIONS),
  "add-destination": new Set([...SERVICE_OPTIONS, "--real-server", ...DESTINATION_SETTINGS]),
  "edit-destination": new Set([...SERVICE_OPTIONS, "--real-server", ...DESTINATION_SETTINGS]),
  "delete-destination": new Set([...SERVICE_OPTIONS, "--real-server"]),
  clear: new Set(),
};

function splitInlineValue(text: string): [string, string | undefined] {
  const eq = text.startsWith("--") ? text.indexOf("=") : -1;
  return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
}

function parseServiceSelector(options: Map<string, Option>, command: Token, fail: Fail): IpvsServiceConfig {
  const given = Object.keys(SERVICE_PROTOCOL).flatMap((name) => {
    const option = options.get(name);
    return option ? [option] : [];
  });
  if (given.length === 0)
    return fail(command.column, `expected a service after ${command.text}: -t, -u, --sctp-service or -f`);
  if (given.length > 1) return fail((given[1] as Option).column, "expected only one of -t, -u, --sctp-service and -f");
  const option = given[0] as Option;
  const protocol = SERVICE_PROTOCOL[option.name] as Protocol;
  const value = option.value ?? "";
  const ipv6 = options.get("--ipv6");
  const base = { scheduler: "wlc" as Scheduler, schedulerFlags: [] as SchedulerFlag[] };
  if (protocol === "fwmark") {
    const fwmark = parseInteger(value, 1, 4294967295);
    if (fwmark === undefined)
      return fail(option.valueColumn, `expected a firewall mark from 1 to 4294967295, found ${JSON.stringify(value)}`);
    return { protocol, fwmark, family: ipv6 ? "inet6" : "inet", ...base };
  }
  if (ipv6) return fail(ipv6.column, `option ${ipv6.spelled} is only for fwmark services (-f)`);
  const endpoint = parseEndpoint(value);
  if (!endpoint)
    return fail(
      option.valueColumn,
      `expected a numeric address and port (192.0.2.1:80 or [2001:db8::1]:80), found ${JSON.stringify(value)}`,
    );
  return {
    protocol,
    address: endpoint.address,
    port: endpoint.port ?? 0,
    family: addressFamily(endpoint.address),
    ...base,
  };
}

function parseServiceSettings(
  options: Map<string, Option>,
  service: IpvsServiceConfig,
  fail: Fail,
): Partial<IpvsServiceConfig> {
  const settings: Partial<IpvsServiceConfig> = {};
  const scheduler = options.get("--scheduler");
  if (scheduler) {
    if (!(SCHEDULERS as readonly string[]).includes(scheduler.value ?? ""))
      fail(
        scheduler.valueColumn,
        `expected a scheduler (${SCHEDULERS.join(", ")}), found ${JSON.stringify(scheduler.value)}`,
      );
    settings.scheduler = scheduler.value as Scheduler;
  }
  const schedulerName = settings.scheduler ?? service.scheduler;
  const flags = options.get("--sched-flags");
  if (flags) {
    const list = (flags.value ?? "").split(",");
    let column = flags.valueColumn;
    for (const flag of list) {
      if (!(SCHEDULER_FLAGS as readonly string[]).includes(flag))
        fail(column, `expected a scheduler flag (${SCHEDULER_FLAGS.join(", ")}), found ${JSON.stringify(flag)}`);
      if (!flagAppliesTo(flag as SchedulerFlag, schedulerName))
        fail(column, `scheduler flag ${flag} does not apply to the ${schedulerName} scheduler`);
      column += flag.length + 1;
    }
    settings.schedulerFlags = [...new Set(list as SchedulerFlag[])].sort();
  }
  const persistent = options.get("--persistent");
  const netmask = options.get("--netmask");
  if (persistent) {
    const timeout =
      persistent.value === undefined ? DEFAULT_PERSISTENCE : parseInteger(persistent.value, 1, MAX_PERSISTENCE);
    if (timeout === undefined)
      fail(
        persistent.valueColumn,
        `expected a persistence timeout from 1 to ${MAX_PERSISTENCE} seconds, found ${JSON.stringify(persistent.value)}`,
      );
    settings.persistence = {
      timeout: timeout as number,
      netmask: netmask ? parseNetmask(netmask, service.family, fail) : maxPrefixLength(service.family),
    };
  } else if (netmask) {
    fail(netmask.column, `option ${netmask.spelled} needs a persistent service (-p)`);
  } else if (service.protocol !== "fwmark" && service.port === 0) {
    const selector = options.get(`--${service.protocol}-service`);
    fail(selector?.valueColumn ?? 1, "expected a port: port 0 (all ports) needs a persistent service (-p)");
  }
  const ops = options.get("--ops");
  if (ops) {
    if (service.protocol !== "udp") fail(ops.column, "one-packet scheduling (-o) is only for UDP services");
    settings.onePacket = true;
  }
  const pe = options.get("--pe");
  if (pe) fail(pe.column, `persistence engines (--pe ${pe.value}) are not supported`);
  return settings;
}

function parseNetmask(option: Option, family: AddressFamily, fail: Fail): number {
  const value = option.value ?? "";
  const prefix = family === "inet" ? prefixLengthOfNetmask(value) : parseInteger(value, 1, maxPrefixLength(family));
  if (prefix === undefined)
    return fail(
      option.valueColumn,
      family === "inet"
        ? `expected a contiguous IPv4 netmask such as 255.255.255.0, found ${JSON.stringify(value)}`
        : `expected an IPv6 prefix length from 1 to 128, found ${JSON.stringify(value)}`,
    );
  return prefix;
}

function parseDestination(
  options: Map<string, Option>,
  service: IpvsServiceConfig,
  command: Operation["op"],
  commandToken: Token,
  fail: Fail,
): IpvsDestinationConfig {
  const server = options.get("--real-server");
  if (!server) return fail(commandToken.column, `expected a real server (-r) after ${commandToken.text}`);
  const endpoint = parseEndpoint(server.value ?? "");
  if (!endpoint)
    return fail(
      server.valueColumn,
      `expected a numeric real server address, with an optional port, found ${JSON.stringify(server.value)}`,
    );
  const methods = Object.keys(FORWARDING).flatMap((name) => {
    const option = options.get(name);
    return option ? [option] : [];
  });
  if (methods.length > 1) fail((methods[1] as Option).column, "expected only one of -g, -i and -m");
  const forwarding = methods[0] ? (FORWARDING[methods[0].name] as ForwardingMethod) : "dr";
  if (addressFamily(endpoint.address) !== service.family && forwarding !== "tun")
    fail(server.valueColumn, "a real server of another address family is only allowed for tunnelling (-i)");
  const number = (name: string, max: number, fallback: number): number => {
    const option = options.get(name);
    if (!option) return fallback;
    const n = parseInteger(option.value ?? "", 0, max);
    if (n === undefined)
      return fail(
        option.valueColumn,
        `expected ${option.spelled} from 0 to ${max}, found ${JSON.stringify(option.value)}`,
      );
    return n;
  };
  // ipvsadm: the real server's port defaults to the service's, and DR/TUN cannot change the port.
  const servicePort = service.protocol === "fwmark" ? 0 : (service.port ?? 0);
  const samePort = service.protocol !== "fwmark" && forwarding !== "nat" && command !== "delete-destination";
  const destination: IpvsDestinationConfig = {
    address: endpoint.address,
    port: samePort ? servicePort : (endpoint.port ?? servicePort),
    forwarding,
    weight: number("--weight", 65535, 1),
    upperThreshold: number("--u-threshold", INT_MAX, 0),
    lowerThreshold: number("--l-threshold", INT_MAX, 0),
  };
  const tunnel = parseTunnel(options, forwarding, fail);
  if (tunnel) destination.tunnel = tunnel;
  return destination;
}

const CHECKSUMS = { "--tun-nocsum": "nocsum", "--tun-csum": "csum", "--tun-remcsum": "remcsum" } as const;

/** The tunnel options, checked as ipvsadm's tunnel_types_v_options table does; undefined for plain ipip. */
function parseTunnel(options: Map<string, Option>, forwarding: ForwardingMethod, fail: Fail): IpvsTunnel | undefined {
  const type = options.get("--tun-type");
  const port = options.get("--tun-port");
  const checksums = (Object.keys(CHECKSUMS) as (keyof typeof CHECKSUMS)[]).flatMap((name) => {
    const option = options.get(name);
    return option ? [{ option, mode: CHECKSUMS[name] }] : [];
  });
  const first = type ?? port ?? checksums[0]?.option;
  if (!first) return undefined;
  if (forwarding !== "tun") return fail(first.column, `option ${first.spelled} is only for tunnelling (-i)`);
  const kind = type?.value ?? "ipip";
  if (kind !== "ipip" && kind !== "gue" && kind !== "gre")
    return fail(type?.valueColumn ?? 1, `expected a tunnel type (ipip, gue or gre), found ${JSON.stringify(kind)}`);
  if (checksums.length > 1)
    fail(
      (checksums[1] as { option: Option }).option.column,
      "expected only one of --tun-nocsum, --tun-csum and --tun-remcsum",
    );
  const checksum = checksums[0];
  if (kind === "ipip") {
    const extra = port ?? checksum?.option;
    if (extra) fail(extra.column, `option ${extra.spelled} is not allowed with --tun-type ipip`);
    return undefined;
  }
  if (kind === "gre" && port) fail(port.column, "option --tun-port is not allowed with --tun-type gre");
  if (kind === "gre" && checksum?.mode === "remcsum")
    fail(checksum.option.column, "option --tun-remcsum is not allowed with --tun-type gre");
  const tunnel: IpvsTunnel = { type: kind, checksum: checksum?.mode ?? "nocsum" };
  if (kind === "gue") {
    if (!port) return fail(type?.column ?? 1, "expected --tun-port with --tun-type gue");
    const n = parseInteger(port.value ?? "", 1, 65535);
    if (n === undefined)
      return fail(port.valueColumn, `expected a tunnel port from 1 to 65535, found ${JSON.stringify(port.value)}`);
    tunnel.port = n;
  }
  return tunnel;
}

function parseInteger(text: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}
