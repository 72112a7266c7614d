import type { CheckerDefaults, RawStatement, ScriptNode } from "./ast.ts";
import type { Word } from "./lexer.ts";
import type { Reader } from "./reader.ts";
import type { Statement } from "./syntax.ts";

/** What a keyword does to the node of the block it appears in. */
export type Handler<T> = (statement: Statement, node: T, reader: Reader) => void;
export type Handlers<T> = Record<string, Handler<T>>;

/**
 * Applies each statement of a block to its node: known keywords through their handler, valid but
 * unmodelled keywords kept with a warning, anything else refused as unknown (or given to `unknown`).
 */
export function interpret<T extends { extra: RawStatement[] }>(
  statements: Statement[],
  where: string,
  handlers: Handlers<T>,
  unmodelled: readonly string[],
  node: T,
  reader: Reader,
  unknown?: Handler<T>,
): void {
  for (const statement of statements) {
    const keyword = statement.keyword.text;
    const handler = Object.hasOwn(handlers, keyword) ? handlers[keyword] : undefined;
    if (handler) handler(statement, node, reader);
    else if (unmodelled.includes(keyword)) reader.keep(statement, where, node.extra);
    else if (unknown) unknown(statement, node, reader);
    else reader.unknown(statement, where, [...Object.keys(handlers), ...unmodelled]);
  }
}

/**
 * A notify-style script: `keyword <STRING>|<QUOTED-STRING> [username [groupname]]`.
 * Unquoted words after the script are the user and group, as keepalived reads them.
 */
export function script(statement: Statement, reader: Reader): ScriptNode | undefined {
  reader.noBlock(statement);
  const args = reader.scriptArgs(statement, 1, 3);
  if (!args) return undefined;
  const [command, user, group] = args as [Word, Word | undefined, Word | undefined];
  if (command.text.trim() === "") {
    reader.invalid(command, `'${statement.keyword.text}' needs a script`);
    return undefined;
  }
  return { command: command.text, user: user?.text, group: group?.text };
}

/** Handlers for the timing every level (virtual server, real server, checker) can set for checkers. */
export function timingHandlers<T>(target: (node: T) => CheckerDefaults): Handlers<T> {
  const seconds =
    (field: "connectTimeout" | "delayBeforeRetry" | "delayLoop" | "warmup", what: string): Handler<T> =>
    (statement, node, reader) => {
      const word = reader.one(statement);
      if (word) target(node)[field] = reader.seconds(word, what);
    };
  const retry: Handler<T> = (statement, node, reader) => {
    const word = reader.one(statement);
    if (word) target(node).retry = reader.uint(word, 0, 2147483647, "retry");
  };
  return {
    connect_timeout: seconds("connectTimeout", "connect_timeout"),
    delay_before_retry: seconds("delayBeforeRetry", "delay_before_retry"),
    delay_loop: seconds("delayLoop", "delay_loop"),
    warmup: seconds("warmup", "warmup"),
    retry,
    nb_get_retry: (statement, node, reader) => {
      reader.diagnostics.warn(
        "deprecated",
        statement.keyword.at,
        "'nb_get_retry' is the pre-2.0 name of 'retry'; read as 'retry'",
        "keepalived 2.2 and later reject 'nb_get_retry' as an unknown keyword: rename it to 'retry'",
      );
      retry(statement, node, reader);
    },
  };
}

/** A command line from one or more words (misc_path): quoted words with spaces keep single quotes. */
export function commandLine(words: Word[]): string {
  if (words.length === 1) return (words[0] as Word).text;
  return words.map((w) => (/\s/.test(w.text) ? `'${w.text}'` : w.text)).join(" ");
}
