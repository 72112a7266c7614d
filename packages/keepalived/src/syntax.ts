import { posix } from "node:path";
import type { Diagnostics, SourceLocation } from "./diagnostics.ts";
import type { ConfigFiles } from "./files.ts";
import { expandInclude } from "./glob.ts";
import { lex, type SlashComment, type Token, type Word } from "./lexer.ts";

/**
 * The block structure of a keepalived configuration, before any keyword has a meaning: each statement
 * is a keyword, its arguments up to the end of the line (or a brace), and the `{ ... }` block that
 * follows it, on the same line or the next. Items of value blocks (`virtual_ipaddress { ... }`) are
 * statements too: their first word is the "keyword". `include` lines are replaced by the statements
 * of the files they name, as keepalived does, resolved relative to the including file.
 */
export interface Statement {
  keyword: Word;
  args: Word[];
  /** A `//...` remainder of the keyword's line; the grammar decides whether it is a stray comment. */
  slash?: SlashComment | undefined;
  block?: Statement[] | undefined;
  /** Where the block's `{` is. */
  blockAt?: SourceLocation | undefined;
}

const INCLUDE_KEYWORDS = new Set(["include", "includer", "includem", "includew", "includeb", "includea"]);

interface OpenFile {
  path: string;
  tokens: Token[];
  next: number;
  /** The include chain that led here, this file last. */
  chain: string[];
}

/** Reads statements from a main file and everything it includes. */
export function readStatements(path: string, files: ConfigFiles, diagnostics: Diagnostics): Statement[] {
  const absolute = posix.resolve("/", path);
  const text = files.read(absolute);
  if (text === undefined) {
    diagnostics.error("include", { file: path, line: 1, column: 1 }, `cannot read ${path}`);
    return [];
  }
  const source = new TokenSource(files, diagnostics);
  source.open(absolute, text, []);
  return parseBlock(source, diagnostics, undefined);
}

/** Reads statements from text alone; `include` is refused because there is nothing to read from. */
export function readStatementsFromText(text: string, file: string, diagnostics: Diagnostics): Statement[] {
  const source = new TokenSource(undefined, diagnostics);
  source.open(file, text, []);
  return parseBlock(source, diagnostics, undefined);
}

class TokenSource {
  private readonly stack: OpenFile[] = [];
  constructor(
    private readonly files: ConfigFiles | undefined,
    private readonly diagnostics: Diagnostics,
  ) {}

  open(path: string, text: string, parentChain: string[]): void {
    this.stack.push({ path, tokens: lex(text, path, this.diagnostics), next: 0, chain: [...parentChain, path] });
  }

  peek(): Token | undefined {
    while (this.stack.length > 0) {
      const top = this.stack[this.stack.length - 1] as OpenFile;
      const token = top.tokens[top.next];
      if (token) return token;
      this.stack.pop();
    }
    return undefined;
  }

  /** The next token that is not an end of line, without consuming anything. */
  peekPastLineEnds(): Token | undefined {
    for (let depth = this.stack.length - 1; depth >= 0; depth--) {
      const file = this.stack[depth] as OpenFile;
      for (let i = file.next; i < file.tokens.length; i++) {
        const token = file.tokens[i] as Token;
        if (token.kind !== "eol") return token;
      }
    }
    return undefined;
  }

  take(): Token | undefined {
    const token = this.peek();
    if (token) (this.stack[this.stack.length - 1] as OpenFile).next++;
    return token;
  }

  /** Splices the files an include names in place of the include line. */
  include(statement: Statement): void {
    const at = statement.keyword.at;
    const current = this.stack[this.stack.length - 1];
    const pattern = statement.args[0]?.text ?? "";
    if (!this.files || !current) {
      this.diagnostics.error(
        "include",
        at,
        `cannot follow '${statement.keyword.text} ${pattern}' without files to read`,
      );
      return;
    }
    const matches = expandInclude(pattern, posix.dirname(current.path), this.files);
    const wildcard = /[*?[{]/.test(pattern);
    if (matches.length === 0) {
      this.diagnostics.warn("include", at, `'${pattern}' matches no files; nothing included`);
      return;
    }
    const opened: { path: string; text: string }[] = [];
    for (const path of matches) {
      if (current.chain.includes(path)) {
        this.diagnostics.error(
          "include",
          at,
          `include cycle: ${[...current.chain, path].join(" → ")}`,
          "remove the include that leads back to a file already being read",
        );
        continue;
      }
      const text = this.files.read(path);
      if (text === undefined) {
        if (!wildcard)
          this.diagnostics.error(
            "include",
            at,
            `cannot read included file ${path}`,
            "check the path; relative paths are resolved against the including file's directory",
          );
        continue;
      }
      opened.push({ path, text });
    }
    const chain = current.chain;
    for (const file of opened.reverse()) this.open(file.path, file.text, chain);
  }
}

/** Statements until the closing `}` (when `openedAt` is given) or the end of input. */
function parseBlock(source: TokenSource, diagnostics: Diagnostics, openedAt: SourceLocation | undefined): Statement[] {
  const statements: Statement[] = [];
  for (;;) {
    const token = source.take();
    if (!token) {
      if (openedAt)
        diagnostics.error(
          "syntax",
          openedAt,
          "this '{' is never closed",
          "add the missing '}' (keepalived would read the rest of the file inside this block)",
        );
      return statements;
    }
    switch (token.kind) {
      case "eol":
        continue;
      case "}":
        if (openedAt) return statements;
        diagnostics.error("syntax", token.at, "'}' without a matching '{'", "remove it, or add the '{' it belongs to");
        continue;
      case "{":
        diagnostics.error(
          "syntax",
          token.at,
          "'{' without a keyword before it",
          "a block must follow its keyword, e.g. 'virtual_ipaddress {'",
        );
        parseBlock(source, diagnostics, token.at);
        continue;
      case "slash":
        diagnostics.repair(
          token.at,
          "read a line starting with '//' as a comment",
          "keepalived has no '//' comments (it reads '//' as an unknown keyword); use '#' or '!'",
        );
        continue;
      case "word": {
        const statement = readStatement(token, source, diagnostics);
        if (INCLUDE_KEYWORDS.has(token.text) && statement.args.length === 1 && !statement.block) {
          if (statement.slash)
            diagnostics.repair(
              statement.slash.at,
              `read '${statement.slash.raw}' after include as a comment`,
              "use '#' or '!' for comments",
            );
          source.include(statement);
          continue;
        }
        statements.push(statement);
      }
    }
  }
}

function readStatement(keyword: Word, source: TokenSource, diagnostics: Diagnostics): Statement {
  const statement: Statement = { keyword, args: [] };
  for (;;) {
    const token = source.peek();
    if (token?.kind === "word") {
      statement.args.push(token);
      source.take();
    } else if (token?.kind === "slash") {
      statement.slash = token;
      source.take();
    } else break;
  }
  if (source.peekPastLineEnds()?.kind === "{") {
    while (source.peek()?.kind === "eol") source.take();
    const open = source.take() as Token;
    statement.blockAt = open.at;
    statement.block = parseBlock(source, diagnostics, open.at);
  }
  return statement;
}
