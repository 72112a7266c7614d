import { canonicalIp, isIpAddress, prefixLengthOfNetmask } from "@lvsfleet/model";
import type { RawStatement } from "./ast.ts";
import type { Diagnostics } from "./diagnostics.ts";
import { didYouMean } from "./keywords.ts";
import { lexLine, scriptWords, type Token, type Word } from "./lexer.ts";
import type { Statement } from "./syntax.ts";

/**
 * Reads the arguments of statements as typed values and applies the repair policy for stray `//`
 * comments: a `//...` remainder after a keyword that already has all the arguments it can take is
 * read as a comment (a repair); where a required argument is still missing it is an error — unless the
 * argument is free text (a path or a command), in which case the `//...` is that text.
 */
export class Reader {
  constructor(readonly diagnostics: Diagnostics) {}

  /**
   * The arguments of `statement`, checked against min..max. Returns undefined (after reporting)
   * when the count is wrong.
   */
  args(statement: Statement, min: number, max: number, options: { free?: boolean } = {}): Word[] | undefined {
    const words = [...statement.args];
    const name = statement.keyword.text;
    const slash = statement.slash;
    if (slash && words.length < min) {
      if (options.free) {
        const tokens: Token[] = [];
        lexLine(
          slash.raw,
          { file: slash.at.file, line: slash.at.line, offset: slash.at.column - 1 },
          tokens,
          this.diagnostics,
          false,
        );
        for (const token of tokens) if (token.kind === "word") words.push(token);
      } else {
        this.diagnostics.error(
          "value",
          slash.at,
          `'${name}' needs a value here, found '${slash.raw}'`,
          "'//' does not start a comment in keepalived.conf; write the value, and use '#' or '!' for comments",
        );
        return undefined;
      }
    } else if (slash) {
      this.diagnostics.repair(
        slash.at,
        `read '${slash.raw}' after '${name}' as a comment`,
        `keepalived has no '//' comments: it reads the text as more arguments of '${name}'; use '#' or '!'`,
      );
    }
    if (words.length < min) {
      const last = words[words.length - 1] ?? statement.keyword;
      this.diagnostics.error(
        "value",
        { ...last.at, column: last.at.column + last.raw.length },
        `'${name}' needs ${min === max ? min : `at least ${min}`} argument${min === 1 ? "" : "s"}, found ${words.length}`,
      );
      return undefined;
    }
    if (words.length > max) {
      const extra = words.slice(max);
      const first = extra[0] as Word;
      this.diagnostics.error(
        "value",
        first.at,
        `unexpected ${extra.length === 1 ? "argument" : "arguments"} after '${name}'${
          max > 0
            ? ` ${words
                .slice(0, max)
                .map((w) => w.raw)
                .join(" ")}`
            : ""
        }: '${extra.map((w) => w.raw).join(" ")}'`,
        extraHint(name, max, extra),
      );
      return undefined;
    }
    return words;
  }

  /**
   * The arguments of a script keyword (notify_*, quorum_up/down, misc_path), re-read with quotes and
   * escapes as keepalived does for scripts; a `//` remainder after the script is a comment (a repair),
   * a `//` where the script should be is the script.
   */
  scriptArgs(statement: Statement, min: number, max: number): Word[] | undefined {
    const keyword = statement.keyword;
    let rest = keyword.rest;
    const slash = statement.slash;
    if (slash && statement.args.length > 0) {
      this.diagnostics.repair(
        slash.at,
        `read '${slash.raw}' after '${keyword.text}' as a comment`,
        `keepalived has no '//' comments: it reads the text as more arguments of '${keyword.text}'; use '#' or '!'`,
      );
      rest = { ...rest, text: rest.text.slice(0, slash.at.column - rest.at.column) };
    }
    const words = scriptWords({ ...keyword, rest });
    return this.args({ keyword, args: words }, min, max);
  }

  /** Reports a block where none belongs. */
  noBlock(statement: Statement): void {
    if (statement.block && statement.blockAt)
      this.diagnostics.error("syntax", statement.blockAt, `'${statement.keyword.text}' does not take a block`);
  }

  /** The block of a statement that needs one. */
  block(statement: Statement): Statement[] | undefined {
    if (!statement.block) {
      const end = statement.args[statement.args.length - 1] ?? statement.keyword;
      this.diagnostics.error(
        "syntax",
        { ...end.at, column: end.at.column + end.raw.length },
        `'${statement.keyword.text}' needs a block: '{' ... '}'`,
      );
      return undefined;
    }
    return statement.block;
  }

  /** A statement with exactly one argument and no block; returns the argument. */
  one(statement: Statement): Word | undefined {
    this.noBlock(statement);
    return this.args(statement, 1, 1)?.[0];
  }

  /** A flag: no argument, or one boolean (on|off|true|false|yes|no). */
  flag(statement: Statement): boolean | undefined {
    this.noBlock(statement);
    const args = this.args(statement, 0, 1);
    if (!args) return undefined;
    return args[0] ? this.bool(args[0]) : true;
  }

  uint(word: Word, min: number, max: number, what: string): number | undefined {
    if (/^\d+$/.test(word.text)) {
      const n = Number(word.text);
      if (n >= min && n <= max) return n;
      this.invalid(word, `${what} must be between ${min} and ${max}`);
      return undefined;
    }
    this.invalid(word, `${what} must be a whole number`);
    return undefined;
  }

