import type { NotifyNodes, VrrpInstanceNode, VrrpSyncGroupNode } from "./ast.ts";
import { type Handlers, interpret, script } from "./grammar.ts";
import { VRRP_INSTANCE_UNMODELLED, VRRP_SYNC_GROUP_UNMODELLED } from "./keywords.ts";
import type { Reader } from "./reader.ts";
import type { Statement } from "./syntax.ts";

const NOTIFY_KEYWORDS: Record<string, keyof NotifyNodes> = {
  notify_master: "master",
  notify_backup: "backup",
  notify_fault: "fault",
  notify_stop: "stop",
  notify: "any",
};

function notifyHandlers<T extends { notify: NotifyNodes }>(): Handlers<T> {
  return Object.fromEntries(
    Object.entries(NOTIFY_KEYWORDS).map(([keyword, field]) => [
      keyword,
      (statement: Statement, node: T, reader: Reader) => {
        node.notify[field] = script(statement, reader);
      },
    ]),
  );
}

const INSTANCE: Handlers<VrrpInstanceNode> = {
  state: (statement, node, reader) => {
    const word = reader.one(statement);
    if (!word) return;
    if (word.text === "MASTER" || word.text === "BACKUP") node.state = word.text;
    else if (word.text.toUpperCase() === "BACKUP") {
      reader.diagnostics.repair(
        word.at,
        `read 'state ${word.raw}' as BACKUP`,
        "keepalived only knows MASTER and BACKUP in capitals; it too falls back to BACKUP, but reports an error",
      );
      node.state = "BACKUP";
    } else if (word.text.toUpperCase() === "MASTER")
      reader.invalid(
        word,
        `'state ${word.raw}': keepalived does not know '${word.raw}' and silently starts this instance as BACKUP`,
        "write MASTER in capitals if this director should start as master, or BACKUP if not",
      );
    else node.state = reader.oneOf(word, ["MASTER", "BACKUP"] as const, "state");
  },
  interface: (statement, node, reader) => {
    node.interface = reader.one(statement)?.text;
  },
  virtual_router_id: (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) node.virtualRouterId = reader.uint(word, 1, 255, "virtual_router_id");
  },
  priority: (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) node.priority = reader.uint(word, 1, 255, "priority");
  },
  advert_int: (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) node.advertInt = reader.seconds(word, "advert_int", 255);
  },
  version: (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) {
      const version = reader.oneOf(word, ["2", "3"] as const, "VRRP version");
      node.version = version === undefined ? undefined : version === "2" ? 2 : 3;
    }
  },
  authentication: (statement, node, reader) => {
    reader.args(statement, 0, 0);
    const block = reader.block(statement);
    if (!block) return;
    const auth: NonNullable<VrrpInstanceNode["authentication"]> = {};
    const holder = { extra: node.extra };
    interpret(
      block,
      "authentication",
      {
        auth_type: (s, _n, r) => {
          const word = r.one(s);
          if (word) auth.type = r.oneOf(word, ["PASS", "AH"] as const, "auth_type");
        },
        auth_pass: (s, _n, r) => {
          const word = r.one(s);
          if (!word) return;
          if (word.text.length > 8)
            r.diagnostics.warn(
              "note",
              word.at,
              `auth_pass '${word.text}' is longer than 8 characters; keepalived uses only '${word.text.slice(0, 8)}'`,
            );
          auth.password = word.text.slice(0, 8);
        },
      },
      [],
      holder,
      reader,
    );
    node.authentication = auth;
  },
  virtual_ipaddress: (statement, node, reader) => {
    reader.args(statement, 0, 0);
    for (const item of reader.block(statement) ?? []) {
      reader.noBlock(item);
      if (item.slash)
        reader.diagnostics.repair(
          item.slash.at,
          `read '${item.slash.raw}' after the address as a comment`,
          "use '#' or '!' for comments",
        );
      const address = reader.ipWithPrefix(item.keyword, "virtual_ipaddress");
      if (address)
        node.virtualIpAddresses.push({ ...address, options: item.args.map((w) => w.text), at: item.keyword.at });
    }
  },
  mcast_src_ip: (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) node.mcastSrcIp = reader.ip(word, "mcast_src_ip");
  },
  unicast_src_ip: (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) node.unicastSrcIp = reader.ip(word, "unicast_src_ip");
  },
  unicast_peer: (statement, node, reader) => {
    reader.args(statement, 0, 0);
    for (const item of reader.block(statement) ?? []) {
      reader.noBlock(item);
      if (item.slash)
        reader.diagnostics.repair(
          item.slash.at,
          `read '${item.slash.raw}' after the address as a comment`,
          "use '#' or '!' for comments",
        );
      const address = reader.ip(item.keyword, "unicast_peer");
      if (address) node.unicastPeers.push({ address, options: item.args.map((w) => w.text) });
    }
  },
  nopreempt: (statement, node, reader) => {
    reader.noBlock(statement);
    if (reader.args(statement, 0, 0)) node.nopreempt = true;
  },
  preempt: (statement, node, reader) => {
    reader.noBlock(statement);
    if (reader.args(statement, 0, 0)) node.nopreempt = false;
  },
  preempt_delay: (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) node.preemptDelay = reader.seconds(word, "preempt_delay", 1000);
  },
  garp_master_repeat: garp("repeat", "garp_master_repeat", 1, 255),
  garp_master_delay: garp("delay", "garp_master_delay", 0, 255),
  garp_master_refresh: garp("refresh", "garp_master_refresh", 0, 86400),
  garp_master_refresh_repeat: garp("refreshRepeat", "garp_master_refresh_repeat", 1, 255),
  ...notifyHandlers<VrrpInstanceNode>(),
};

