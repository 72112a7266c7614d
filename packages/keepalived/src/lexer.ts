import type { Diagnostics, SourceLocation } from "./diagnostics.ts";

/**
 * The tokenizer. It reads a file the way keepalived's parser does (lib/parser.c):
 * - `#` and `!` start a comment anywhere outside double quotes; `\#` and `\!` are literal;
 * - words are separated by space, tab, CR, FF and VT;
 * - `{` and `}` outside double quotes are tokens of their own, even inside a word;
 * - "..." and '...' quote (the quotes are removed, adjacent pieces join into one word), with shell-like
 *   backslash escapes;
 * and, unlike keepalived, it repairs the copy-paste damage that has exactly one reading, reporting each
 * repair: a byte-order mark, Unicode spaces such as U+00A0 (which keepalived makes part of the word),
 * invisible zero-width characters, and paired typographic double quotes. A word starting with `//`
 * becomes a `slash` token holding the rest of the line: whether it is a stray comment is decided by
 * the grammar, which knows how many arguments the keyword takes.
 */

export interface Word {
  kind: "word";
  /** The word after quotes and escapes are resolved. */
  text: string;
  /** The word as written. */
  raw: string;
  quoted: boolean;
  at: SourceLocation;
}

export interface SlashComment {
  kind: "slash";
  /** From the `//` to the end of the line (before any `#`/`!` comment). */
  raw: string;
  at: SourceLocation;
}

export interface Brace {
  kind: "{" | "}";
  at: SourceLocation;
}

export interface EndOfLine {
  kind: "eol";
  at: SourceLocation;
}

export type Token = Word | SlashComment | Brace | EndOfLine;

const ASCII_SPACE = new Set([" ", "\t", "\r", "\f", "\v"]);

/** Spaces that keepalived does not treat as spaces; a copy from a web page is full of them. */
const UNICODE_SPACES: Record<string, string> = {
  "\u00a0": "U+00A0 NO-BREAK SPACE",
  "\u1680": "U+1680 OGHAM SPACE MARK",
  "\u2000": "U+2000 EN QUAD",
  "\u2001": "U+2001 EM QUAD",
  "\u2002": "U+2002 EN SPACE",
  "\u2003": "U+2003 EM SPACE",
  "\u2004": "U+2004 THREE-PER-EM SPACE",
  "\u2005": "U+2005 FOUR-PER-EM SPACE",
  "\u2006": "U+2006 SIX-PER-EM SPACE",
  "\u2007": "U+2007 FIGURE SPACE",
  "\u2008": "U+2008 PUNCTUATION SPACE",
  "\u2009": "U+2009 THIN SPACE",
  "\u200a": "U+200A HAIR SPACE",
  "\u202f": "U+202F NARROW NO-BREAK SPACE",
  "\u205f": "U+205F MEDIUM MATHEMATICAL SPACE",
  "\u3000": "U+3000 IDEOGRAPHIC SPACE",
};

/** Invisible characters that are never part of a keepalived word. */
const INVISIBLE: Record<string, string> = {
  "\u200b": "U+200B ZERO WIDTH SPACE",
  "\u200c": "U+200C ZERO WIDTH NON-JOINER",
  "\u200d": "U+200D ZERO WIDTH JOINER",
  "\u2060": "U+2060 WORD JOINER",
  "\ufeff": "U+FEFF ZERO WIDTH NO-BREAK SPACE",
};

const ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  E: "\x1b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

export function lex(text: string, file: string, diagnostics: Diagnostics): Token[] {
  const tokens: Token[] = [];
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  lines.forEach((rawLine, index) => {
    let line = rawLine.replace(/\r+$/, "");
    const lineNo = index + 1;
    let offset = 0;
    if (lineNo === 1 && line.startsWith("\ufeff")) {
      diagnostics.repair(
        { file, line: 1, column: 1 },
        "removed a byte-order mark (U+FEFF) at the start of the file",
        "keepalived reads it as part of the first keyword",
      );
      line = line.slice(1);
      offset = 1;
    }
    lexLine(line, { file, line: lineNo, offset }, tokens, diagnostics);
    tokens.push({ kind: "eol", at: { file, line: lineNo, column: line.length + offset + 1 } });
  });
  return tokens;
}

export interface LinePosition {
  file: string;
  line: number;
  /** Characters removed from the start of the line before lexing (a BOM), for column numbers. */
  offset: number;
}

/**
 * Lexes one line into `out`; problems go to `diagnostics`. With `slashComments` false it lexes the
 * rest of a line whose `//` turned out to be a value rather than a comment.
 */