  /** keepalived <TIMER>: seconds, fractions allowed. */
  seconds(word: Word, what: string, max = 2147483): number | undefined {
    if (/^(\d+(\.\d*)?|\.\d+)$/.test(word.text)) {
      const n = Number(word.text);
      if (n <= max) return n;
      this.invalid(word, `${what} must be at most ${max} seconds`);
      return undefined;
    }
    this.invalid(word, `${what} must be a number of seconds`);
    return undefined;
  }

  bool(word: Word): boolean | undefined {
    if (["on", "true", "yes"].includes(word.text)) return true;
    if (["off", "false", "no"].includes(word.text)) return false;
    this.invalid(word, "expected one of on, off, true, false, yes, no");
    return undefined;
  }

  ip(word: Word, what = "address"): string | undefined {
    if (isIpAddress(word.text)) return canonicalIp(word.text);
    this.invalid(word, `${what} '${word.raw}' is not an IPv4 or IPv6 address`);
    return undefined;
  }

  /** `addr` or `addr/len`. */
  ipWithPrefix(word: Word, what = "address"): { address: string; prefix?: number } | undefined {
    const [address = "", prefix] = word.text.split("/", 2);
    if (!isIpAddress(address)) {
      this.invalid(word, `${what} '${word.raw}' is not an IPv4 or IPv6 address`);
      return undefined;
    }
    if (prefix === undefined) return { address: canonicalIp(address) };
    const max = address.includes(":") ? 128 : 32;
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
      this.invalid(word, `'/${prefix}' is not a prefix length (0-${max})`);
      return undefined;
    }
    return { address: canonicalIp(address), prefix: Number(prefix) };
  }

  port(word: Word): number | undefined {
    return this.uint(word, 0, 65535, "port");
  }

  /** A persistence_granularity or netmask: dotted IPv4 mask or prefix length. */
  netmask(word: Word): number | undefined {
    if (/^\d{1,3}$/.test(word.text) && Number(word.text) <= 128) return Number(word.text);
    const prefix = prefixLengthOfNetmask(word.text);
    if (prefix !== undefined) return prefix;
    this.invalid(word, `'${word.raw}' is not a contiguous netmask or prefix length`);
    return undefined;
  }

  oneOf<T extends string>(word: Word, choices: readonly T[], what: string, caseless = false): T | undefined {
    const found = choices.find((c) => (caseless ? c.toLowerCase() === word.text.toLowerCase() : c === word.text));
    if (found) return found;
    const near = didYouMean(word.text, choices);
    this.diagnostics.error(
      "value",
      word.at,
      `unknown ${what} '${word.raw}'; expected one of ${choices.join(", ")}`,
      confusableHint(word.raw) ?? (near ? `did you mean '${near}'?` : undefined),
    );
    return undefined;
  }

  invalid(word: Word, message: string, hint?: string): void {
    this.diagnostics.error("value", word.at, message, hint ?? confusableHint(word.raw));
  }

  /** Keeps a valid keepalived statement lvsfleet does not act on, with a warning. */
  keep(statement: Statement, where: string, into: RawStatement[], why?: string): void {
    if (statement.slash)
      this.diagnostics.repair(
        statement.slash.at,
        `read '${statement.slash.raw}' after '${statement.keyword.text}' as a comment`,
        "keepalived has no '//' comments; use '#' or '!'",
      );
    this.diagnostics.warn(
      "unmodelled",
      statement.keyword.at,
      `'${statement.keyword.text}' in ${where} is kept but not used by lvsfleet${why ? `: ${why}` : ""}`,
    );
    into.push(raw(statement));
  }

  /** Refuses a keyword the block does not have. */
  unknown(statement: Statement, where: string, known: Iterable<string>, hint?: string): void {
    const keyword = statement.keyword;
    const near = didYouMean(keyword.text, known);
    this.diagnostics.error(
      "unknown-keyword",
      keyword.at,
      `unknown keyword '${keyword.raw}' in ${where}`,
      confusableHint(keyword.raw) ??
        (near ? `did you mean '${near}'?` : (hint ?? "check the spelling against keepalived.conf(5)")),
    );
  }
}

/** A statement as written, for `extra`. */
export function raw(statement: Statement): RawStatement {
  return {
    keyword: statement.keyword.text,
    args: statement.args.map((w) => w.text),
    block: statement.block?.map(raw),
    at: statement.keyword.at,
  };
}

function extraHint(keyword: string, max: number, extra: Word[]): string {
  const text = extra.map((w) => w.raw).join(" ");
  const confusable = confusableHint(text);
  if (confusable) return confusable;
  if (/^\(/.test(text) || /[^\t -~]/.test(text))
    return `it looks like a comment: start it with '#' or '!' (keepalived would read it as ${max === 0 ? "arguments" : "more arguments"} of '${keyword}')`;
  return `'${keyword}' takes ${max === 0 ? "no arguments" : `at most ${max}`}; remove the rest or comment it out with '#'`;
}

const CONFUSABLES: Record<string, string> = {
  "\u2013": "-",
  "\u2014": "-",
  "\u2212": "-",
  "\u201c": '"',
  "\u201d": '"',
  "\u2018": "'",
  "\u2019": "'",
  "\u3002": ".",
  "\uff0c": ",",
};

/** When a word holds characters that look like ASCII but are not, says which and what was meant. */
export function confusableHint(text: string): string | undefined {
  for (const c of text) {
    const code = c.codePointAt(0) as number;
    let ascii = CONFUSABLES[c];
    if (!ascii && code >= 0xff01 && code <= 0xff5e) ascii = String.fromCodePoint(code - 0xfee0);
    if (ascii)
      return `'${c}' is U+${code.toString(16).toUpperCase().padStart(4, "0")}, not '${ascii}': retype it as plain ASCII '${ascii}'`;
  }
  return undefined;
}
