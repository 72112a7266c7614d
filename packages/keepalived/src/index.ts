export type * from "./ast.ts";
export {
  type Diagnostic,
  type DiagnosticCode,
  Diagnostics,
  formatDiagnostic,
  type SourceLocation,
  sortByPosition,
} from "./diagnostics.ts";
export { type ExportOptions, type ExportResult, exportKeepalived } from "./export.ts";
export { type AllowlistScripts, EXPORTED_SCRIPT_DIR } from "./exported-scripts.ts";
export { type ConfigFiles, memoryFiles } from "./files.ts";
export { fromClusterSpec } from "./from-spec.ts";
export {
  type ImportOptions,
  type ImportResult,
  importKeepalived,
  importKeepalivedText,
  type KeepalivedSource,
} from "./import.ts";
export { ImportedScripts } from "./imported-scripts.ts";
export { type LinePosition, type RepairedLine, repairLine } from "./lexer.ts";
export { type ParseOptions, type ParseResult, parseKeepalived, parseKeepalivedText } from "./parse.ts";
export { renderKeepalived } from "./render.ts";
export { type DirectorIdentity, toClusterSpec } from "./to-spec.ts";
