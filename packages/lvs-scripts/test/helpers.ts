import { readFileSync } from "node:fs";
import { type Diagnostic, formatDiagnostic } from "@lvsfleet/keepalived";

export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
}

export function brief(d: Diagnostic): string {
  return `${d.line}:${d.column} ${d.severity} ${d.code} ${d.message}`;
}

export function dump(list: Diagnostic[]): string {
  return list.map(formatDiagnostic).join("\n");
}
