import { type AgentState, type ClusterSpec, clusterHosts } from "@lvsfleet/model";
import { AgentCallError, GrpcStatus } from "@lvsfleet/rpc";
import pino from "pino";
import { ActorAuthority, bootstrapSource } from "../../src/access/authority.ts";
import { TokenStore } from "../../src/access/tokens.ts";
import { type AgentCalls, AgentFleet, type Fleet, type FleetParts } from "../../src/agents/fleet.ts";
import { AgentSupervisor } from "../../src/agents/supervisor.ts";
import { AuditLog } from "../../src/audit/log.ts";
import type { CommandContext } from "../../src/commands/context.ts";
import { CommandQueue } from "../../src/queue/queue.ts";
import { AgentRegistry } from "../../src/store/agents.ts";
import { ClusterWriter } from "../../src/store/cluster-writer.ts";
import { ClusterStore } from "../../src/store/clusters.ts";
import { EventLog } from "../../src/store/events.ts";
import { HostOwners } from "../../src/store/host-owners.ts";
import { keys } from "../../src/store/keys.ts";
import { inProcessSimulations } from "../in-process-simulations.ts";
import type { PrivateRedis } from "./redis.ts";

let contexts = 0;

/** The books a fleet checks against: the context's own host owners and agent registry. */
export type FleetBooks = Pick<FleetParts, "owners" | "registry">;

/**
 * A whole CommandContext on a private Redis, built as the server builds it (its own key prefix),
 * with the fleet the test gives (over the context's owners and registry); the supervisor is not
 * started and simulations run in process.
 */
export function testContext(redis: PrivateRedis, fleet: (books: FleetBooks) => Fleet): CommandContext {
  const connection = redis.connect();
  const prefix = `ctx${process.pid}-${++contexts}`;
  const k = keys(prefix);
  const clusters = new ClusterStore(connection, k);
  const registry = new AgentRegistry(connection, k);
  const owners = new HostOwners(connection, k);
  const events = new EventLog(connection, k);
  const tokens = new TokenStore(connection, k);
  const log = pino({ level: "silent" });
  const agents = fleet({ owners, registry });
  return {
    clusters,
    registry,
    owners,
    queue: new CommandQueue(connection, { prefix, attempts: 1, retentionCount: 100, retentionSeconds: 3_600 }),
    fleet: agents,
    supervisor: new AgentSupervisor(registry, agents, events, 1_000, log),
    events,
    audit: new AuditLog(connection, k.audit),
    tokens,
    authority: new ActorAuthority(tokens, { users: new Map(), channels: new Map() }, bootstrapSource("unit")),
    trust: undefined,
    log,
    writer: new ClusterWriter(clusters),
    simulations: inProcessSimulations(),
  };
}

/**
 * A fleet whose agents answer GetState from `answers` (an Error: the call fails as a gRPC call
 * does), through the same ownership and registration checks as the server's; every other call
 * fails, so a read-only command that tried one would fail its test. `calls` records each call.
 */
export function answeringFleet(
  answers: Record<string, Partial<AgentState> | Error>,
  calls: string[] = [],
): (books: FleetBooks) => AgentFleet {
  return (books) =>
    new AgentFleet({
      ...books,
      deadlines: { statusMs: 100, actionMs: 100 },
      dial: (registration): AgentCalls => {
        const refuse = (rpc: string) => async (): Promise<never> => {
          calls.push(`${rpc} ${registration.host}`);
          throw new AgentCallError(registration.host, registration.endpoint, rpc, GrpcStatus.UNIMPLEMENTED, "not here");
        };
        return {
          getState: async () => {
            calls.push(`GetState ${registration.host}`);
            const answer = answers[registration.host];
            if (answer instanceof Error) throw answer;
            return {
              info: { host: registration.host, role: registration.role, driver: "sim", version: "test", startedAt: 0 },
              roleState: "running",
              generation: 1,
              host: { addresses: [], routes: [], sysctls: {} },
              table: { services: [] },
              ...answer,
            } as AgentState;
          },
          apply: refuse("Apply"),
          start: refuse("Start"),
          stop: refuse("Stop"),
          runAction: refuse("RunAction"),
          watchEvents: () => ({ cancel: () => {} }),
        };
      },
    });
}

/** Stores `spec` as a new cluster owning every host it names, and registers the agents of `registered`. */
export async function seedCluster(
  ctx: CommandContext,
  spec: ClusterSpec,
  registered: readonly string[],
): Promise<void> {
  await ctx.clusters.put(spec, 0);
  for (const h of clusterHosts(spec)) await ctx.owners.reserve(h.host, spec.name);
  for (const host of registered)
    await ctx.registry.register({
      host,
      role: clusterHosts(spec).find((h) => h.host === host)?.kind ?? "director",
      endpoint: `${host}.lab:7100`,
      driver: "sim",
      registeredAt: 0,
    });
}
