import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Diagnostic, formatDiagnostic } from "../src/index.ts";

export const KEEPALIVED = "/usr/sbin/keepalived";
export const hasKeepalived = existsSync(KEEPALIVED);

export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
}

/** Runs `keepalived -t -f FILE` (configuration test only, never the daemon) on the text. */
export async function keepalivedConfigTest(text: string): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), "lvsfleet-keepalived-"));
  const file = join(dir, "keepalived.conf");
  writeFileSync(file, text, { mode: 0o644 });
  try {
    await promisify(execFile)(KEEPALIVED, ["-t", "-f", file], { timeout: 10_000 });
    return { code: 0, output: "" };
  } catch (e) {
    const error = e as { code?: number; stdout?: string; stderr?: string };
    return { code: error.code ?? -1, output: `${error.stdout ?? ""}${error.stderr ?? ""}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `file:line:column severity code message`, compact for assertions. */
export function brief(d: Diagnostic): string {
  return `${d.line}:${d.column} ${d.severity} ${d.code} ${d.message}`;
}

export function dump(list: Diagnostic[]): string {
  return list.map(formatDiagnostic).join("\n");
}
