import { Command, CommanderError, Option } from "commander";
import { registerAgents } from "./commands/agents.ts";
import { registerApply } from "./commands/apply.ts";
import { registerExport } from "./commands/export.ts";
import { registerGet } from "./commands/get.ts";
import { registerImport } from "./commands/import.ts";
import { registerJobs } from "./commands/jobs.ts";
import { registerRoles } from "./commands/roles.ts";
import { registerStatus } from "./commands/status.ts";
import { registerTokens } from "./commands/tokens.ts";
import { registerWeight } from "./commands/weight.ts";
import { bashCompletion, fishCompletion, zshCompletion } from "./completion.ts";
import { Context, type GlobalOptions, type Io } from "./context.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { FORMATS } from "./output.ts";
import { configPath } from "./settings.ts";

export const VERSION = "0.1.0";

const EXIT_CODES = `
Exit codes:
  0  done (diff: nothing would change)       5  not found (cluster, service, real server, job, token)
  1  diff: something would change            6  refused by the server (bad input, conflict, rate limit)
  2  bad arguments or input file, import     7  this server does not support the command
     refused, ambiguous name                 8  the job failed, or outlived --wait-timeout
  3  cannot reach the server                 9  server or agent error (5xx), diff incomplete
  4  not authenticated, or not allowed`;

const HELP = `
Settings, first match wins: --server/--token/--ca-file, LVSFLEET_URL/LVSFLEET_TOKEN/LVSFLEET_CA_FILE,
the config file (LVSFLEET_CONFIG, else ~/.config/lvsfleet/config.yaml: url, token or tokenFile,
caFile, cluster), then http://127.0.0.1:8080.
Several servers (replicas of one control plane): --server/LVSFLEET_URL comma-separated, or a list as
the config's url. A read goes to the next one when a server is down or a proxy answers 502/503/504; a
change only when the failure came before it was sent (refused, unknown host): never twice.
An https:// server's certificate must come from Node's default roots, NODE_EXTRA_CA_CERTS or the CA
file (for the lvsfleet CA: GET /v1/pki/ca, or <data dir>/pki/ca.crt on the server).

Examples:
  export LVSFLEET_URL=http://127.0.0.1:8080 LVSFLEET_TOKEN=…
  lvsctl status                                   the ipvsadm -Ln view of every director
  lvsctl weight 192.168.1.220:80 5               set a weight on every director, wait for the job
  lvsctl get web -o yaml > web.yaml && lvsctl diff -f web.yaml && lvsctl apply -f web.yaml
  lvsctl import /etc/keepalived/keepalived.conf --name web --print
  lvsctl export web --format ipvsadm | ipvsadm -R
  source <(lvsctl completion bash)
${EXIT_CODES}

docs/cli.md has every command.`;

/**
 * The lvsctl command tree (commander: subcommands, options, help, errors, completion from one
 * declaration). Commands build their Context from the merged options when they run.
 */
export function buildProgram(io: Io): Command {
  const program = new Command("lvsctl")
    .description("lvsctl: run LVS/IPVS clusters through the lvsfleet server")
    .version(VERSION, "-V, --version")
    .option(
      "--server <url>",
      "the lvsfleet server, or several replicas comma-separated (LVSFLEET_URL; default http://127.0.0.1:8080)",
    )
    .option("--token <token>", "API token (prefer LVSFLEET_TOKEN or tokenFile in the config: flags show in ps)")
    .option("--config <file>", `config file (LVSFLEET_CONFIG; default ${configPath(io.env)})`)
    .option("--ca-file <file>", "CA certificate(s) to trust for an https:// server (LVSFLEET_CA_FILE)")
    .option("-c, --cluster <name>", "the cluster (LVSFLEET_CLUSTER or the config's cluster; default: the only one)")
    .addOption(new Option("-o, --output <format>", "output format").choices(FORMATS).default("table"))
    .option("--timeout <seconds>", "per-request timeout", "30")
    .option("--no-wait", "return once a job is queued instead of waiting for it")
    .option("--wait-timeout <seconds>", "how long to wait for a job", "60")
    .showHelpAfterError("(lvsctl --help shows every command)")
    .addHelpText("after", HELP)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });

  const make = (command: Command) => new Context(io, command.optsWithGlobals() as GlobalOptions);
  registerStatus(program, make);
  registerGet(program, make);
  registerApply(program, make);
  registerWeight(program, make);
  registerRoles(program, make);
  registerJobs(program, make);
  registerImport(program, make);
  registerExport(program, make);
  registerAgents(program, make);
  registerTokens(program, make);

  program
    .command("config")
    .description("where lvsctl finds its server, token and cluster (the token itself is never shown)")
    .action((_opts, cmd: Command) => {
      const ctx = make(cmd);
      const s = ctx.settings;
      const view = {
        url: s.url,
        urls: s.urls,
        urlFrom: s.sources.url,
        token: s.token ? "set" : "none",
        tokenFrom: s.sources.token,
        cluster: s.cluster ?? null,
        caFile: s.caFile ?? null,
        caFileFrom: s.sources.caFile,
        configFile: s.sources.configFile ?? null,
      };
      ctx.print(
        view,
        () =>
          `server   ${view.url} (from ${view.urlFrom})\ntoken    ${view.token} (from ${view.tokenFrom})\ncluster  ${view.cluster ?? "-"}\nca file  ${view.caFile ?? "- (Node's default roots)"}${view.caFile ? ` (from ${view.caFileFrom})` : ""}\nconfig   ${view.configFile ?? `${configPath(io.env)} (not present)`}\n`,
      );
    });

  program
    .command("completion <shell>")
    .description("print a shell completion script: bash, zsh or fish")
    .addHelpText(
      "after",
      `
Examples:
  source <(lvsctl completion bash)                          in ~/.bashrc
  source <(lvsctl completion zsh)                           in ~/.zshrc
  lvsctl completion fish > ~/.config/fish/completions/lvsctl.fish`,
    )
    .action((shell: string) => {
      const scripts: Record<string, () => string> = {
        bash: () => bashCompletion(program),
        zsh: () => zshCompletion(program),
        fish: () => fishCompletion(program),
      };
      const script = scripts[shell];
      if (!script) throw new CliError(`completion ${shell}: the shells are bash, zsh and fish`, EXIT.usage);
      io.out(script());
    });

  for (const command of program.commands) command.exitOverride().configureOutput(program.configureOutput());
  return program;
}

/** Runs lvsctl with argv (without node and the script); returns the exit code. Never throws. */
export async function run(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError)
      // --help and --version end this way too, with code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof CliError) {
      if (error.message) io.err(`lvsctl: ${error.message}\n`);
      for (const line of error.details) io.err(`  ${line}\n`);
      return error.exitCode;
    }
    io.err(`lvsctl: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 70;
  }
}
