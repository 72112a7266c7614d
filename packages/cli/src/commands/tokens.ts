import type { Command } from "commander";
import { CliError, EXIT } from "../exit-codes.ts";
import { columns } from "../output.ts";
import type { MakeContext } from "./types.ts";

interface TokenRecord {
  id: string;
  name: string;
  role: string;
  clusters?: string[];
  createdAt: number;
  createdBy: string;
  lastUsedAt?: number;
  revokedAt?: number;
}

const time = (ms: number | undefined) => (ms ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z") : undefined);

/** `lvsctl tokens create|list|revoke`: API tokens (admin). */
export function registerTokens(program: Command, make: MakeContext): void {
  const tokens = program.command("tokens").description("API tokens: create, list, revoke (admin)");
  tokens
    .command("create <name>")
    .description("create a token; it is printed once (only its hash is kept)")
    .requiredOption("--role <role>", "viewer (read), operator (weights, jobs) or admin (specs, start/stop, tokens)")
    .option("--clusters <names>", "comma-separated clusters it may touch (default: all)")
    .addHelpText(
      "after",
      `
Examples:
  lvsctl tokens create prometheus --role viewer                 for scraping /metrics
  lvsctl tokens create ci-deploy --role operator --clusters web
  export LVSFLEET_TOKEN=$(lvsctl tokens create alice --role admin -o json | jq -r .token)`,
    )
    .action(async (name: string, opts: { role: string; clusters?: string }, cmd: Command) => {
      const ctx = make(cmd);
      if (!["viewer", "operator", "admin"].includes(opts.role))
        throw new CliError(`--role ${opts.role}: must be viewer, operator or admin`, EXIT.usage);
      const clusters = opts.clusters
        ?.split(",")
        .map((c) => c.trim())
        .filter(Boolean);
      const created = await ctx.api.post<TokenRecord & { token: string }>("/v1/tokens", {
        name,
        role: opts.role,
        ...(clusters?.length ? { clusters } : {}),
      });
      ctx.print(
        created,
        () =>
          `token ${created.name} (id ${created.id}, ${created.role}${created.clusters ? ` on ${created.clusters.join(", ")}` : ""}):\n${created.token}\nit is shown only now: store it (e.g. in a file read by tokenFile in the config)\n`,
      );
    });
  tokens
    .command("list")
    .description("every token: id, name, role, clusters, last use (never the secrets)")
    .action(async (_opts, cmd: Command) => {
      const ctx = make(cmd);
      const answer = await ctx.api.get<{ tokens: TokenRecord[] }>("/v1/tokens");
      ctx.print(answer, () =>
        columns(
          ["ID", "NAME", "ROLE", "CLUSTERS", "CREATED", "LAST USED", "REVOKED"],
          answer.tokens.map((t) => [
            t.id,
            t.name,
            t.role,
            t.clusters?.join(","),
            time(t.createdAt),
            time(t.lastUsedAt),
            time(t.revokedAt),
          ]),
        ),
      );
    });
  tokens
    .command("revoke <id>")
    .description("revoke a token at once (its id from tokens list)")
    .action(async (id: string, _opts, cmd: Command) => {
      const ctx = make(cmd);
      const record = await ctx.api.delete<TokenRecord>(`/v1/tokens/${encodeURIComponent(id)}`);
      ctx.print(record, () => `token ${record.name} (id ${record.id}) revoked\n`);
    });
}
