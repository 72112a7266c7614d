import { SCHEDULERS } from "@lvsfleet/model";
import type {
  ForwardingNode,
  RealServerNode,
  VirtualServerGroupEntry,
  VirtualServerGroupNode,
  VirtualServerNode,
  VirtualServerTarget,
} from "./ast.ts";
import { type Handler, type Handlers, interpret, script, timingHandlers } from "./grammar.ts";
import { REAL_SERVER_UNMODELLED, VIRTUAL_SERVER_UNMODELLED } from "./keywords.ts";
import type { Word } from "./lexer.ts";
import { CHECKER_KEYWORDS, parseChecker } from "./parse-checkers.ts";
import type { Reader } from "./reader.ts";
import type { Statement } from "./syntax.ts";

/** `lvs_method NAT|DR|TUN [type ...]` (also spelt lb_kind). */
function forwarding(statement: Statement, reader: Reader): ForwardingNode | undefined {
  reader.noBlock(statement);
  const words = reader.args(statement, 1, 6);
  if (!words) return undefined;
  const kind = reader.oneOf(words[0] as Word, ["NAT", "DR", "TUN"] as const, "forwarding method");
  if (kind === undefined) return undefined;
  if (kind === "TUN") return { kind, options: words.slice(1).map((w) => w.text) };
  if (words.length > 1) {
    reader.args({ ...statement, args: words, slash: undefined }, 1, 1);
    return undefined;
  }
  return { kind };
}

const setFlag: Handler<VirtualServerNode> = (statement, node, reader) => {
  reader.noBlock(statement);
  if (reader.args(statement, 0, 0)) node.flags.push(statement.keyword.text);
};

const scheduler: Handler<VirtualServerNode> = (statement, node, reader) => {
  const word = reader.one(statement);
  if (word) node.scheduler = reader.oneOf(word, SCHEDULERS, "scheduler");
};

const method: Handler<VirtualServerNode> = (statement, node, reader) => {
  node.forwarding = forwarding(statement, reader);
};

const VIRTUAL_SERVER: Handlers<VirtualServerNode> = {
  ...timingHandlers<VirtualServerNode>((node) => node.checkerDefaults),
  lvs_sched: scheduler,
  lb_algo: scheduler,
  lvs_method: method,
  lb_kind: method,
  protocol: (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) node.protocol = reader.oneOf(word, ["TCP", "UDP", "SCTP"] as const, "protocol", true);
  },
  persistence_timeout: (statement, node, reader) => {
    reader.noBlock(statement);
    const words = reader.args(statement, 0, 1);
    if (!words) return;
    node.persistenceTimeout = words[0] ? reader.uint(words[0], 1, 4294967295, "persistence_timeout") : 360;
  },
  persistence_granularity: (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) node.persistenceGranularity = reader.netmask(word);
  },
  ip_family: (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) node.ipFamily = reader.oneOf(word, ["inet", "inet6"] as const, "ip_family");
  },
  inhibit_on_failure: (statement, node, reader) => {
    node.inhibitOnFailure = reader.flag(statement);
  },
  alpha: (statement, node, reader) => {
    node.alpha = reader.flag(statement) ?? node.alpha;
  },
  omega: (statement, node, reader) => {
    node.omega = reader.flag(statement) ?? node.omega;
  },
  quorum: (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) node.quorum = reader.uint(word, 1, 4294967295, "quorum");
  },
  hysteresis: (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) node.hysteresis = reader.uint(word, 0, 4294967295, "hysteresis");
  },
  quorum_up: (statement, node, reader) => {
    node.quorumUp = script(statement, reader);
  },
  quorum_down: (statement, node, reader) => {
    node.quorumDown = script(statement, reader);
  },
  sorry_server: (statement, node, reader) => {
    reader.noBlock(statement);
    const words = reader.args(statement, 1, 2);
    if (!words) return;
    const address = reader.ip(words[0] as Word, "sorry_server");
    const port = words[1] ? reader.port(words[1]) : undefined;
    if (address) node.sorryServer = { address, port, at: statement.keyword.at };
  },
  sorry_server_inhibit: (statement, node, reader) => {
    node.sorryServerInhibit = reader.flag(statement) ?? node.sorryServerInhibit;
  },
  sorry_server_lvs_method: (statement, node, reader) => {
    node.sorryServerForwarding = forwarding(statement, reader);
  },
  virtualhost: (statement, node, reader) => {
    node.virtualhost = reader.one(statement)?.text;
  },
  snmp_name: (statement, node, reader) => {
    node.name = reader.one(statement)?.text;
  },
  "flag-1": setFlag,
  "flag-2": setFlag,
  "sh-port": setFlag,
  "sh-fallback": setFlag,
  "mh-port": setFlag,
  "mh-fallback": setFlag,
  ops: setFlag,
  real_server: (statement, node, reader) => {
    const rs = parseRealServer(statement, reader, node);
    if (rs) node.realServers.push(rs);
  },
};

