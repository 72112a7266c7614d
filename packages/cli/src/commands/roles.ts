import type { Command } from "commander";
import type { JobView } from "../jobs.ts";
import type { MakeContext } from "./types.ts";

/** `lvsctl start|stop [cluster] [--host H]`: lvsdr.sh/realdr.sh start or stop, as a job. */
export function registerRoles(program: Command, make: MakeContext): void {
  for (const action of ["start", "stop"] as const)
    program
      .command(`${action} [cluster]`)
      .description(
        action === "start"
          ? "take up the role on every host of a cluster, or one (lvsdr.sh/realdr.sh start): VIPs, ARP sysctls, the IPVS table"
          : "give up the role, undoing exactly what start did (lvsdr.sh/realdr.sh stop)",
      )
      .option("--host <name>", "one host of the cluster (default: all of them)")
      .addHelpText(
        "after",
        `
Admin. Examples:
  lvsctl ${action} web
  lvsctl ${action} web --host ${action === "start" ? "web1" : "lb-backup"}`,
      )
      .action(async (cluster: string | undefined, opts: { host?: string }, cmd: Command) => {
        const ctx = make(cmd);
        const name = await ctx.cluster(cluster);
        const answer = await ctx.api.post<{ job: JobView; hosts: string[] }>(
          `/v1/clusters/${encodeURIComponent(name)}/${action}`,
          opts.host ? { host: opts.host } : {},
        );
        await ctx.finishJob(answer.job, `${action} ${name}: ${answer.hosts.join(", ")}`);
      });
}
