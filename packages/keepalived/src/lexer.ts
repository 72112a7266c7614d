import type { Diagnostics, SourceLocation } from "./diagnostics.ts";

/**
 * The tokenizer. It reads a line the way keepalived's parser does (lib/parser.c, read_line and
 * alloc_strvec_r):
 * - `#` and `!` start a comment anywhere outside double quotes; `\#` and `\!` are literal;
 * - `{` and `}` outside double quotes are tokens of their own, even inside a word (except on an
 *   include line, which keepalived globs before it splits braces off);
 * - words are separated by space, tab, CR, FF and VT; a word starting with `"` runs to the next `"`
 *   (no escapes; single quotes are ordinary characters);
 * - script keywords (notify_*, quorum_up, misc_path) re-read the rest of their line with quotes and
 *   backslash escapes: see scriptWords.
 * Unlike keepalived, it repairs the copy-paste damage that has exactly one reading, reporting each
 * repair: a byte-order mark, Unicode spaces such as U+00A0 (which keepalived makes part of a word),
 * invisible zero-width characters and paired typographic double quotes. A word starting with `//`
 * becomes a `slash` token holding the rest of the line: whether it is a stray comment is decided by
 * the grammar, which knows how many arguments the keyword takes.
 */

export interface Word {
  kind: "word";
  /** The word without its quotes. */
  text: string;
  /** The word as written. */
  raw: string;
  quoted: boolean;
  at: SourceLocation;
  /** The rest of the line after this word (up to a brace or comment), for script keywords. */
  rest: { text: string; at: SourceLocation };
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

const SPACE = /[ \t\r\f\v]/;

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
  /** Column of the first character of `line`, minus one. */
  offset: number;
}

/** A line after repairs, with the original column of each character. */
export interface RepairedLine {
  text: string;
  /** columns[i] is the 1-based column of text[i] in the file. */
  columns: number[];
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
  const at = (column: number): SourceLocation => ({ file: pos.file, line: pos.line, column });
  if (slashComments && unsupportedLine(line, (i) => at(i + pos.offset + 1), diagnostics)) return;
  const normal = repairLine(line, pos, diagnostics);
  const code = decomment(normal, pos, diagnostics);
  const columnOf = (i: number) => normal.columns[i] ?? (normal.columns[normal.columns.length - 1] ?? pos.offset) + 1;
  // keepalived recognises include lines before it splits braces off, so `include {a,b}.conf` globs.
  const braces = !/^[ \t]*include[rmwba]?[ \t]/.test(code);

  let segmentStart = 0;
  const segment = (end: number): boolean => {
    const stop = words(code, segmentStart, end, columnOf, at, out, diagnostics, slashComments);
    segmentStart = end + 1;
    return stop;
  };
  let quoted = false;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === '"') quoted = !quoted;
    else if (braces && !quoted && (c === "{" || c === "}")) {
      if (segment(i)) return;
      out.push({ kind: c, at: at(columnOf(i)) });
    }
  }
  segment(code.length);
}

/**
 * Applies the copy-paste repairs to a line outside double quotes, reporting each: Unicode spaces to
 * spaces, invisible characters out, paired “…” to "…". Shared with the shell-script importer.
 */
export function repairLine(line: string, pos: LinePosition, diagnostics: Diagnostics): RepairedLine {
  const spaces = new Map<string, { count: number; first: number }>();
  const invisible = new Map<string, { count: number; first: number }>();
  const tally = (map: typeof spaces, c: string, column: number) => {
    const entry = map.get(c);
    if (entry) entry.count++;
    else map.set(c, { count: 1, first: column });
  };
  let text = "";
  const columns: number[] = [];
  let quoted = false;
  let smartClose = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    const column = i + pos.offset + 1;
    if (c === '"') quoted = !quoted;
    if (!quoted && c in UNICODE_SPACES) {
      tally(spaces, c, column);
      text += " ";
    } else if (!quoted && c in INVISIBLE) {
      tally(invisible, c, column);
      continue;
    } else if (!quoted && c === "\u201c" && line.indexOf("\u201d", i + 1) > 0) {
      smartClose = line.indexOf("\u201d", i + 1);
      diagnostics.repair(
        { file: pos.file, line: pos.line, column },
        "read typographic quotes \u201c\u2026\u201d as a double-quoted string",
        'keepalived would make the quote characters part of the words; use plain "',
      );
      quoted = true;
      text += '"';
    } else if (i === smartClose) {
      quoted = false;
      text += '"';
    } else text += c;
    columns.push(column);
  }
  const at = (column: number): SourceLocation => ({ file: pos.file, line: pos.line, column });
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
  return { text, columns };
}

/**
 * keepalived's decomment(): cuts the line at the first `#` or `!` outside double quotes and turns
 * `\#`/`\!` into literal characters. Returns the code part (same indices as `normal.text` up to the cut,
 * except that removed backslashes are replaced by nothing and their columns dropped).
 */