export function lexLine(
  line: string,
  pos: LinePosition,
  out: Token[],
  diagnostics: Diagnostics,
  slashComments = true,
): void {
  const at = (i: number): SourceLocation => ({ file: pos.file, line: pos.line, column: i + pos.offset + 1 });
  if (slashComments && unsupportedLine(line, at, diagnostics)) return;
  // keepalived recognises include lines before it splits braces off, so `include {a,b}.conf` globs.
  const braces = !/^[ \t]*include[rmwba]?[ \t]/.test(line);

  const spaces = new Map<string, { count: number; first: number }>();
  const invisible = new Map<string, { count: number; first: number }>();
  const tally = (map: typeof spaces, c: string, i: number) => {
    const entry = map.get(c);
    if (entry) entry.count++;
    else map.set(c, { count: 1, first: i });
  };

  let word: { text: string; start: number; quoted: boolean } | undefined;
  let quote: { close: string; start: number } | undefined;
  const flush = (end: number) => {
    if (!word) return;
    out.push({
      kind: "word",
      text: word.text,
      raw: line.slice(word.start, end),
      quoted: word.quoted,
      at: at(word.start),
    });
    word = undefined;
  };
  const append = (text: string, i: number) => {
    if (!word) word = { text: "", start: i, quoted: false };
    word.text += text;
  };

  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === "\\") {
      const [value, length] = readEscape(line, i, quote === undefined);
      append(value, i);
      i += length;
      continue;
    }
    if (quote) {
      if (c === quote.close) quote = undefined;
      else if (c in INVISIBLE) tally(invisible, c, i);
      else append(c, i);
      i++;
      continue;
    }
    if (c === "#" || c === "!") {
      if (word)
        diagnostics.warn(
          "note",
          at(i),
          `'${c}' starts a comment in the middle of '${line.slice(word.start, i + 1)}…'; keepalived reads only '${word.text}'`,
          `write \\${c} if '${c}' belongs to the value`,
        );
      break;
    }
    if (ASCII_SPACE.has(c)) {
      flush(i);
      i++;
      continue;
    }
    if (c in UNICODE_SPACES) {
      tally(spaces, c, i);
      flush(i);
      i++;
      continue;
    }
    if (c in INVISIBLE) {
      tally(invisible, c, i);
      i++;
      continue;
    }
    if (braces && (c === "{" || c === "}")) {
      flush(i);
      out.push({ kind: c, at: at(i) });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      append("", i);
      (word as { quoted: boolean }).quoted = true;
      quote = { close: c, start: i };
      i++;
      continue;
    }
    if (c === "\u201c" && line.indexOf("\u201d", i + 1) > 0) {
      diagnostics.repair(
        at(i),
        "read typographic quotes \u201c\u2026\u201d as a double-quoted string",
        'keepalived would make the quote characters part of the words; use plain "',
      );
      append("", i);
      (word as { quoted: boolean }).quoted = true;
      quote = { close: "\u201d", start: i };
      i++;
      continue;
    }
    if (slashComments && !word && c === "/" && line[i + 1] === "/") {
      const rest = line.slice(i).split(/[#!]/)[0]?.trimEnd() ?? "";
      if (!/[{}"']/.test(rest)) {
        out.push({ kind: "slash", raw: rest, at: at(i) });
        i = line.length;
        break;
      }
    }
    append(c, i);
    i++;
  }
  if (quote) {
    diagnostics.error(
      "syntax",
      at(quote.start),
      `missing closing ${quote.close} for the string that starts here`,
      "keepalived strings end on the same line",
    );
  }
  flush(i);

  for (const [c, { count, first }] of spaces)
    diagnostics.repair(
      at(first),
      `read ${count} × ${UNICODE_SPACES[c]} as space${count > 1 ? "s" : ""}`,
      "keepalived does not treat it as a space: the word containing it becomes an unknown keyword and the line is ignored",
    );
  for (const [c, { count, first }] of invisible)
    diagnostics.repair(
      at(first),
      `removed ${count} × invisible ${INVISIBLE[c]}`,
      "keepalived reads it as part of the word",
    );
}

/** `@id` conditional lines, `$NAME=` definitions and `~SEQ` blocks change the text before parsing. */
function unsupportedLine(line: string, at: (i: number) => SourceLocation, diagnostics: Diagnostics): boolean {
  const start = line.search(/[^ \t]/);
  if (start < 0) return false;
  const rest = line.slice(start);
  let what: string | undefined;
  if (rest.startsWith("@")) what = "conditional configuration (@id lines)";
  else if (/^\$[A-Za-z_][A-Za-z0-9_]*\s*=/.test(rest)) what = "parameter definitions ($NAME=...)";
  else if (/^~(SEQ|LST)/.test(rest)) what = "~SEQ/~LST blocks";
  if (!what) return false;
  diagnostics.error(
    "unsupported",
    at(start),
    `${what} are not supported by the importer`,
    "expand them first, e.g. with the file keepalived itself would read for this host",
  );
  return true;
}

/** Resolves a backslash escape at `i`; returns the character(s) and how many input characters it used. */
function readEscape(line: string, i: number, outsideQuotes: boolean): [string, number] {
  const next = line[i + 1];
  if (next === undefined) return ["\\", 1];
  if (outsideQuotes && (next === "#" || next === "!")) return [next, 2];
  if (next === "x" && /[0-9a-fA-F]/.test(line[i + 2] ?? "")) {
    const hex = /^[0-9a-fA-F]+/.exec(line.slice(i + 2))?.[0] ?? "";
    return [String.fromCharCode(Number.parseInt(hex.slice(-2), 16)), 2 + hex.length];
  }
  if (next === "c" && line[i + 2] !== undefined) return [String.fromCharCode(line.charCodeAt(i + 2) & 0x1f), 3];
  if (/[0-7]/.test(next)) {
    const octal = /^[0-7]{1,3}/.exec(line.slice(i + 1))?.[0] ?? "";
    return [String.fromCharCode(Number.parseInt(octal, 8) & 0xff), 1 + octal.length];
  }
  return [ESCAPES[next] ?? next, 2];
}
