import type { Command } from "commander";
import type { Context } from "../context.ts";
import type { MakeContext } from "./types.ts";

/** `lvsctl status [cluster]`: every director's table as ipvsadm -Ln prints it, with agent and role state. */
export function registerStatus(program: Command, make: MakeContext): void {
  program
    .command("status [cluster]")
    .description("every director's IPVS table as ipvsadm -Ln prints it, with agent, role and sync state")
    .addHelpText(
      "after",
      `
Examples:
  lvsctl status                 the only cluster (or --cluster / LVSFLEET_CLUSTER)
  lvsctl status web -o json     per host: agent, role state, observed table, host addresses and sysctls`,
    )
    .action(async (cluster: string | undefined, _opts, cmd: Command) => {
      const ctx = make(cmd);
      await status(ctx, await ctx.cluster(cluster));
    });
}

async function status(ctx: Context, cluster: string): Promise<void> {
  const path = `/v1/clusters/${encodeURIComponent(cluster)}/status`;
  if (ctx.format === "table") ctx.io.out(await ctx.api.text(`${path}?format=text`));
  else ctx.print(await ctx.api.get(path), () => "");
}
