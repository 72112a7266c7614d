import type { Command } from "commander";

/** One command of the tree: its path (`tokens create`), subcommands and option flags. */
interface Node {
  path: string;
  description: string;
  subcommands: string[];
  flags: { long?: string; short?: string; description: string }[];
}

function walk(command: Command, prefix: string[] = []): Node[] {
  const path = prefix.join(" ");
  const node: Node = {
    path,
    description: command.description(),
    subcommands: command.commands.map((c) => c.name()),
    flags: [
      ...command.options.map((o) => ({ long: o.long, short: o.short, description: o.description })),
      { long: "--help", short: "-h", description: "show help" },
    ],
  };
  return [node, ...command.commands.flatMap((c) => walk(c, [...prefix, c.name()]))];
}

const FILE_FLAGS = ["-f", "--file", "--out", "--config"];
const VALUE_CHOICES: Record<string, string[]> = {
  "-o": ["table", "json", "yaml"],
  "--output": ["table", "json", "yaml"],
  "--format": ["keepalived", "ipvsadm"],
  "--role": ["viewer", "operator", "admin"],
  "--state": ["queued", "active", "completed", "failed"],
};

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A bash completion script (zsh loads it through bashcompinit). */
export function bashCompletion(program: Command): string {
  const name = program.name();
  const nodes = walk(program);
  const globals = program.options.flatMap((o) => [o.long, o.short].filter(Boolean));
  const cases = nodes
    .map((n) => {
      const words = [...n.subcommands, ...n.flags.flatMap((f) => [f.long].filter(Boolean)), ...(n.path ? globals : [])];
      return `    ${quote(n.path)}) echo ${quote([...new Set(words)].join(" "))} ;;`;
    })
    .join("\n");
  const choices = Object.entries(VALUE_CHOICES)
    .map(([flag, values]) => `    ${flag}) COMPREPLY=( $(compgen -W ${quote(values.join(" "))} -- "$cur") ); return ;;`)
    .join("\n");
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
  return `# ${name} completion for bash (and zsh). Load it with:
#   source <(${name} completion bash)          # bash, e.g. in ~/.bashrc
#   source <(${name} completion zsh)           # zsh, e.g. in ~/.zshrc
${fn}_words() {
  case "$1" in
${cases}
    *) return 1 ;;
  esac
}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" word next i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ $word == -* ]] && continue
    next="\${path:+$path }$word"
    ${fn}_words "$next" >/dev/null && path="$next"
  done
  case "$prev" in
    ${FILE_FLAGS.join("|")}) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
${choices}
  esac
  COMPREPLY=( $(compgen -W "$(${fn}_words "$path")" -- "$cur") )
}
complete -o default -F ${fn} ${name}
`;
}

export function zshCompletion(program: Command): string {
  return `#compdef ${program.name()}
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program)}`;
}

/** A fish completion script. */
export function fishCompletion(program: Command): string {
  const name = program.name();
  const lines = [`# ${name} completion for fish: ${name} completion fish > ~/.config/fish/completions/${name}.fish`];
  lines.push(`complete -c ${name} -f`);
  for (const node of walk(program)) {
    const parts = node.path ? node.path.split(" ") : [];
    const condition = parts.length ? `__fish_seen_subcommand_from ${parts[parts.length - 1]}` : "__fish_use_subcommand";
    const command = parts.length ? program.commands.length && findCommand(program, parts) : program;
    for (const sub of command ? command.commands : [])
      lines.push(`complete -c ${name} -n ${quote(condition)} -a ${sub.name()} -d ${quote(sub.description())}`);
    for (const flag of node.flags) {
      if (!flag.long) continue;
      const long = flag.long.replace(/^--/, "");
      const short = flag.short ? ` -s ${flag.short.replace(/^-/, "")}` : "";
      const values = VALUE_CHOICES[flag.long];
      const arg = FILE_FLAGS.includes(flag.long) ? " -r -F" : values ? ` -x -a ${quote(values.join(" "))}` : "";
      lines.push(`complete -c ${name} -n ${quote(condition)} -l ${long}${short}${arg} -d ${quote(flag.description)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function findCommand(program: Command, parts: string[]): Command | undefined {
  let command: Command | undefined = program;
  for (const part of parts) command = command?.commands.find((c) => c.name() === part);
  return command;
}
