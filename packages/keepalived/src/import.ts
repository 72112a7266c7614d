import type { ClusterSpec, SuggestedScript } from "@lvsfleet/model";
import type { KeepalivedConfig } from "./ast.ts";
import { type Diagnostic, Diagnostics, sortByPosition } from "./diagnostics.ts";
import type { ConfigFiles } from "./files.ts";
import { ImportedScripts } from "./imported-scripts.ts";
import { parseKeepalived, parseKeepalivedText } from "./parse.ts";
import { type DirectorIdentity, toClusterSpec } from "./to-spec.ts";

/** One keepalived.conf to import, usually one per director. */
export interface KeepalivedSource {
  /** Path of the main file; `include`s are resolved relative to the file that contains them. */
  path: string;
  /**
   * The director this file configures. Without it the importer takes router_id as the host name and
   * unicast_src_ip/mcast_src_ip as the address, and leaves the vrrp_instance out (with a warning)
   * when they are missing.
   */
  director?: DirectorIdentity | undefined;
}

export interface ImportOptions {
  /** Where the files are read from (nodeFiles from @lvsfleet/keepalived/files for the disk, memoryFiles in tests). */
  files: ConfigFiles;
  /** The cluster's name; keepalived.conf has none (default: derived from router_id). */
  name?: string | undefined;
  /** Turn every repair of copy-paste damage into an error. */
  strict?: boolean | undefined;
}

export type ImportResult =
  | {
      ok: true;
      spec: ClusterSpec;
      /** The parsed files, in the order given. */
      configs: KeepalivedConfig[];
      /** Warnings only. */
      diagnostics: Diagnostic[];
      /**
       * The `scripts` section every director's --actions-file needs for the spec: the programs the
       * files ran (misc_path, quorum_up/down, notify*), under the names the spec gives them. Empty
       * when the files run none.
       */
      scripts: Record<string, SuggestedScript>;
    }
  | { ok: false; diagnostics: Diagnostic[] };

/**
 * Imports keepalived.conf files into one ClusterSpec: each file is one director's configuration
 * (they must agree on everything but state, priority and unicast_src_ip). Succeeds only without
 * errors; every repair and every kept-but-unused keyword is in `diagnostics` with file, line, column.
 */
export function importKeepalived(sources: KeepalivedSource[], options: ImportOptions): ImportResult {
  const parsed = sources.map((source) => ({
    source,
    result: parseKeepalived(source.path, options.files, { strict: options.strict ?? false }),
  }));
  return finish(
    parsed.map(({ source, result }) => ({ file: source.path, director: source.director, result })),
    options,
  );
}

/** Imports one keepalived.conf given as text (an `include` in it is an error). */
export function importKeepalivedText(
  text: string,
  options: Omit<ImportOptions, "files"> & { file?: string; director?: DirectorIdentity | undefined } = {},
): ImportResult {
  const file = options.file ?? "keepalived.conf";
  const result = parseKeepalivedText(text, file, { strict: options.strict ?? false });
  return finish([{ file, director: options.director, result }], options);
}

function finish(
  parsed: { file: string; director: DirectorIdentity | undefined; result: ReturnType<typeof parseKeepalived> }[],
  options: { name?: string | undefined; strict?: boolean | undefined },
): ImportResult {
  const parseDiagnostics = parsed.flatMap((p) => p.result.diagnostics);
  if (parsed.some((p) => !p.result.ok)) return { ok: false, diagnostics: parseDiagnostics };
  const mapping = new Diagnostics(options.strict ?? false);
  const scripts = new ImportedScripts(mapping);
  const spec = toClusterSpec(
    parsed.map((p) => ({ file: p.file, config: p.result.config, director: p.director })),
    { name: options.name },
    mapping,
    scripts,
  );
  const diagnostics = sortByPosition([...parseDiagnostics, ...mapping.list]);
  if (!spec || mapping.errors.length > 0) return { ok: false, diagnostics };
  return { ok: true, spec, configs: parsed.map((p) => p.result.config), diagnostics, scripts: scripts.section() };
}
