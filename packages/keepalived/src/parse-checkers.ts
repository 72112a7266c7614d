import type { CheckerNode, HttpCheckNode, MiscCheckNode, TcpCheckNode, UrlNode } from "./ast.ts";
import { commandLine, type Handlers, interpret, timingHandlers } from "./grammar.ts";
import {
  CHECKER_UNMODELLED,
  HTTP_CHECK_UNMODELLED,
  MISC_CHECK_UNMODELLED,
  UNMODELLED_CHECKERS,
  URL_UNMODELLED,
} from "./keywords.ts";
import { type Reader, raw } from "./reader.ts";
import type { Statement } from "./syntax.ts";

export const CHECKER_KEYWORDS = ["TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK", ...UNMODELLED_CHECKERS];

type Connected = TcpCheckNode | HttpCheckNode;

function connectionHandlers<T extends Connected>(): Handlers<T> {
  return {
    connect_ip: (statement, node, reader) => {
      const word = reader.one(statement);
      if (word) node.connectIp = reader.ip(word, "connect_ip");
    },
    connect_port: (statement, node, reader) => {
      const word = reader.one(statement);
      if (word) node.connectPort = reader.uint(word, 1, 65535, "connect_port");
    },
    bindto: (statement, node, reader) => {
      const word = reader.one(statement);
      if (word) node.bindTo = reader.ip(word, "bindto");
    },
  };
}

const TCP: Handlers<TcpCheckNode> = {
  ...connectionHandlers<TcpCheckNode>(),
  ...timingHandlers<TcpCheckNode>((node) => node),
};

const URL: Handlers<UrlNode> = {
  path: (statement, node, reader) => {
    reader.noBlock(statement);
    node.path = reader.args(statement, 1, 1, { free: true })?.[0]?.text;
  },
  digest: (statement, node, reader) => {
    const word = reader.one(statement);
    if (!word) return;
    if (/^[0-9a-fA-F]{32}$/.test(word.text)) node.digest = word.text.toLowerCase();
    else reader.invalid(word, `digest '${word.raw}' is not an MD5 digest (32 hex digits, as genhash prints)`);
  },
  status_code: (statement, node, reader) => {
    reader.noBlock(statement);
    const words = reader.args(statement, 1, 64);
    if (!words) return;
    const codes: string[] = [];
    for (const word of words) {
      const m = /^([1-5]\d\d)(?:-([1-5]\d\d))?$/.exec(word.text);
      if (m && (m[2] === undefined || Number(m[1]) <= Number(m[2]))) codes.push(word.text);
      else reader.invalid(word, `status_code '${word.raw}' is not a status code (100-599) or range such as 200-299`);
    }
    node.statusCodes = codes;
  },
  virtualhost: (statement, node, reader) => {
    node.virtualhost = reader.one(statement)?.text;
  },
};

const HTTP: Handlers<HttpCheckNode> = {
  ...connectionHandlers<HttpCheckNode>(),
  ...timingHandlers<HttpCheckNode>((node) => node),
  url: (statement, node, reader) => {
    reader.args(statement, 0, 0);
    const block = reader.block(statement);
    if (!block) return;
    const url: UrlNode = { extra: [], at: statement.keyword.at };
    interpret(block, "url", URL, URL_UNMODELLED, url, reader);
    if (url.path === undefined)
      reader.diagnostics.error(
        "value",
        statement.keyword.at,
        "url needs a path",
        "add 'path /' (or the path to check)",
      );
    node.urls.push(url);
  },
  virtualhost: (statement, node, reader) => {
    node.virtualhost = reader.one(statement)?.text;
  },
  enable_sni: (statement, node, reader) => {
    node.enableSni = reader.flag(statement) ?? node.enableSni;
  },
};

const { connect_timeout: _noConnectTimeout, ...miscTiming } = timingHandlers<MiscCheckNode>((node) => node);

/** MISC_CHECK has the timing of the other checkers except connect_timeout (misc_timeout instead). */
const MISC: Handlers<MiscCheckNode> = {
  ...miscTiming,
  misc_path: (statement, node, reader) => {
    reader.noBlock(statement);
    const words = reader.scriptArgs(statement, 1, 64);
    if (words) node.path = { command: commandLine(words) };
  },
  misc_timeout: (statement, node, reader) => {
    const word = reader.one(statement);
    // Whole seconds; 0 is keepalived's "not set" (the virtual server's delay_loop).
    const seconds = word && reader.uint(word, 0, 2147483, "misc_timeout");
    if (seconds !== undefined) node.timeout = seconds || undefined;
  },
  misc_dynamic: (statement, node, reader) => {
    node.dynamic = reader.flag(statement) ?? node.dynamic;
  },
};

export function parseChecker(statement: Statement, reader: Reader, where: string): CheckerNode | undefined {
  const type = statement.keyword.text;
  const at = statement.keyword.at;
  if (UNMODELLED_CHECKERS.includes(type)) {
    reader.diagnostics.warn(
      "unmodelled",
      at,
      `${type} in ${where} is kept but lvsfleet has no such checker: the real server will not be checked this way`,
      "add a TCP_CHECK, HTTP_GET or MISC_CHECK if the server needs a health check lvsfleet runs",
    );
    return { type: "OTHER", statement: raw(statement), at };
  }
  reader.args(statement, 0, 0);
  const block = reader.block(statement);
  if (!block) return undefined;
  const context = `${type} of ${where}`;
  switch (type) {
    case "TCP_CHECK": {
      const node: TcpCheckNode = { type, extra: [], at };
      interpret(block, context, TCP, CHECKER_UNMODELLED, node, reader);
      return node;
    }
    case "HTTP_GET":
    case "SSL_GET": {
      const node: HttpCheckNode = { type, urls: [], enableSni: false, extra: [], at };
      interpret(block, context, HTTP, [...CHECKER_UNMODELLED, ...HTTP_CHECK_UNMODELLED], node, reader);
      if (node.urls.length === 0)
        reader.diagnostics.error("value", at, `${type} needs at least one url { path ... } block`);
      return node;
    }
    case "MISC_CHECK": {
      const node: MiscCheckNode = { type, dynamic: false, extra: [], at };
      interpret(block, context, MISC, [...CHECKER_UNMODELLED, ...MISC_CHECK_UNMODELLED], node, reader);
      if (node.path === undefined) reader.diagnostics.error("value", at, "MISC_CHECK needs a misc_path");
      return node;
    }
  }
  return undefined;
}
