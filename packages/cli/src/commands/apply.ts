import type { Command } from "commander";
import type { Context } from "../context.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import type { JobView } from "../jobs.ts";
import { readSpec } from "../spec-file.ts";
import type { MakeContext } from "./types.ts";

export interface ClusterPlan {
  cluster: string;
  exists: boolean;
  generation: number;
  specChanged: boolean;
  specChanges: string[];
  directors: {
    host: string;
    roleState?: string;
    changes: string[];
    note?: string;
    error?: string;
    problems?: { code: string; message: string; fix: string }[];
  }[];
}

/** PUT the spec; the server queues the job that brings the directors to it. */
/** `?moveHosts=a,b` when hosts are to be taken over from the clusters that own them. */
function moveQuery(moveHosts: string | undefined): string {
  return moveHosts ? `?moveHosts=${encodeURIComponent(moveHosts)}` : "";
}

export async function putSpec(
  ctx: Context,
  cluster: string,
  spec: unknown,
  what: string,
  moveHosts?: string,
): Promise<JobView> {
  const answer = await ctx.api.put<{ created: boolean; generation: number; job: JobView }>(
    `/v1/clusters/${encodeURIComponent(cluster)}${moveQuery(moveHosts)}`,
    spec,
  );
  const verb = answer.created ? "created" : answer.job.command.endsWith("(no change)") ? "unchanged" : "updated";
  return ctx.finishJob(answer.job, `cluster ${cluster} ${verb} from ${what} (generation ${answer.generation})`);
}

export function describePlan(plan: ClusterPlan): string {
  const lines = [
    plan.exists
      ? `cluster ${plan.cluster} (generation ${plan.generation}): ${plan.specChanged ? `${plan.specChanges.length || "some"} change(s) to the spec` : "the spec is unchanged"}`
      : `cluster ${plan.cluster} does not exist yet: apply creates it`,
    ...plan.specChanges.map((c) => `  ${c}`),
  ];
  for (const d of plan.directors) {
    if (d.error) lines.push(`director ${d.host}: not asked: ${d.error}`);
    else if (d.note)
      lines.push(`director ${d.host} (${d.roleState ?? "?"}): ${d.note}`, ...d.changes.map((c) => `  ${c}`));
    else
      lines.push(
        `director ${d.host} (${d.roleState ?? "?"}): ${d.changes.length ? `${d.changes.length} operation(s)` : "nothing to change"}`,
        ...d.changes.map((c) => `  ${c}`),
      );
    for (const p of d.problems ?? []) lines.push(`  the director would refuse this spec: ${p.message} (fix: ${p.fix})`);
  }
  return `${lines.join("\n")}\n`;
}

export function registerApply(program: Command, make: MakeContext): void {
  program
    .command("apply")
    .description("replace a cluster's desired state with a spec file (YAML or JSON); creates the cluster if new")
    .requiredOption("-f, --file <path>", "the spec (- for standard input)")
    .option(
      "--move-hosts <hosts>",
      "take these hosts (comma-separated) over from the clusters that own them (admin of both)",
    )
    .addHelpText(
      "after",
      `
The spec is checked here with the server's own schema first, so a typo is named with its field before
anything is sent. Then the server stores it and a job brings every director to it; lvsctl waits for the
job (--no-wait to return at once) and prints what each director changed. Admin.

Examples:
  lvsctl apply -f web.yaml
  lvsctl get web -o json | jq '.services[0].scheduler="wlc"' | lvsctl apply -f -
  lvsctl apply -f web.yaml --no-wait -o json | jq -r .id`,
    )
    .action(async (opts: { file: string; moveHosts?: string }, cmd: Command) => {
      const ctx = make(cmd);
      const { cluster, spec } = readSpec(opts.file, ctx.options.cluster);
      await putSpec(ctx, cluster, spec, opts.file === "-" ? "standard input" : opts.file, opts.moveHosts);
    });

  program
    .command("diff")
    .description("what apply -f would change, per director, without changing anything (exit 1 when something would)")
    .requiredOption("-f, --file <path>", "the spec (- for standard input)")
    .option("--move-hosts <hosts>", "as apply --move-hosts: plan with these hosts taken over")
    .addHelpText(
      "after",
      `
Every director of the spec is asked for a dry run (gRPC Apply with dry_run) against the table it really
holds, so the answer includes drift made by hand. Exit 0: nothing would change; 1: something would;
9: a director could not be asked (and nothing else would change). Viewer.

Examples:
  lvsctl diff -f web.yaml
  lvsctl diff -f web.yaml >/dev/null || lvsctl apply -f web.yaml`,
    )
    .action(async (opts: { file: string; moveHosts?: string }, cmd: Command) => {
      const ctx = make(cmd);
      const { cluster, spec } = readSpec(opts.file, ctx.options.cluster);
      const plan = await ctx.api.post<ClusterPlan>(
        `/v1/clusters/${encodeURIComponent(cluster)}/plan${moveQuery(opts.moveHosts)}`,
        spec,
      );
      ctx.print(plan, () => describePlan(plan));
      const changes = plan.specChanged || plan.directors.some((d) => d.changes.length > 0);
      if (changes) throw new CliError("", EXIT.differences);
      if (plan.directors.some((d) => d.error))
        throw new CliError(
          `could not ask ${plan.directors
            .filter((d) => d.error)
            .map((d) => d.host)
            .join(", ")}: the diff is incomplete`,
          EXIT.serverError,
        );
    });
}
