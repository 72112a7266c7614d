/** A word of an ipvsadm command line and the 1-based column where it starts. */
export interface Token {
  text: string;
  column: number;
}

/** Splits a line on blanks, remembering where each word starts. */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  for (const match of line.matchAll(/\S+/g)) tokens.push({ text: match[0], column: (match.index ?? 0) + 1 });
  return tokens;
}
