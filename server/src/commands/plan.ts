import { type Problem, scriptProblems } from "@lvsfleet/model";
import { describeOperation } from "@lvsfleet/planner";
import { type Actor, roleAtLeast } from "../access/roles.ts";
import { type StoredCluster, StoredSpecError } from "../store/clusters.ts";
import { canRead } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { checkHostOwnership } from "./host-ownership.ts";

/** How to make a plan that ran out of time or memory in the simulation pool smaller. */
const SMALLER = "Plan a smaller spec (fewer services or real servers), or raise LVSFLEET_SIM_DEADLINE_MS.";

/** One director's answer to a dry run: the operations it would execute now. */
export interface DirectorPlan {
  host: string;
  /** The agent's role state; a stopped director changes nothing until it starts. */
  roleState?: "running" | "stopped" | undefined;
  /** ipvsadm-like operations, as job results word them (empty: nothing to change). */
  changes: string[];
  note?: string | undefined;
  /** Why the director could not be asked (not registered, unreachable, refused). */
  error?: string | undefined;
  /**
   * Why this director would refuse the spec (Start and Apply fail, nothing changes there): scripts
   * its own allowlist does not have, from the allowlist it reports. Absent: none.
   */
  problems?: Problem[] | undefined;
}

export interface ClusterPlan {
  cluster: string;
  /** False when no cluster of that name exists yet (PUT would create it). */
  exists: boolean;
  /** The stored generation (0 when new). */
  generation: number;
  /** False when the spec equals the stored one: PUT would change nothing. */
  specChanged: boolean;
  /** What differs between the stored spec and this one, whatever the agents hold. */
  specChanges: string[];
  directors: DirectorPlan[];
}

/**
 * What PUT /v1/clusters/{cluster} with this spec would do, without doing it: the spec is validated
 * as PUT validates it, and every director of the new spec is asked for an Apply with dry_run, so
 * each answers with the operations it would run against the table it really holds. Nothing is
 * stored, queued or audited. Validating and planning a big spec is CPU work: it runs in the
 * simulation pool, never on the event loop. A host another cluster owns is refused as PUT refuses
 * it (its table is not this caller's to read). Viewer.
 */
export async function planCluster(
  ctx: CommandContext,
  actor: Actor,
  name: string,
  body: unknown,
  options: { moveHosts?: readonly string[] | undefined } = {},
): Promise<ClusterPlan> {
  canRead(actor, name);
  ctx.simulations.admit();
  const { stored, generation, unreadable } = await storedSpec(ctx, name);
  const { spec, desired, specChanged, specChanges } = await ctx.simulations.run(
    { kind: "spec-plan", name, body, stored: stored?.spec },
    SMALLER,
  );
  const moves = await checkHostOwnership(ctx, actor, name, spec, options.moveHosts ?? [], `plan cluster ${name}`);
  const owners = await ctx.owners.ownersOf(spec.directors.map((d) => d.host));
  // A host no cluster owns yet is asked only for an admin of this cluster (who could claim it with PUT).
  const claimable = (host: string) => !owners.has(host) && roleAtLeast(actor.role, "admin");
  const claiming = new Set([...moves.keys(), ...spec.directors.map((d) => d.host).filter(claimable)]);
  const asked = spec.directors.filter((d) => owners.has(d.host) || claimable(d.host)).map((d) => d.host);
  const readings = new Map(
    (await ctx.fleet.states(name, asked, { deadline: "status", claiming })).map((r) => [r.host, r]),
  );
  const directors = await Promise.all(
    spec.directors.map(async (director): Promise<DirectorPlan> => {
      const reading = readings.get(director.host);
      if (!reading)
        return {
          host: director.host,
          changes: [],
          error: `not asked: no cluster owns ${director.host} yet, and only an admin of ${name} may preview a host it would claim`,
        };
      if (!reading.ok)
        return {
          host: director.host,
          changes: [],
          error: reading.reason === "not-registered" ? `agent ${director.host} is not registered` : reading.error,
        };
      const { state } = reading;
      try {
        const refused = state.scripts ? scriptProblems(spec, state.scripts) : [];
        const problems = refused.length > 0 ? { problems: refused } : {};
        if (state.roleState !== "running") {
          // A stopped director holds no lvsfleet services: start would add and edit, never remove
          // what is there (e.g. the table keepalived built), so that is the plan against its table.
          const changes = await ctx.simulations.run({ kind: "table-plan", desired, observed: state.table }, SMALLER);
          return {
            host: director.host,
            roleState: state.roleState,
            changes,
            note: "nothing changes until it starts; these are what start would do to the table it holds",
            ...problems,
          };
        }
        // One past the stored generation, so that the agent never takes the request for a stale one.
        const result = await ctx.fleet.apply(
          name,
          director.host,
          { generation: generation + 1, desired, dryRun: true },
          { claiming },
        );
        return {
          host: director.host,
          roleState: state.roleState,
          changes: result.operations.map(describeOperation),
          ...problems,
        };
      } catch (error) {
        return { host: director.host, changes: [], error: (error as Error).message };
      }
    }),
  );
  return {
    cluster: name,
    exists: stored !== undefined || unreadable,
    generation,
    specChanged,
    specChanges,
    directors,
  };
}

/** The stored cluster to compare with: a spec that cannot be read is compared as none (a PUT replaces it). */
async function storedSpec(
  ctx: CommandContext,
  name: string,
): Promise<{ stored?: StoredCluster | undefined; generation: number; unreadable: boolean }> {
  try {
    const stored = await ctx.clusters.get(name);
    return { stored, generation: stored?.generation ?? 0, unreadable: false };
  } catch (error) {
    if (error instanceof StoredSpecError) return { generation: error.generation, unreadable: true };
    throw error;
  }
}
