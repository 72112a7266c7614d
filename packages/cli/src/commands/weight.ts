import type { Command } from "commander";
import { CliError, EXIT } from "../exit-codes.ts";
import type { JobView } from "../jobs.ts";
import { realServerPath, resolveRealServer } from "./real-servers.ts";
import type { MakeContext } from "./types.ts";

export function parseWeight(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535)
    throw new CliError(`weight ${text}: must be a whole number from 0 to 65535`, EXIT.usage);
  return n;
}

/** `lvsctl weight REAL_SERVER N`: ipvsadm -e -w, on every director, through the desired state. */
export function registerWeight(program: Command, make: MakeContext): void {
  program
    .command("weight <real-server> <weight>")
    .description("set a real server's weight on every director (0 drains it: no new connections)")
    .option("-s, --service <name>", "the virtual service (needed when the server is in several)")
    .addHelpText(
      "after",
      `
REAL-SERVER is ADDRESS[:PORT]; short forms work when they match one real server of the clusters the
token sees (--cluster and --service narrow the search). Operator.

Examples:
  lvsctl weight 192.168.1.220:80 5
  lvsctl weight 192.168.1.231 0 --cluster web --service http     drain web2
  lvsctl weight '[2001:db8::10]:443' 2 --no-wait`,
    )
    .action(async (server: string, weightText: string, opts: { service?: string }, cmd: Command) => {
      const ctx = make(cmd);
      const weight = parseWeight(weightText);
      const target = await resolveRealServer(ctx, server, { cluster: ctx.options.cluster, service: opts.service });
      const change = await ctx.api.patch<{ before: number; after: number; changed: boolean; job: JobView }>(
        realServerPath(target),
        { weight },
      );
      await ctx.finishJob(
        change.job,
        `${target.cluster}/${target.service} ${server}: weight ${change.before} -> ${change.after}${change.changed ? "" : " (no change)"}`,
      );
    });
}
