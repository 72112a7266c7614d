import { ClusterSpec, migrateScriptCommands, type SuggestedScript } from "@lvsfleet/model";
import type { Logger } from "pino";
import { SYSTEM } from "../access/roles.ts";
import type { AuditLog } from "../audit/log.ts";
import { type ClusterStore, ConcurrentUpdateError, specProblems } from "./clusters.ts";

/** What the start did with one stored cluster whose spec did not read. */
export type SpecMigrationOutcome =
  | {
      cluster: string;
      outcome: "migrated";
      generation: number;
      scripts: Record<string, SuggestedScript>;
      warnings: string[];
    }
  /** Left as it is: its own endpoints answer 409 until a PUT replaces it. */
  | { cluster: string; outcome: "unreadable"; reason: string }
  /** Changed by someone else (another server migrating it at the same time) between the read and the write. */
  | { cluster: string; outcome: "changed meanwhile" };

const MIGRATION = "scripts by name";

/**
 * At start, before anything reads the clusters: every stored spec that no longer validates because
 * it carries command lines where scripts are now named (written before scripts were named) is
 * migrated (migrateScriptCommands) and written back with compare-and-set, so that an upgrade never
 * leaves a cluster the server cannot read. Each one gets an audit entry (system `lvsfleet`) with the
 * fields changed and the allowlist entries to create, and a warning log with the suggested
 * `scripts` section. A spec that still does not validate is left as it is and logged; it does not
 * stop the start, nor the serving of the other clusters.
 */
export async function migrateStoredSpecs(
  clusters: ClusterStore,
  audit: Pick<AuditLog, "append">,
  log: Logger,
): Promise<SpecMigrationOutcome[]> {
  const outcomes: SpecMigrationOutcome[] = [];
  for (const name of await clusters.names()) {
    try {
      const outcome = await migrateOne(clusters, audit, name);
      if (outcome) outcomes.push(outcome);
    } catch (error) {
      outcomes.push({
        cluster: name,
        outcome: "unreadable",
        reason: `the migration failed: ${(error as Error).message}`,
      });
    }
  }
  for (const outcome of outcomes) report(outcome, log);
  return outcomes;
}

async function migrateOne(
  clusters: ClusterStore,
  audit: Pick<AuditLog, "append">,
  name: string,
): Promise<SpecMigrationOutcome | undefined> {
  const stored = await clusters.raw(name);
  if (!stored) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(stored.text);
  } catch (error) {
    return { cluster: name, outcome: "unreadable", reason: `not JSON (${(error as Error).message})` };
  }
  const current = ClusterSpec.safeParse(json);
  if (current.success) return undefined;
  const migration = migrateScriptCommands(json);
  if (migration.changes.length === 0)
    return { cluster: name, outcome: "unreadable", reason: `${specProblems(current.error)} (no migration applies)` };
  const migrated = ClusterSpec.safeParse(migration.spec);
  if (!migrated.success)
    return {
      cluster: name,
      outcome: "unreadable",
      reason: `${specProblems(migrated.error)} (still, after naming its scripts)`,
    };
  if (migrated.data.name !== name)
    return { cluster: name, outcome: "unreadable", reason: `its spec names cluster ${migrated.data.name}` };
  let generation: number;
  try {
    generation = await clusters.put(migrated.data, stored.generation);
  } catch (error) {
    if (error instanceof ConcurrentUpdateError) return { cluster: name, outcome: "changed meanwhile" };
    throw error;
  }
  await audit.append({
    actor: { type: SYSTEM.type, name: SYSTEM.name, role: SYSTEM.role },
    channel: SYSTEM.channel,
    command: `migrate cluster ${name} (${MIGRATION})`,
    cluster: name,
    target: name,
    before: {
      generation: stored.generation,
      fields: Object.fromEntries(migration.changes.map((c) => [c.field, c.command])),
    },
    after: { generation, fields: Object.fromEntries(migration.changes.map((c) => [c.now, c.name])) },
    outcome: "completed",
    detail: `${toCreate(migration.scripts)}${migration.warnings.length > 0 ? `; edit first: ${migration.warnings.join("; ")}` : ""}`,
  });
  return { cluster: name, outcome: "migrated", generation, scripts: migration.scripts, warnings: migration.warnings };
}

/** The allowlist entries to create, in words. */
function toCreate(scripts: Record<string, SuggestedScript>): string {
  const entries = Object.entries(scripts).map(([n, s]) => `${n} = ${JSON.stringify(s.command)}`);
  return `create in the "scripts" section of each director's --actions-file: ${entries.join(", ")}; until then the directors refuse these scripts (scripts are off by default) and with them every apply of this cluster`;
}

function report(outcome: SpecMigrationOutcome, log: Logger): void {
  const { cluster } = outcome;
  if (outcome.outcome === "migrated")
    log.warn(
      { cluster, generation: outcome.generation, scripts: outcome.scripts, warnings: outcome.warnings },
      `cluster ${cluster}: stored spec migrated to ${MIGRATION} (generation ${outcome.generation}); add this to each director's --actions-file: ${JSON.stringify({ scripts: outcome.scripts })} — until then the directors refuse these scripts (scripts are off by default) and every apply of this cluster, and keep serving what they have`,
    );
  else if (outcome.outcome === "unreadable")
    log.error(
      { cluster, reason: outcome.reason },
      `cluster ${cluster}: stored spec cannot be read and is left as it is: ${outcome.reason}; its endpoints answer 409 until PUT /v1/clusters/${cluster} replaces it; the other clusters are served`,
    );
  else
    log.info({ cluster }, `cluster ${cluster}: stored spec changed while it was being migrated; left to that change`);
}