function decomment(normal: RepairedLine, pos: LinePosition, diagnostics: Diagnostics): string {
  let quoted = false;
  let code = "";
  const columns: number[] = [];
  const text = normal.text;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "\\" && i + 1 < text.length) {
      const next = text[i + 1] as string;
      if (!quoted && (next === "#" || next === "!")) {
        code += next;
        columns.push(normal.columns[i + 1] as number);
      } else {
        code += c + next;
        columns.push(normal.columns[i] as number, normal.columns[i + 1] as number);
      }
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (!quoted && (c === "#" || c === "!")) {
      const before = code.replace(/[ \t]+$/, "");
      const word = /[^ \t{}]+$/.exec(before)?.[0];
      if (word && before.length === code.length && !word.startsWith("//"))
        diagnostics.warn(
          "note",
          { file: pos.file, line: pos.line, column: normal.columns[i] as number },
          `'${c}' starts a comment in the middle of '${word}${c}…'; keepalived reads only '${word.replace(/"/g, "")}'`,
          `write \\${c} if '${c}' belongs to the value`,
        );
      break;
    }
    code += c;
    columns.push(normal.columns[i] as number);
  }
  if (quoted) {
    const start = code.lastIndexOf('"');
    diagnostics.error(
      "syntax",
      { file: pos.file, line: pos.line, column: columns[start] as number },
      'missing closing " for the string that starts here',
      "keepalived strings end on the same line",
    );
  }
  normal.columns = columns;
  return code;
}

/**
 * The words of code[start, end) as keepalived's alloc_strvec_r splits them. Returns true when a
 * `//` remainder took the rest of the line.
 */
function words(
  code: string,
  start: number,
  end: number,
  columnOf: (i: number) => number,
  at: (column: number) => SourceLocation,
  out: Token[],
  diagnostics: Diagnostics,
  slashComments: boolean,
): boolean {
  const pending: Word[] = [];
  let i = start;
  while (i < end) {
    while (i < end && SPACE.test(code[i] as string)) i++;
    if (i >= end) break;
    const begin = i;
    let text: string;
    let quoted = false;
    if (code[i] === '"') {
      quoted = true;
      const close = code.indexOf('"', i + 1);
      if (close < 0 || close >= end) {
        diagnostics.error(
          "syntax",
          at(columnOf(i)),
          'missing closing " for the string that starts here',
          "keepalived strings end on the same line",
        );
        text = code.slice(i + 1, end);
        i = end;
      } else {
        text = code.slice(i + 1, close);
        i = close + 1;
      }
    } else {
      if (slashComments && code.startsWith("//", i)) {
        const rest = code.slice(i).trimEnd();
        if (!/[{}"]/.test(rest)) {
          out.push(...pending, { kind: "slash", raw: rest, at: at(columnOf(i)) });
          return true;
        }
      }
      while (i < end && !SPACE.test(code[i] as string) && code[i] !== '"') i++;
      text = code.slice(begin, i);
    }
    if (quoted && (text === "{" || text === "}"))
      diagnostics.error(
        "syntax",
        at(columnOf(begin)),
        `a quoted '${text}' is still a brace to keepalived`,
        "keepalived 2.2 ends or opens the block at it; choose another value",
      );
    pending.push({
      kind: "word",
      text,
      raw: code.slice(begin, i),
      quoted,
      at: at(columnOf(begin)),
      rest: { text: code.slice(i, end), at: at(columnOf(i)) },
    });
  }
  out.push(...pending);
  return false;
}

/**
 * The words of a script keyword's arguments as keepalived's alloc_strvec_quoted_escaped reads them:
 * "..." and '...' quote (the quotes are removed, adjacent pieces join into one word) and backslash
 * escapes work as in the shell.
 */
export function scriptWords(after: Word): Word[] {
  const line = after.rest.text;
  const base = after.rest.at;
  const result: Word[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && SPACE.test(line[i] as string)) i++;
    if (i >= line.length) break;
    const begin = i;
    let text = "";
    let quote: string | undefined;
    while (i < line.length) {
      const c = line[i] as string;
      if (c === "\\") {
        const [value, length] = readEscape(line, i);
        text += value;
        i += length;
      } else if (quote) {
        if (c === quote) quote = undefined;
        else text += c;
        i++;
      } else if (c === '"' || c === "'") {
        quote = c;
        i++;
      } else if (SPACE.test(c)) break;
      else {
        text += c;
        i++;
      }
    }
    result.push({
      kind: "word",
      text,
      raw: line.slice(begin, i),
      quoted: /["']/.test(line.slice(begin, i)),
      at: { ...base, column: base.column + begin },
      rest: { text: line.slice(i), at: { ...base, column: base.column + i } },
    });
  }
  return result;
}

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

/** Resolves a backslash escape at `i`; returns the character and how many input characters it used. */
function readEscape(line: string, i: number): [string, number] {
  const next = line[i + 1];
  if (next === undefined) return ["\\", 1];
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