function describeTarget(target: VirtualServerTarget): string {
  if (target.kind === "address")
    return `virtual_server ${target.address}${target.port === undefined ? "" : ` ${target.port}`}`;
  if (target.kind === "fwmark") return `virtual_server fwmark ${target.mark}`;
  return `virtual_server group ${target.name}`;
}

export function parseVirtualServer(statement: Statement, reader: Reader): VirtualServerNode | undefined {
  const words = reader.args(statement, 1, 2);
  const block = reader.block(statement);
  if (!words || !block) return undefined;
  const target = virtualServerTarget(words, reader);
  if (!target) return undefined;
  const node: VirtualServerNode = {
    target,
    flags: [],
    alpha: false,
    omega: false,
    sorryServerInhibit: false,
    checkerDefaults: {},
    realServers: [],
    extra: [],
    at: statement.keyword.at,
  };
  interpret(block, describeTarget(target), VIRTUAL_SERVER, VIRTUAL_SERVER_UNMODELLED, node, reader);
  return node;
}

function virtualServerTarget(words: Word[], reader: Reader): VirtualServerTarget | undefined {
  const [first, second] = words as [Word, Word | undefined];
  if (first.text === "fwmark" || first.text === "group") {
    if (!second) {
      reader.invalid(
        first,
        `'virtual_server ${first.text}' needs a ${first.text === "fwmark" ? "mark" : "group name"}`,
      );
      return undefined;
    }
    if (first.text === "group") return { kind: "group", name: second.text };
    const mark = reader.uint(second, 1, 4294967295, "fwmark");
    return mark === undefined ? undefined : { kind: "fwmark", mark };
  }
  const glued = /^([0-9.]+):(\d+)$/.exec(first.text);
  if (glued && !second) {
    reader.invalid(
      first,
      `'${first.raw}' is not an address`,
      `keepalived separates address and port with a space: 'virtual_server ${glued[1]} ${glued[2]}'`,
    );
    return undefined;
  }
  const address = reader.ip(first, "virtual_server");
  const port = second ? reader.port(second) : undefined;
  if (address === undefined || (second && port === undefined)) return undefined;
  return { kind: "address", address, port };
}

const REAL_SERVER: Handlers<RealServerNode> = {
  ...timingHandlers<RealServerNode>((node) => node.checkerDefaults),
  weight: (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) node.weight = reader.uint(word, 0, 65535, "weight");
  },
  lvs_method: (statement, node, reader) => {
    node.forwarding = forwarding(statement, reader);
  },
  inhibit_on_failure: (statement, node, reader) => {
    node.inhibitOnFailure = reader.flag(statement);
  },
  uthreshold: (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) node.upperThreshold = reader.uint(word, 0, 4294967295, "uthreshold");
  },
  lthreshold: (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) node.lowerThreshold = reader.uint(word, 0, 4294967295, "lthreshold");
  },
  virtualhost: (statement, node, reader) => {
    node.virtualhost = reader.one(statement)?.text;
  },
};

