import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { formatDiagnostic, importKeepalived, type KeepalivedSource } from "@lvsfleet/keepalived";
import { nodeFiles } from "@lvsfleet/keepalived/files";
import { parseEndpoint } from "@lvsfleet/model";
import type { Command } from "commander";
import { CliError, EXIT } from "../exit-codes.ts";
import { formatData } from "../output.ts";
import { type ClusterPlan, describePlan, putSpec } from "./apply.ts";
import type { MakeContext } from "./types.ts";

interface ImportOptions {
  name?: string;
  director: string[];
  realServerHost: string[];
  strict?: boolean;
  print?: boolean;
  diff?: boolean;
  scriptsOut?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `HOST=ADDRESS` (a director of the file at the same position). */
function director(text: string): { host: string; address: string } {
  const match = /^([A-Za-z0-9][A-Za-z0-9.-]*)=(.+)$/.exec(text);
  if (!match || !parseEndpoint(match[2] ?? ""))
    throw new CliError(`--director ${text}: must be HOST=ADDRESS, e.g. lb-master=192.168.1.252`, EXIT.usage);
  return { host: match[1] as string, address: match[2] as string };
}

/** `ADDRESS=HOST`: the real-server agent that runs realdr for that address. */
function realServerHosts(pairs: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const text of pairs) {
    const match = /^(.+)=([A-Za-z0-9][A-Za-z0-9.-]*)$/.exec(text);
    if (!match || !parseEndpoint(match[1] ?? ""))
      throw new CliError(`--real-server-host ${text}: must be ADDRESS=HOST, e.g. 192.168.1.220=web1`, EXIT.usage);
    map.set(match[1] as string, match[2] as string);
  }
  return map;
}

/**
 * `lvsctl import keepalived.conf…`: each file is one director's keepalived.conf; they become one
 * cluster spec here (client side, with packages/keepalived), and the spec is PUT like apply.
 */
export function registerImport(program: Command, make: MakeContext): void {
  program
    .command("import <files...>")
    .description("turn keepalived.conf files (one per director) into a cluster and apply it")
    .option("--name <cluster>", "the cluster's name (default: --cluster, else from router_id)")
    .option(
      "--director <host=address>",
      "the director each file is for, in the files' order (default: router_id and unicast_src_ip)",
      collect,
      [],
    )
    .option(
      "--real-server-host <address=host>",
      "the real-server agent for an address, so start runs realdr there (repeatable)",
      collect,
      [],
    )
    .option("--strict", "refuse copy-paste damage instead of repairing it")
    .option("--print", "print the spec (-o yaml by default) instead of applying it")
    .option("--diff", "show what applying it would change (like diff -f), without applying")
    .option("--scripts-out <file>", "write the scripts section the directors' --actions-file needs (JSON) to this file")
    .addHelpText(
      "after",
      `
keepalived.conf is read with a real parser: include, both comment styles, vrrp_instance, virtual_server
with real_server and TCP_CHECK/HTTP_GET/SSL_GET/MISC_CHECK. Damage from copying a file off a web page
(// comments, non-breaking spaces) is repaired when only one reading is possible and reported as a
warning with file:line:column; anything else is refused with file:line:column and a hint (exit 2).
Keywords lvsfleet keeps but does not act on are warnings, never dropped silently.

Scripts (misc_path, quorum_up/quorum_down, notify*) become names in the spec: a director runs a
script only if its own --actions-file maps the name to a program. Each is a warning with its entry,
and the whole "scripts" section to put in every director's actions file is printed on standard error
(or written with --scripts-out FILE).

Examples:
  lvsctl import /etc/keepalived/keepalived.conf --print
  lvsctl import master.conf backup.conf --name web \\
      --director lb-master=192.168.1.252 --director lb-backup=192.168.1.230 \\
      --real-server-host 192.168.1.220=web1 --real-server-host 192.168.1.231=web2
  lvsctl import keepalived.conf --name web --diff`,
    )
    .action(async (files: string[], opts: ImportOptions, cmd: Command) => {
      const ctx = make(cmd);
      if (opts.director.length > 0 && opts.director.length !== files.length)
        throw new CliError(
          `${files.length} file(s) but ${opts.director.length} --director: give one per file, in the same order`,
          EXIT.usage,
        );
      const hosts = realServerHosts(opts.realServerHost);
      const sources: KeepalivedSource[] = files.map((file, i) => ({
        path: resolve(file),
        ...(opts.director[i] ? { director: director(opts.director[i] as string) } : {}),
      }));
      const name = opts.name ?? ctx.options.cluster;
      const result = importKeepalived(sources, { files: nodeFiles, name, strict: opts.strict ?? false });
      for (const d of result.diagnostics) ctx.io.err(`${formatDiagnostic(d)}\n`);
      if (!result.ok)
        throw new CliError(
          `import refused: ${result.diagnostics.filter((d) => d.severity === "error").length} error(s) above${opts.strict ? " (--strict)" : ""}`,
          EXIT.usage,
        );
      const names = Object.keys(result.scripts);
      if (names.length > 0) {
        const section = `${JSON.stringify({ scripts: result.scripts }, null, 2)}\n`;
        if (opts.scriptsOut) {
          writeFileSync(opts.scriptsOut, section, { mode: 0o600 });
          ctx.io.err(
            `the spec names ${names.length} script(s) (${names.join(", ")}): wrote the scripts section for every director's --actions-file to ${opts.scriptsOut}\n`,
          );
        } else
          ctx.io.err(
            `the spec names ${names.length} script(s) (${names.join(", ")}); every director's --actions-file needs this scripts section (docs/keepalived-import.md):\n${section}`,
          );
      }
      const spec = result.spec;
      const unknown = [...hosts.keys()].filter(
        (a) => !spec.services.some((s) => s.realServers.some((r) => r.address === a)),
      );
      if (unknown.length)
        throw new CliError(`--real-server-host: no real server ${unknown.join(", ")} in the files`, EXIT.usage);
      for (const service of spec.services)
        for (const rs of service.realServers) {
          const host = hosts.get(rs.address);
          if (host) rs.host = host;
        }
      if (opts.print) {
        ctx.io.out(formatData(spec, ctx.format === "json" ? "json" : "yaml"));
        return;
      }
      if (opts.diff) {
        const plan = await ctx.api.post<ClusterPlan>(`/v1/clusters/${encodeURIComponent(spec.name)}/plan`, spec);
        ctx.print(plan, () => describePlan(plan));
        if (plan.specChanged || plan.directors.some((d) => d.changes.length > 0))
          throw new CliError("", EXIT.differences);
        return;
      }
      await putSpec(ctx, spec.name, spec, files.join(", "));
    });
}
