import { type ClusterSpec, clusterHosts, directorRoleConfig, realServerRoleConfig } from "@lvsfleet/model";
import type { Fleet } from "../agents/fleet.ts";
import { DEFAULT_APPLY_CONCURRENCY } from "./applier.ts";
import { fanOut } from "./fan-out.ts";
import type { HostOutcome } from "./jobs.ts";
import { boundedChanges, boundedTable } from "./result-bounds.ts";

/** Raised when some hosts could not start or stop; says which and why. */
export class RoleChangeError extends Error {
  override name = "RoleChangeError";
}

/**
 * Starts (lvsdr/realdr start) or stops the given hosts of a cluster. Start brings real servers up
 * before directors, so no director sends traffic to a server without the VIP on lo; stop goes
 * the other way round. Each host's agent does the work; its changes come back in words.
 */
export async function changeRoles(
  fleet: Fleet,
  spec: ClusterSpec,
  generation: number,
  action: "start" | "stop",
  only: string[] | undefined,
  /** Hosts called at once (LVSFLEET_APPLY_CONCURRENCY). */
  concurrency = DEFAULT_APPLY_CONCURRENCY,
): Promise<HostOutcome[]> {
  const hosts = clusterHosts(spec).filter((h) => !only || only.includes(h.host));
  const byKind = (kind: string) => hosts.filter((h) => h.kind === kind);
  const waves =
    action === "start" ? [byKind("real-server"), byKind("director")] : [byKind("director"), byKind("real-server")];
  const outcomes: HostOutcome[] = [];
  const failures: string[] = [];
  for (const wave of waves) {
    const results = await fanOut(wave, concurrency, async (h): Promise<HostOutcome> => {
      const result =
        action === "stop"
          ? await fleet.stop(spec.name, h.host)
          : await fleet.start(
              spec.name,
              h.host,
              h.kind === "director"
                ? { kind: "director", director: directorRoleConfig(spec, h.director, generation) }
                : { kind: "real-server", realServer: realServerRoleConfig(spec, h.host) },
            );
      return {
        host: h.host,
        role: h.kind,
        changes: boundedChanges(result.changes.map((c) => c.description)),
        roleState: result.state.roleState,
        generation: result.state.generation,
        table: h.kind === "director" ? boundedTable(result.state.table, spec.name) : undefined,
      };
    });
    results.forEach((r) => {
      if (r.status === "fulfilled") outcomes.push(r.value);
      else failures.push((r.reason as Error).message);
    });
    // Directors are not started while a real server failed to take the VIP on lo.
    if (failures.length > 0) break;
  }
  if (failures.length > 0) throw new RoleChangeError(failures.join("; "));
  return outcomes;
}