function parseRealServer(statement: Statement, reader: Reader, vs: VirtualServerNode): RealServerNode | undefined {
  const words = reader.args(statement, 1, 2);
  const block = reader.block(statement);
  if (!words || !block) return undefined;
  const address = reader.ip(words[0] as Word, "real_server");
  const port = words[1] ? reader.port(words[1]) : undefined;
  if (address === undefined || (words[1] && port === undefined)) return undefined;
  const node: RealServerNode = {
    address,
    port,
    checkerDefaults: {},
    checkers: [],
    extra: [],
    at: statement.keyword.at,
  };
  const where = `real_server ${address}${port === undefined ? "" : ` ${port}`} of ${describeTarget(vs.target)}`;
  const handlers: Handlers<RealServerNode> = { ...REAL_SERVER };
  for (const keyword of CHECKER_KEYWORDS)
    handlers[keyword] = (s, n, r) => {
      const checker = parseChecker(s, r, where);
      if (checker) n.checkers.push(checker);
    };
  interpret(block, where, handlers, REAL_SERVER_UNMODELLED, node, reader);
  return node;
}

/** `virtual_server_group NAME { addr [port] | addr-range [port] | addr/len [port] | fwmark N [inet|inet6] }` */
export function parseVirtualServerGroup(statement: Statement, reader: Reader): VirtualServerGroupNode | undefined {
  const name = reader.args(statement, 1, 1)?.[0];
  const block = reader.block(statement);
  if (!name || !block) return undefined;
  const node: VirtualServerGroupNode = { name: name.text, entries: [], at: statement.keyword.at };
  for (const item of block) {
    reader.noBlock(item);
    const entry = groupEntry(item, reader);
    if (entry) node.entries.push(entry);
  }
  return node;
}

function groupEntry(item: Statement, reader: Reader): VirtualServerGroupEntry | undefined {
  const at = item.keyword.at;
  if (item.keyword.text === "fwmark") {
    const words = reader.args(item, 1, 2);
    if (!words) return undefined;
    const mark = reader.uint(words[0] as Word, 1, 4294967295, "fwmark");
    const family = words[1] ? reader.oneOf(words[1], ["inet", "inet6"] as const, "address family") : undefined;
    return mark === undefined ? undefined : { kind: "fwmark", mark, family, at };
  }
  const words = reader.args(item, 0, 1);
  if (!words) return undefined;
  const port = words[0] ? reader.port(words[0]) : undefined;
  const text = item.keyword.text;
  const cidr = /^([^/]+)\/(\d+)$/.exec(text);
  if (cidr) {
    const address = reader.ipWithPrefix(item.keyword, "virtual_server_group");
    return address ? { kind: "address", address: address.address, prefix: address.prefix, port, at } : undefined;
  }
  const dash = text.lastIndexOf("-");
  if (dash > 0) {
    const first = text.slice(0, dash);
    const rest = text.slice(dash + 1);
    const firstWord = { ...item.keyword, text: first };
    const address = reader.ip(firstWord, "virtual_server_group");
    if (!address) return undefined;
    let last: string | undefined;
    if (/^[0-9a-fA-F]{1,4}$/.test(rest) && !rest.includes(":")) {
      const sep = address.includes(":") ? ":" : ".";
      const parts = address.split(sep);
      const lastPart = address.includes(":") ? Number.parseInt(rest, 16).toString(16) : String(Number(rest));
      last = [...parts.slice(0, -1), lastPart].join(sep);
    } else last = reader.ip({ ...item.keyword, text: rest }, "virtual_server_group range end");
    if (!last) return undefined;
    return { kind: "address", address, last, port, at };
  }
  const address = reader.ip(item.keyword, "virtual_server_group");
  return address ? { kind: "address", address, port, at } : undefined;
}
