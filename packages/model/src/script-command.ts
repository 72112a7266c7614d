/**
 * keepalived's script command lines (misc_path, quorum_up/down, notify*): one string that keepalived
 * splits into the program and its arguments on blanks, where single or double quotes keep blanks
 * inside a word and a backslash takes the next character as it is (outside single quotes).
 */

/**
 * What keepalived's `notify` (not notify_master & co.) appends to the command line, as allowlist
 * placeholders: the director agent fills them when it runs the script (script-allowlist.ts).
 */
export const NOTIFY_APPENDS: readonly string[] = ["{type}", "{instance}", "{state}", "{priority}"];

/** The program and its arguments, as keepalived runs them. */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < command.length) word = (word ?? "") + command[++i];
      else word = (word ?? "") + c;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
      word = word ?? "";
    } else if (c === "\\" && i + 1 < command.length) word = (word ?? "") + command[++i];
    else word = (word ?? "") + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

const BARE = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** The command line keepalived splits back into exactly these words (splitCommand's inverse). */
export function joinCommand(argv: readonly string[]): string {
  return argv
    .map((arg) => {
      if (BARE.test(arg)) return arg;
      if (!arg.includes("'")) return `'${arg}'`;
      return `"${arg.replace(/["\\]/g, (c) => `\\${c}`)}"`;
    })
    .join(" ");
}
