import { readFileSync, writeFileSync } from "node:fs";
import { renderSave } from "@lvsfleet/ipvs";
import { exportKeepalived } from "@lvsfleet/keepalived";
import { ClusterSpec, desiredTable, ScriptsSection, ValidationError, validate } from "@lvsfleet/model";
import { type Command, Option } from "commander";
import { CliError, EXIT } from "../exit-codes.ts";
import type { SpecView } from "./real-servers.ts";
import type { MakeContext } from "./types.ts";

/**
 * `lvsctl export`: the cluster's desired state as a keepalived.conf for one director, or as
 * `ipvsadm -Sn` for `ipvsadm -R`, so an operator can always leave lvsfleet with a working config.
 */
export function registerExport(program: Command, make: MakeContext): void {
  program
    .command("export [cluster]")
    .description("write the cluster as keepalived.conf (one director's) or as ipvsadm -Sn (for ipvsadm -R)")
    .addOption(
      new Option("--format <format>", "output format").choices(["keepalived", "ipvsadm"]).makeOptionMandatory(),
    )
    .option("--director <host>", "keepalived: the director the file is for (default: the master)")
    .option("--out <file>", "write to a file instead of standard output")
    .option(
      "--scripts <file>",
      "keepalived: the director's --actions-file, whose scripts section gives the commands of the scripts the spec names",
    )
    .addHelpText(
      "after",
      `
Examples:
  lvsctl export web --format keepalived --director lb-master > /etc/keepalived/keepalived.conf
  lvsctl export web --format ipvsadm | ipvsadm -R
  for d in lb-master lb-backup; do lvsctl export web --format keepalived --director $d --out $d.conf; done
  lvsctl export web --format keepalived --director lb-master --scripts /etc/lvsfleet/actions.json

The spec names scripts; without --scripts each is written as /etc/lvsfleet/scripts/NAME (a warning
says so), which keepalived accepts and runs once the program is put there.`,
    )
    .action(
      async (
        cluster: string | undefined,
        opts: { format: string; director?: string; out?: string; scripts?: string },
        cmd: Command,
      ) => {
        const ctx = make(cmd);
        const name = await ctx.cluster(cluster);
        const view = await ctx.api.get<SpecView>(`/v1/clusters/${encodeURIComponent(name)}`);
        let text: string;
        if (opts.format === "ipvsadm") {
          if (opts.director)
            ctx.io.err("note: --director changes nothing for ipvsadm: every director holds the same table\n");
          text = renderSave(desiredTable(validate(ClusterSpec, view.spec)));
        } else {
          const scripts = opts.scripts ? readScripts(opts.scripts) : undefined;
          try {
            const result = exportKeepalived(view.spec as never, { director: opts.director, scripts });
            for (const w of result.warnings) ctx.io.err(`warning: ${w.field}: ${w.message}\n`);
            text = result.text;
          } catch (error) {
            const fields = (error as { errors?: { field: string; message: string }[] }).errors;
            throw new CliError(
              (error as Error).message,
              EXIT.usage,
              fields?.map((f) => `${f.field}: ${f.message}`) ?? [],
            );
          }
        }
        if (opts.out) {
          writeFileSync(opts.out, text);
          ctx.io.err(`wrote ${opts.out}\n`);
        } else ctx.io.out(text);
      },
    );
}

/** The scripts section of a director's actions file, validated as the agent validates it. */
function readScripts(path: string): ScriptsSection {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new CliError(`--scripts ${path}: ${(error as Error).message}`, EXIT.usage);
  }
  try {
    return validate(ScriptsSection, (raw as { scripts?: unknown } | null)?.scripts ?? {}, ["scripts"]);
  } catch (error) {
    if (error instanceof ValidationError)
      throw new CliError(
        `--scripts ${path}: not a valid actions file`,
        EXIT.usage,
        error.errors.map((e) => `${e.field}: ${e.message}`),
      );
    throw error;
  }
}
