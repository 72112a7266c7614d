/** A place in a configuration file: 1-based line and column (in UTF-16 code units, as editors count). */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/**
 * What kind of finding a diagnostic is:
 * - repair: copy-paste damage the importer fixed because only one reading was possible
 *   (an error instead in strict mode);
 * - unmodelled: a valid keepalived keyword lvsfleet keeps but does not act on;
 * - deprecated: an old spelling keepalived no longer accepts, read with its old meaning;
 * - note: anything else worth knowing that changes nothing;
 * - script: a program the file runs, which the spec now names: the allowlist entry to create;
 * - syntax, value, unknown-keyword, unsupported, include, conflict: why an import was refused.
 */
export type DiagnosticCode =
  | "repair"
  | "unmodelled"
  | "deprecated"
  | "note"
  | "script"
  | "syntax"
  | "value"
  | "unknown-keyword"
  | "unsupported"
  | "include"
  | "conflict";

export interface Diagnostic extends SourceLocation {
  severity: "error" | "warning";
  code: DiagnosticCode;
  message: string;
  /** What to do about it. */
  hint?: string | undefined;
}

/** `file:line:column: severity: message (hint)`, the way compilers print them. */
export function formatDiagnostic(d: Diagnostic): string {
  const hint = d.hint ? `\n  hint: ${d.hint}` : "";
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}${hint}`;
}

/** Collects findings while parsing; `strict` turns every repair into an error. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];
  constructor(readonly strict = false) {}

  repair(at: SourceLocation, message: string, hint?: string): void {
    this.push(this.strict ? "error" : "warning", "repair", at, message, hint);
  }

  warn(code: DiagnosticCode, at: SourceLocation, message: string, hint?: string): void {
    this.push("warning", code, at, message, hint);
  }

  error(code: DiagnosticCode, at: SourceLocation, message: string, hint?: string): void {
    this.push("error", code, at, message, hint);
  }

  get errors(): Diagnostic[] {
    return this.list.filter((d) => d.severity === "error");
  }

  get warnings(): Diagnostic[] {
    return this.list.filter((d) => d.severity === "warning");
  }

  private push(
    severity: Diagnostic["severity"],
    code: DiagnosticCode,
    at: SourceLocation,
    message: string,
    hint: string | undefined,
  ): void {
    const same = this.list.some(
      (d) => d.file === at.file && d.line === at.line && d.column === at.column && d.message === message,
    );
    if (same) return;
    this.list.push({
      file: at.file,
      line: at.line,
      column: at.column,
      severity,
      code,
      message,
      ...(hint ? { hint } : {}),
    });
  }
}

/** Orders findings by file (in the order files were first mentioned), line and column. */
export function sortByPosition(list: readonly Diagnostic[]): Diagnostic[] {
  const fileOrder = new Map<string, number>();
  for (const d of list) if (!fileOrder.has(d.file)) fileOrder.set(d.file, fileOrder.size);
  return [...list].sort(
    (a, b) =>
      (fileOrder.get(a.file) as number) - (fileOrder.get(b.file) as number) || a.line - b.line || a.column - b.column,
  );
}
