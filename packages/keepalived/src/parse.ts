import { emptyConfig, type GlobalDefs, type KeepalivedConfig } from "./ast.ts";
import { type Diagnostic, Diagnostics, sortByPosition } from "./diagnostics.ts";
import type { ConfigFiles } from "./files.ts";
import { type Handlers, interpret } from "./grammar.ts";
import { GLOBAL_DEFS_UNMODELLED, TOP_LEVEL_UNMODELLED } from "./keywords.ts";
import { parseVirtualServer, parseVirtualServerGroup } from "./parse-lvs.ts";
import { parseVrrpInstance, parseVrrpSyncGroup } from "./parse-vrrp.ts";
import { Reader, raw } from "./reader.ts";
import { readStatements, readStatementsFromText, type Statement } from "./syntax.ts";

export interface ParseOptions {
  /** Turn every repair of copy-paste damage into an error. */
  strict?: boolean;
}

export interface ParseResult {
  /** What was understood; complete only when `ok`. */
  config: KeepalivedConfig;
  /** No errors (warnings allowed). */
  ok: boolean;
  diagnostics: Diagnostic[];
}

/** Parses a keepalived.conf and the files it includes. */
export function parseKeepalived(path: string, files: ConfigFiles, options: ParseOptions = {}): ParseResult {
  const diagnostics = new Diagnostics(options.strict);
  return interpretTop(readStatements(path, files, diagnostics), diagnostics);
}

/** Parses keepalived.conf text on its own (an `include` in it is an error). */
export function parseKeepalivedText(text: string, file = "keepalived.conf", options: ParseOptions = {}): ParseResult {
  const diagnostics = new Diagnostics(options.strict);
  return interpretTop(readStatementsFromText(text, file, diagnostics), diagnostics);
}

const GLOBAL_DEFS: Handlers<GlobalDefs> = {
  router_id: (statement, node, reader) => {
    node.routerId = reader.one(statement)?.text;
  },
  // Export writes these two whenever the spec has scripts (keepalived refuses to run scripts
  // without them); lvsfleet's agents set them the same way, so they are read without a warning.
  enable_script_security: (statement, node, reader) => {
    reader.noBlock(statement);
    if (reader.args(statement, 0, 0)) node.extra.push(raw(statement));
  },
  script_user: (statement, node, reader) => {
    reader.noBlock(statement);
    if (reader.args(statement, 1, 2)) node.extra.push(raw(statement));
  },
};

type Top = KeepalivedConfig;

const TOP: Handlers<Top> = {
  global_defs: (statement, config, reader) => {
    reader.args(statement, 0, 0);
    const block = reader.block(statement);
    if (!block) return;
    const node: GlobalDefs = config.globalDefs ?? { extra: [], at: statement.keyword.at };
    interpret(block, "global_defs", GLOBAL_DEFS, GLOBAL_DEFS_UNMODELLED, node, reader);
    config.globalDefs = node;
  },
  vrrp_instance: (statement, config, reader) => {
    const node = parseVrrpInstance(statement, reader);
    if (node) config.vrrpInstances.push(node);
  },
  vrrp_sync_group: (statement, config, reader) => {
    const node = parseVrrpSyncGroup(statement, reader);
    if (node) config.vrrpSyncGroups.push(node);
  },
  virtual_server_group: (statement, config, reader) => {
    const node = parseVirtualServerGroup(statement, reader);
    if (node) config.virtualServerGroups.push(node);
  },
  virtual_server: (statement, config, reader) => {
    const node = parseVirtualServer(statement, reader);
    if (node) config.virtualServers.push(node);
  },
};

function interpretTop(statements: Statement[], diagnostics: Diagnostics): ParseResult {
  const config = emptyConfig();
  interpret(statements, "the top level", TOP, TOP_LEVEL_UNMODELLED, config, new Reader(diagnostics));
  const list = sortByPosition(diagnostics.list);
  return { config, ok: !list.some((d) => d.severity === "error"), diagnostics: list };
}
