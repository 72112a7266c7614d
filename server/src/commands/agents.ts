import { HostName, validate } from "@lvsfleet/model";
import { z } from "zod";
import type { Actor } from "../access/roles.ts";
import type { AgentLiveness, AgentRegistration } from "../store/agents.ts";
import { audited, canRead, permit } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { claimOnRegistration } from "./host-ownership.ts";

export const AgentRegistrationInput = z.strictObject({
  endpoint: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { error: "must be HOST:PORT of the agent's gRPC server" }),
  role: z.enum(["director", "real-server"]),
  driver: z.string().max(32).default("unknown"),
});

export interface AgentView extends AgentRegistration {
  /** The cluster that owns the host (the one whose spec names it), if any. */
  cluster?: string | undefined;
  reachable: boolean;
  lastHeartbeat?: string | undefined;
  roleState?: string | undefined;
  generation?: number | undefined;
  lastError?: string | undefined;
}

/** Records how to reach an agent and starts watching it. Idempotent. */
export async function registerAgent(
  ctx: CommandContext,
  actor: Actor,
  host: string,
  body: unknown,
): Promise<AgentView> {
  validate(HostName, host, ["host"]);
  const input = validate(AgentRegistrationInput, body);
  const previous = await ctx.registry.get(host);
  const unchanged =
    previous &&
    previous.endpoint === input.endpoint &&
    previous.role === input.role &&
    previous.driver === input.driver;
  const what = {
    command: "register agent",
    need: "admin" as const,
    action: "registering an agent",
    target: host,
    global: true,
  };
  await permit(ctx, actor, what);
  const register = async () => {
    const registration: AgentRegistration = { host, ...input, registeredAt: Date.now() };
    await ctx.registry.register(registration);
    await claimOnRegistration(ctx, host);
    ctx.supervisor.ensure(registration);
    return agentView(registration, await ctx.registry.liveness(host));
  };
  // Agents re-announce themselves every minute: only a change is a mutation worth an audit entry.
  if (unchanged) return register();
  return audited(ctx, actor, what, async () => {
    const view = await register();
    ctx.log.info({ agent: host, endpoint: input.endpoint, role: input.role }, "agent registered");
    return {
      result: view,
      before: previous ?? null,
      after: { endpoint: input.endpoint, role: input.role, driver: input.driver },
    };
  });
}

/** Every agent with the cluster that owns its host; a token limited to some clusters sees only theirs. */
export async function listAgents(ctx: CommandContext, actor: Actor): Promise<AgentView[]> {
  canRead(actor);
  const [registrations, liveness, owners] = await Promise.all([
    ctx.registry.list(),
    ctx.registry.allLiveness(),
    ctx.owners.all(),
  ]);
  return registrations
    .filter((r) => !actor.clusters || actor.clusters.includes(owners[r.host] ?? ""))
    .map((r) => ({ ...agentView(r, liveness[r.host]), cluster: owners[r.host] }));
}

export function agentView(registration: AgentRegistration, liveness: AgentLiveness | undefined): AgentView {
  return {
    ...registration,
    reachable: liveness?.reachable ?? false,
    lastHeartbeat: liveness?.lastHeartbeat ? new Date(liveness.lastHeartbeat).toISOString() : undefined,
    roleState: liveness?.roleState,
    generation: liveness?.generation,
    lastError: liveness?.reachable ? undefined : liveness?.lastError,
  };
}
