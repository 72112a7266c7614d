import type { ClusterSpec } from "@lvsfleet/model";
import { type JobRun, StepFailed } from "./job-run.ts";
import { endpoint } from "./job-text.ts";
import { findEntry, mark } from "./real-server-steps.ts";
import { type Change, refKey, type ServerRef } from "./types.ts";

/** Undo: what a job changed, put back from its undo log (newest first). */

/**
 * Undoes changes, newest first: weights back (only where the weight is still what the job set),
 * removed servers added back, directors started or stopped again, priorities back. Servers in
 * `keepOut` are not restored: they get a maintenance mark instead. Returns what it did, in words.
 */
export async function restore(run: JobRun, changes: Change[], keepOut: ServerRef[]): Promise<string> {
  if (changes.length === 0 && keepOut.length === 0) return "nothing to restore";
  const out = new Set(keepOut.map(refKey));
  const words: string[] = [];
  if (keepOut.length > 0) words.push(await mark(run, keepOut, "did not pass its health check after maintenance"));
  const todo = changes.filter((c) => !("ref" in c) || !out.has(refKey(c.ref))).reverse();
  const specChanges = todo.filter((c) => c.kind === "weight" || c.kind === "removed" || c.kind === "priority");
  if (specChanges.length > 0) {
    await run.fence();
    const said: string[] = [];
    const update = await run.deps.effects.updateSpec(run.cluster, (current) => {
      if (!current) throw new StepFailed(`cluster ${run.cluster} no longer exists`);
      const next = structuredClone(current);
      said.length = 0;
      for (const c of specChanges) said.push(undoInSpec(next, c));
      return { spec: next, result: undefined };
    });
    await run.applied(update.generation);
    words.push(...said);
  }
  for (const c of todo) {
    if (c.kind !== "director-stopped" && c.kind !== "director-started") continue;
    const stored = await run.requireSpec();
    await run.fence();
    const action = c.kind === "director-stopped" ? "start" : "stop";
    await run.deps.effects.changeDirector(stored.spec, stored.generation, c.host, action);
    words.push(`${action === "start" ? "started" : "stopped"} ${c.host} again`);
  }
  const done = new Set(todo);
  await run.save((j) => ({
    ...j,
    changed: j.changed.filter((c) => !done.has(c) && !todo.some((t) => sameChange(t, c))),
  }));
  const message = `restored: ${words.join("; ")}`;
  await run.emit({ type: "server", message });
  return message;
}

function sameChange(a: Change, b: Change): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One undo entry applied to a spec copy; returns what it did in words. */
function undoInSpec(spec: ClusterSpec, change: Change): string {
  switch (change.kind) {
    case "weight": {
      const entry = findEntry(spec, change.ref);
      if (!entry) return `${endpoint(change.ref)} is no longer in the spec`;
      if (entry.weight !== change.set)
        return `${endpoint(change.ref)} left at weight ${entry.weight} (changed by someone else since)`;
      entry.weight = change.before;
      return `${endpoint(change.ref)} weight ${change.set} -> ${change.before}`;
    }
    case "removed": {
      const service = spec.services.find((s) => s.name === change.ref.service);
      if (!service) return `service ${change.ref.service} is gone; ${endpoint(change.ref)} not added back`;
      if (findEntry(spec, change.ref)) return `${endpoint(change.ref)} is already back`;
      service.realServers.splice(Math.min(change.index, service.realServers.length), 0, change.entry);
      return `${endpoint(change.ref)} added back with weight ${change.entry.weight}`;
    }
    case "priority": {
      const director = spec.directors.find((d) => d.host === change.host);
      if (!director) return `director ${change.host} is gone`;
      const others = spec.directors.filter((d) => d.host !== change.host);
      if (change.before.role === "master") for (const d of others) if (d.role === "master") d.role = "backup";
      Object.assign(director, change.before);
      return `${change.host} priority back to ${change.before.priority} (${change.before.role})`;
    }
    default:
      return "";
  }
}
