import { type Diagnostics, repairLine, type SourceLocation } from "@lvsfleet/keepalived";

/**
 * Reads the small subset of sh that LVS start scripts such as the guide's lvsdr.sh and realdr.sh are
 * written in: variable assignments (NAME=value), commands, `case "$1" in start) ... ;; esac`, comments,
 * quotes and $NAME/${NAME} expansion. It runs nothing. Copy-paste damage is repaired as in
 * keepalived.conf (U+00A0 and other Unicode spaces, which bash makes part of the words, become
 * spaces), each repair a warning. Loops, conditions and functions are not followed: a command
 * inside one is reported as `nested` so that callers can refuse to guess whether it runs.
 */
export interface ShellWord {
  text: string;
  at: SourceLocation;
}

export interface ShellCommand {
  words: ShellWord[];
  at: SourceLocation;
  /** The case patterns the command runs under, e.g. ["start"]; empty outside any case. */
  branch: string[];
  /** Inside a loop, an if or a function body. */
  nested: boolean;
}

export interface ShellScript {
  commands: ShellCommand[];
  /** Variables as assigned, last assignment wins (values expanded at assignment). */
  variables: Map<string, { value: string; at: SourceLocation }>;
}

/** Stands for a `$` that must not expand (single-quoted or escaped) until expansion is done. */
const LITERAL_DOLLAR = "\u0000";

const OPENERS = new Set(["for", "while", "until", "if", "select"]);
const CLOSERS = new Set(["done", "fi"]);

export function readShellScript(text: string, file: string, diagnostics: Diagnostics): ShellScript {
  const variables: ShellScript["variables"] = new Map();
  const commands: ShellCommand[] = [];
  let depth = 0;
  const cases: { branch: string | undefined }[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    const repaired = repairLine(raw.replace(/\r$/, ""), { file, line, offset: 0 }, diagnostics);
    for (const words of splitCommands(repaired, file, line)) {
      const first = words[0];
      if (!first) continue;
      const at = first.at;
      const head = first.text;
      if (head === "case" && words[words.length - 1]?.text === "in") {
        cases.push({ branch: undefined });
        continue;
      }
      if (head === "esac") {
        cases.pop();
        continue;
      }
      const current = cases[cases.length - 1];
      if (current && /^\(?[^()]+\)$/.test(head) && words.length === 1) {
        current.branch = head.replace(/^\(|\)$/g, "");
        continue;
      }
      if (head === ";;") {
        if (current) current.branch = undefined;
        continue;
      }
      if (OPENERS.has(head) || /^[A-Za-z_][A-Za-z0-9_]*\(\)$/.test(head) || head === "function") depth++;
      if (CLOSERS.has(head) || head === "}") {
        depth = Math.max(0, depth - 1);
        continue;
      }
      const expanded = words.map((w) => ({ ...w, text: expand(w.text, variables) }));
      const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(expanded[0]?.text ?? "");
      if (assignment && expanded.length === 1) {
        variables.set(assignment[1] as string, { value: assignment[2] as string, at });
        continue;
      }
      commands.push({
        words: expanded,
        at,
        branch: cases.map((c) => c.branch).filter((b): b is string => b !== undefined),
        nested: depth > 0,
      });
    }
  });
  return { commands, variables };
}

/** The commands of one line: words split on blanks, `;` and `;;`, with quotes removed and comments cut. */
function splitCommands(line: { text: string; columns: number[] }, file: string, lineNo: number): ShellWord[][] {
  const at = (i: number): SourceLocation => ({ file, line: lineNo, column: line.columns[i] ?? i + 1 });
  const commands: ShellWord[][] = [[]];
  const text = line.text;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if (c === "#") break;
    if (c === ";") {
      if (text[i + 1] === ";") {
        (commands[commands.length - 1] as ShellWord[]).push({ text: ";;", at: at(i) });
        i += 2;
      } else i++;
      commands.push([]);
      continue;
    }
    const start = i;
    let word = "";
    while (i < text.length && !/[ \t;]/.test(text[i] as string)) {
      const ch = text[i] as string;
      if (ch === "'" || ch === '"') {
        const close = text.indexOf(ch, i + 1);
        const end = close < 0 ? text.length : close;
        // Single quotes keep $ literal: mark it so that expansion leaves it alone.
        word += ch === "'" ? text.slice(i + 1, end).replaceAll("$", LITERAL_DOLLAR) : text.slice(i + 1, end);
        i = end + 1;
      } else if (ch === "\\" && i + 1 < text.length) {
        word += text[i + 1] === "$" ? LITERAL_DOLLAR : text[i + 1];
        i += 2;
      } else {
        word += ch;
        i++;
      }
    }
    (commands[commands.length - 1] as ShellWord[]).push({ text: word, at: at(start) });
  }
  return commands.filter((c) => c.length > 0);
}

/** $NAME and ${NAME}; unknown names and positional parameters stay as written. */
function expand(text: string, variables: ShellScript["variables"]): string {
  return text
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced, bare) => {
      const value = variables.get((braced ?? bare) as string);
      return value === undefined ? whole : value.value;
    })
    .replaceAll(LITERAL_DOLLAR, "$");
}

/** The command's program without its directory: `/sbin/ipvsadm` → `ipvsadm`. */
export function programName(command: ShellCommand): string {
  return (command.words[0]?.text ?? "").split("/").pop() ?? "";
}

/**
 * Whether the command runs on `start`: outside any case, or in a branch whose pattern lists start
 * (a `*)` branch does not: case takes the first match, and scripts list start before it).
 */
export function runsOnStart(command: ShellCommand): boolean {
  return command.branch.every((pattern) => pattern.split("|").some((p) => p.trim() === "start"));
}
