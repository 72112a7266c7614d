import { formatEndpoint } from "@lvsfleet/model";
import type { Command } from "commander";
import { CliError, EXIT } from "../exit-codes.ts";
import { describeJob, type JobView } from "../jobs.ts";
import { columns } from "../output.ts";
import { resolveRealServer } from "./real-servers.ts";
import type { MakeContext } from "./types.ts";
import { parseWeight } from "./weight.ts";

const DURATION = /^(\d{1,6})(s|m|h|d)$/;

function duration(text: string | undefined, flag: string): string | undefined {
  if (text === undefined) return undefined;
  if (!DURATION.test(text))
    throw new CliError(`${flag} ${text}: must be a duration like 90s, 15m, 2h or 1d`, EXIT.usage);
  return text;
}

function positive(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${flag} ${text}: must be a number above 0`, EXIT.usage);
  return n;
}

/**
 * Jobs: one job (GET /v1/jobs/{id}) and retry work on every server; listing, cancel, drain and
 * what-if use the maintenance-jobs and what-if endpoints (POST /v1/clusters/{c}/jobs,
 * GET /v1/jobs, POST /v1/jobs/{id}/cancel, POST /v1/clusters/{c}/simulate) and say so plainly
 * (exit 7) on a server that does not have them yet.
 */
export function registerJobs(program: Command, make: MakeContext): void {
  program
    .command("jobs [id]")
    .description("one job (state, what each host changed, error), or the recent jobs")
    .option("--state <state>", "list only jobs in this state (queued, active, completed, failed)")
    .addHelpText(
      "after",
      `
Examples:
  lvsctl jobs 42                 one job
  lvsctl jobs --cluster web      recent jobs of a cluster (needs a server with maintenance jobs)`,
    )
    .action(async (id: string | undefined, opts: { state?: string }, cmd: Command) => {
      const ctx = make(cmd);
      if (id) {
        const job = await ctx.api.get<JobView>(`/v1/jobs/${encodeURIComponent(id)}`);
        ctx.print(job, () => describeJob(job));
        return;
      }
      const query = new URLSearchParams();
      if (ctx.options.cluster ?? ctx.settings.cluster)
        query.set("cluster", (ctx.options.cluster ?? ctx.settings.cluster) as string);
      if (opts.state) query.set("state", opts.state);
      const answer = await ctx.api.get<{ jobs: JobView[] }>(`/v1/jobs${query.size ? `?${query}` : ""}`);
      ctx.print(answer, () =>
        columns(
          ["ID", "KIND", "CLUSTER", "STATE", "CREATED", "COMMAND"],
          answer.jobs.map((j) => [j.id, j.kind, j.cluster, j.state, j.createdAt, j.command]),
        ),
      );
    });

  program
    .command("retry <id>")
    .description("run a failed job again from its first step (operator)")
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = make(cmd);
      await ctx.finishJob(await ctx.api.post<JobView>(`/v1/jobs/${encodeURIComponent(id)}/retry`));
    });

  program
    .command("cancel <id>")
    .description(
      "cancel a queued or running job; it stops at its next safe point and restores what it changed (operator)",
    )
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = make(cmd);
      const job = await ctx.api.post<JobView>(`/v1/jobs/${encodeURIComponent(id)}/cancel`);
      ctx.print(job, () => describeJob(job));
    });

  program
    .command("drain <real-server>")
    .description("queue a drain job: weight 0, wait until the real server's connections end, then keep or remove it")
    .option("-s, --service <name>", "the virtual service (needed when the server is in several)")
    .option("--for <duration>", "keep it drained this long, then restore its weight (e.g. 30m): a maintenance window")
    .option("--drain-timeout <duration>", "give up waiting for connections to end after this long (e.g. 10m)")
    .option("--remove", "remove the real server from the table once drained")
    .addHelpText(
      "after",
      `
Needs a server with maintenance jobs (POST /v1/clusters/{cluster}/jobs); on an older one it says so
and exits 7. For a plain weight 0 use: lvsctl weight <real-server> 0. Operator.

Examples:
  lvsctl drain 192.168.1.220:80
  lvsctl drain 192.168.1.231 --for 30m`,
    )
    .action(
      async (
        server: string,
        opts: { service?: string; for?: string; drainTimeout?: string; remove?: boolean },
        cmd: Command,
      ) => {
        const ctx = make(cmd);
        const target = await resolveRealServer(ctx, server, { cluster: ctx.options.cluster, service: opts.service });
        const options = {
          ...(duration(opts.for, "--for") ? { for: opts.for } : {}),
          ...(duration(opts.drainTimeout, "--drain-timeout") ? { timeout: opts.drainTimeout } : {}),
          ...(opts.remove ? { remove: true } : {}),
        };
        const answer = await ctx.api.post<{ job: JobView } & JobView>(
          `/v1/clusters/${encodeURIComponent(target.cluster)}/jobs`,
          {
            kind: opts.for ? "maintenance" : "drain",
            targets: [{ service: target.service, address: target.address, port: target.port }],
            options,
          },
        );
        await ctx.finishJob(
          answer.job ?? answer,
          `drain ${formatEndpoint(target.address, target.port)} in ${target.cluster}/${target.service}`,
        );
      },
    );

  const whatif = program
    .command("whatif")
    .description("predict what a change would do before making it (the IPVS simulator; nothing changes)")
    .addHelpText(
      "after",
      `
Starts from the live table of the director the clients reach and simulates the traffic twice, without
and with the change: each real server's share of new connections, ActiveConn over time, and for a
drained or removed server the time until it holds no connections. Needs a server with the what-if
endpoint (POST /v1/clusters/{cluster}/simulate); on an older one lvsctl says so and exits 7. Viewer.

Examples:
  lvsctl whatif weight 192.168.1.220:80 1
  lvsctl whatif drain 192.168.1.231 --cps 200 --lifetime 60
  lvsctl whatif remove 192.168.1.231 -o json`,
    );
  const traffic = (command: Command) =>
    command
      .option("-s, --service <name>", "the virtual service")
      .option("--cps <n>", "new connections per second (default: what the director measures)")
      .option("--lifetime <seconds>", "mean connection lifetime (default: from the live table)")
      .option("--clients <n>", "distinct client addresses (default 1000)")
      .option("--duration <seconds>", "how long to predict (default 300)");
  interface TrafficOptions {
    service?: string;
    cps?: string;
    lifetime?: string;
    clients?: string;
    duration?: string;
  }
  const ask = async (cmd: Command, server: string, opts: TrafficOptions, change: Record<string, unknown>) => {
    const ctx = make(cmd);
    const target = await resolveRealServer(ctx, server, { cluster: ctx.options.cluster, service: opts.service });
    const lifetime = positive(opts.lifetime, "--lifetime");
    const body = {
      service: target.service,
      change: { ...change, server: formatEndpoint(target.address, target.port) },
      traffic: {
        ...(opts.cps ? { connectionsPerSecond: positive(opts.cps, "--cps") } : {}),
        ...(lifetime ? { lifetime: { kind: "exponential", meanSeconds: lifetime } } : {}),
        ...(opts.clients ? { clients: positive(opts.clients, "--clients") } : {}),
        ...(opts.duration ? { durationSeconds: positive(opts.duration, "--duration") } : {}),
      },
    };
    const path = `/v1/clusters/${encodeURIComponent(target.cluster)}/simulate`;
    if (ctx.format === "table") {
      const { text } = await ctx.api.request("POST", `${path}?format=text`, body, "text/plain");
      ctx.io.out(text.endsWith("\n") ? text : `${text}\n`);
    } else ctx.print(await ctx.api.post(path, body), () => "");
  };
  traffic(whatif.command("weight <real-server> <weight>").description("a weight change")).action(
    (server: string, weightText: string, opts: TrafficOptions, cmd: Command) =>
      ask(cmd, server, opts, { kind: "weight", weight: parseWeight(weightText) }),
  );
  traffic(
    whatif.command("drain <real-server>").description("weight 0: no new connections, existing ones finish"),
  ).action((server: string, opts: TrafficOptions, cmd: Command) => ask(cmd, server, opts, { kind: "drain" }));
  traffic(whatif.command("remove <real-server>").description("removal from the table")).action(
    (server: string, opts: TrafficOptions, cmd: Command) => ask(cmd, server, opts, { kind: "remove" }),
  );
}
