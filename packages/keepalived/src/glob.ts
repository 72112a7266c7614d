import { posix } from "node:path";
import type { ConfigFiles } from "./files.ts";

/**
 * The files an `include` names, as keepalived's glob(GLOB_BRACE) finds them: relative patterns are
 * resolved against the including file's directory; `*`, `?`, `[...]` and `{a,b}` are expanded;
 * matches come back sorted, without directories. A pattern without wildcards names one file whether
 * or not it exists, so that the caller can report it missing.
 */
export function expandInclude(pattern: string, baseDir: string, files: ConfigFiles): string[] {
  const absolute = posix.resolve(baseDir, pattern);
  const out: string[] = [];
  for (const path of expandBraces(absolute)) {
    if (!/[*?[]/.test(path)) out.push(posix.normalize(path));
    else out.push(...matchSegments(path, files).sort());
  }
  return [...new Set(out)];
}

function matchSegments(path: string, files: ConfigFiles): string[] {
  const segments = path.split("/").filter((s) => s !== "");
  let prefixes = ["/"];
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    const next: string[] = [];
    for (const dir of prefixes) {
      if (!/[*?[]/.test(segment)) {
        next.push(posix.join(dir, segment));
        continue;
      }
      const regex = segmentRegex(segment);
      for (const name of files.list(dir) ?? []) {
        if (name.startsWith(".") && !segment.startsWith(".")) continue;
        if (regex.test(name)) next.push(posix.join(dir, name));
      }
    }
    prefixes = last ? next.filter((p) => files.read(p) !== undefined) : next;
  });
  return prefixes;
}

function segmentRegex(segment: string): RegExp {
  let source = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "[") {
      const close = segment.indexOf("]", i + 2);
      if (close < 0) source += "\\[";
      else {
        const body = segment
          .slice(i + 1, close)
          .replace(/^!/, "^")
          .replace(/\\/g, "\\\\");
        source += `[${body}]`;
        i = close;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** csh-style brace expansion: `a{b,c{d,e}}f` → abf, acdf, acef. */
export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf("{");
  if (open < 0) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) {
        if (commas.length === 0) {
          return expandBraces(pattern.slice(i + 1)).map((rest) => pattern.slice(0, i + 1) + rest);
        }
        const head = pattern.slice(0, open);
        const tail = pattern.slice(i + 1);
        const bounds = [open, ...commas, i];
        const alternatives = bounds.slice(1).map((end, k) => pattern.slice((bounds[k] as number) + 1, end));
        return alternatives.flatMap((alt) => expandBraces(head + alt + tail));
      }
    } else if (c === "," && depth === 1) commas.push(i);
  }
  return [pattern];
}