/** The gratuitous-ARP settings: whole numbers (keepalived rejects fractions of a second here). */
function garp(
  field: keyof NonNullable<VrrpInstanceNode["garp"]>,
  what: string,
  min: number,
  max: number,
): (statement: Statement, node: VrrpInstanceNode, reader: Reader) => void {
  return (statement, node, reader) => {
    const word = reader.one(statement);
    const value = word && reader.uint(word, min, max, what);
    if (value !== undefined) node.garp = { ...node.garp, [field]: value };
  };
}

export function parseVrrpInstance(statement: Statement, reader: Reader): VrrpInstanceNode | undefined {
  const name = reader.args(statement, 1, 1)?.[0];
  const block = reader.block(statement);
  if (!name || !block) return undefined;
  const node: VrrpInstanceNode = {
    name: name.text,
    virtualIpAddresses: [],
    unicastPeers: [],
    nopreempt: false,
    notify: {},
    extra: [],
    at: statement.keyword.at,
  };
  interpret(block, `vrrp_instance ${name.text}`, INSTANCE, VRRP_INSTANCE_UNMODELLED, node, reader);
  return node;
}

const SYNC_GROUP: Handlers<VrrpSyncGroupNode> = {
  group: (statement, node, reader) => {
    reader.args(statement, 0, 0);
    for (const item of reader.block(statement) ?? []) {
      reader.noBlock(item);
      if (item.slash)
        reader.diagnostics.repair(
          item.slash.at,
          `read '${item.slash.raw}' after the instance name as a comment`,
          "use '#' or '!' for comments",
        );
      if (item.args.length > 0) reader.args(item, 0, 0);
      node.instances.push(item.keyword.text);
    }
  },
  ...notifyHandlers<VrrpSyncGroupNode>(),
};

export function parseVrrpSyncGroup(statement: Statement, reader: Reader): VrrpSyncGroupNode | undefined {
  const name = reader.args(statement, 1, 1)?.[0];
  const block = reader.block(statement);
  if (!name || !block) return undefined;
  const node: VrrpSyncGroupNode = { name: name.text, instances: [], notify: {}, extra: [], at: statement.keyword.at };
  const where = `vrrp_sync_group ${name.text}`;
  interpret(block, where, SYNC_GROUP, VRRP_SYNC_GROUP_UNMODELLED, node, reader, (s, _n, r) =>
    r.unknown(
      s,
      where,
      [...Object.keys(SYNC_GROUP), ...VRRP_SYNC_GROUP_UNMODELLED],
      s.args.length === 0 && !s.block
        ? `if '${s.keyword.raw}' is a vrrp_instance, list it inside 'group { ... }': keepalived 2 no longer reads the 1.x form without 'group'`
        : undefined,
    ),
  );
  return node;
}
