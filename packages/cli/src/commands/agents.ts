import type { Command } from "commander";
import { columns } from "../output.ts";
import type { MakeContext } from "./types.ts";

interface AgentView {
  host: string;
  role: string;
  endpoint: string;
  driver: string;
  cluster?: string;
  reachable: boolean;
  lastHeartbeat?: string;
  roleState?: string;
  generation?: number;
  lastError?: string;
}

export function registerAgents(program: Command, make: MakeContext): void {
  program
    .command("agents")
    .description(
      "every agent: the cluster that owns its host, role, endpoint, driver, reachable, role state, last heartbeat",
    )
    .action(async (_opts, cmd: Command) => {
      const ctx = make(cmd);
      const answer = await ctx.api.get<{ agents: AgentView[] }>("/v1/agents");
      ctx.print(answer, () =>
        columns(
          [
            "HOST",
            "CLUSTER",
            "ROLE",
            "ENDPOINT",
            "DRIVER",
            "REACHABLE",
            "STATE",
            "GENERATION",
            "LAST HEARTBEAT",
            "ERROR",
          ],
          answer.agents.map((a) => [
            a.host,
            a.cluster,
            a.role,
            a.endpoint,
            a.driver,
            a.reachable ? "yes" : "no",
            a.roleState,
            a.generation,
            a.lastHeartbeat,
            a.lastError,
          ]),
        ),
      );
    });
}
