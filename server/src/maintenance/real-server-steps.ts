import type { ClusterSpec, RealServer } from "@lvsfleet/model";
import { describeSeconds } from "./duration.ts";
import { type JobRun, StepFailed } from "./job-run.ts";
import { endpoint, progress } from "./job-text.ts";
import { capacityAfter } from "./plan.ts";
import { describeServer } from "./request.ts";
import type { MaintenanceMark } from "./store.ts";
import { refKey, type ServerRef, type Step } from "./types.ts";

/**
 * The steps that work on real servers: weights down (the undo entry written first), waiting for
 * the connections to end, removing, marking, the rolling job's capacity gate, action and health
 * wait, and undrain.
 */

/** Sets weights, writing each undo entry first; a server already changed by this job keeps its first entry. */
export async function setWeights(run: JobRun, servers: ServerRef[], weight: number): Promise<string> {
  const { spec } = await run.requireSpec();
  const entries = servers.map((s) => ({ ref: s, entry: findEntry(spec, s) }));
  const missing = entries.filter((e) => !e.entry);
  if (missing.length > 0)
    throw new StepFailed(`no longer in the spec: ${missing.map((m) => describeServer(m.ref, run.cluster)).join(", ")}`);
  const fresh = entries.filter(
    (e) => !run.job.changed.some((c) => c.kind === "weight" && refKey(c.ref) === refKey(e.ref)),
  );
  await run.fence();
  await run.save((j) => ({
    ...j,
    changed: [
      ...j.changed,
      ...fresh.map((e) => ({ kind: "weight" as const, ref: e.ref, before: e.entry!.weight, set: weight })),
    ],
  }));
  await run.fence();
  const update = await run.deps.effects.updateSpec(run.cluster, (current) => {
    if (!current) throw new StepFailed(`cluster ${run.cluster} no longer exists`);
    const next = structuredClone(current);
    for (const s of servers) {
      const entry = findEntry(next, s);
      if (entry) entry.weight = weight;
    }
    return { spec: next, result: undefined };
  });
  await run.applied(update.generation);
  const words = entries.map((e) => `${endpoint(e.ref)} ${e.entry!.weight} -> ${weight}`).join(", ");
  await run.emit({ type: "server", message: `weight ${words} (generation ${update.generation})` });
  return `${words}; applied to every director (generation ${update.generation})`;
}

export async function waitDrained(run: JobRun, step: Step, servers: ServerRef[]): Promise<string> {
  const plan = run.job.plan;
  const timeoutSeconds = "timeoutSeconds" in plan ? plan.timeoutSeconds : 600;
  const includeInactive = "includeInactive" in plan ? plan.includeInactive : false;
  const onTimeout = "onTimeout" in plan ? plan.onTimeout : "fail";
  const deadline = step.startedAt! + timeoutSeconds * 1000;
  let last: number | undefined;
  let lastReport = 0;
  for (;;) {
    const { spec } = await run.requireSpec();
    const count = await run.deps.effects.connections(spec, servers);
    const left = [...count.perServer.values()].reduce((n, c) => n + c.active + (includeInactive ? c.inactive : 0), 0);
    const everyDirectorRead = count.unreadable.length < spec.directors.length || spec.directors.length === 0;
    if (left !== last || Date.now() - lastReport > 5_000) {
      last = left;
      lastReport = Date.now();
      const message = `${left} ${includeInactive ? "connection(s)" : "active connection(s)"} left on ${servers.map(endpoint).join(", ")}${count.unreadable.length ? ` (not read from ${count.unreadable.join(", ")})` : ""}`;
      await run.save((j) => ({ ...j, progress: progress(j, message, { connectionsLeft: left }) }));
      await run.emit({ type: "progress", message, progress: run.job.progress });
    }
    if (left === 0 && everyDirectorRead && count.unreadable.length === 0) return "no connections left";
    if (Date.now() >= deadline) {
      const message = `the drain deadline (${describeSeconds(timeoutSeconds)}) passed with ${left} connection(s) left on ${servers.map(endpoint).join(", ")}`;
      if (onTimeout === "proceed") return `${message}; going on (onTimeout proceed)`;
      throw new StepFailed(message);
    }
    await run.wait(Math.min(run.deps.pollMs * 2, Math.max(0, deadline - Date.now())));
  }
}

export async function remove(run: JobRun, servers: ServerRef[]): Promise<string> {
  const { spec } = await run.requireSpec();
  const found = servers.map((s) => {
    const service = spec.services.find((x) => x.name === s.service);
    const index = service?.realServers.findIndex((r) => r.address === s.address && r.port === s.port) ?? -1;
    return { ref: s, index, entry: index >= 0 ? service!.realServers[index]! : undefined };
  });
  const present = found.filter((f) => f.entry);
  await run.fence();
  await run.save((j) => ({
    ...j,
    changed: [
      ...j.changed,
      ...present.map((f) => {
        // The entry as it was before the drain (its weight from the undo log).
        const weight = j.changed.find((c) => c.kind === "weight" && refKey(c.ref) === refKey(f.ref));
        const entry = { ...f.entry!, weight: weight?.kind === "weight" ? weight.before : f.entry!.weight };
        return { kind: "removed" as const, ref: f.ref, entry, index: f.index };
      }),
    ],
  }));
  await run.fence();
  const update = await run.deps.effects.updateSpec(run.cluster, (current) => {
    if (!current) throw new StepFailed(`cluster ${run.cluster} no longer exists`);
    const next = structuredClone(current);
    for (const s of servers) {
      const service = next.services.find((x) => x.name === s.service);
      if (service)
        service.realServers = service.realServers.filter((r) => !(r.address === s.address && r.port === s.port));
    }
    return { spec: next, result: undefined };
  });
  await run.applied(update.generation);
  await run.emit({ type: "server", message: `removed ${servers.map(endpoint).join(", ")} from the table` });
  return `removed from the spec and every director (generation ${update.generation})`;
}

/** Moves the servers' undo entries into maintenance marks: they stay out until undrain. */
export async function mark(run: JobRun, servers: ServerRef[], reason: string): Promise<string> {
  const keys = new Set(servers.map(refKey));
  for (const s of servers) {
    const weight = run.job.changed.find((c) => c.kind === "weight" && refKey(c.ref) === refKey(s));
    const removed = run.job.changed.find((c) => c.kind === "removed" && refKey(c.ref) === refKey(s));
    const mark: MaintenanceMark = {
      job: run.id,
      since: Date.now(),
      weight: removed?.kind === "removed" ? removed.entry.weight : weight?.kind === "weight" ? weight.before : 1,
      ...(removed?.kind === "removed" ? { removed: { entry: removed.entry, index: removed.index } } : {}),
      reason,
    };
    await run.deps.store.setMark(run.cluster, refKey(s), mark);
  }
  await run.save((j) => ({ ...j, changed: j.changed.filter((c) => !("ref" in c) || !keys.has(refKey(c.ref))) }));
  return `${servers.map(endpoint).join(", ")} stay out of service; undrain restores ${servers.length === 1 ? "it" : "them"}`;
}

/** Rolling: before draining a batch, the service must keep minCapacity of healthy weight without it. */
export async function gateCapacity(run: JobRun, step: Step, servers: ServerRef[]): Promise<void> {
  const plan = run.job.plan;
  if (plan.kind !== "rolling") return;
  const deadline = Date.now() + plan.healthTimeoutSeconds * 1000;
  let reported = false;
  for (;;) {
    const { spec } = await run.requireSpec();
    const all = spec.services.flatMap((s) =>
      s.realServers.map((r) => ({
        service: s.name,
        address: r.address,
        port: r.port,
        host: r.host,
        weight: r.weight,
      })),
    );
    const original = (r: ServerRef & { weight: number }) => {
      const c = run.job.changed.find((x) => x.kind === "weight" && refKey(x.ref) === refKey(r));
      return c?.kind === "weight" ? c.before : r.weight;
    };
    const totals = new Map(spec.services.map((s) => [s.name, 0]));
    for (const r of all) totals.set(r.service, (totals.get(r.service) ?? 0) + original(r));
    const touched = new Set(servers.map((s) => s.service));
    const health = await run.deps.effects.health.check(
      run.cluster,
      spec,
      all.filter((r) => touched.has(r.service)),
    );
    const healthy = new Map(
      all.filter((r) => health.get(refKey(r))?.healthy && r.weight > 0).map((r) => [refKey(r), r.weight] as const),
    );
    const verdict = capacityAfter(totals, healthy, servers, plan.minCapacity);
    if (verdict.ok) return;
    const words = verdict.services
      .map(
        (s) =>
          `${s.service}: ${s.left} of ${s.total} healthy weight would be left, ${plan.minCapacity}% needs ${Math.ceil(s.needed)}`,
      )
      .join("; ");
    if (Date.now() > deadline)
      throw new StepFailed(`not enough healthy capacity to drain ${servers.map(endpoint).join(", ")}: ${words}`);
    if (!reported) {
      reported = true;
      await run.emit({ type: "progress", message: `waiting for capacity before ${step.title}: ${words}` });
    }
    await run.wait(run.deps.pollMs * 2);
  }
}

export async function action(run: JobRun, servers: ServerRef[]): Promise<string> {
  const plan = run.job.plan;
  if (plan.kind !== "rolling") return "no action";
  if (plan.action.kind === "pause") {
    await run.wait(plan.action.seconds * 1000);
    return `paused ${describeSeconds(plan.action.seconds)}`;
  }
  const name = plan.action.name;
  const hosts = [...new Set(servers.map((s) => s.host))];
  if (hosts.some((h) => h === undefined))
    throw new StepFailed(`action ${name} needs the real server's agent host in the spec (realServers[].host)`);
  await run.fence();
  const results = await Promise.allSettled(hosts.map((h) => run.deps.effects.runAction(run.cluster, h!, name)));
  const failures = results.flatMap((r, i) =>
    r.status === "rejected"
      ? [`${hosts[i]}: ${(r.reason as Error).message}`]
      : r.value.exitCode !== 0
        ? [
            `${hosts[i]}: exit ${r.value.exitCode}${r.value.output ? `: ${r.value.output.trim().split("\n").slice(-3).join(" | ")}` : ""}`,
          ]
        : [],
  );
  if (failures.length > 0) throw new StepFailed(`action ${name} failed on ${failures.join("; ")}`);
  const took = results
    .map((r, i) => (r.status === "fulfilled" ? `${hosts[i]} ${r.value.durationMs} ms` : ""))
    .join(", ");
  await run.emit({ type: "server", message: `action ${name} done on ${took}` });
  return `action ${name} exited 0 on ${took}`;
}

export async function waitHealthy(run: JobRun, step: Step, servers: ServerRef[]): Promise<string> {
  const plan = run.job.plan;
  const timeoutSeconds = plan.kind === "rolling" ? plan.healthTimeoutSeconds : 120;
  const deadline = step.startedAt! + timeoutSeconds * 1000;
  let lastWords = "";
  for (;;) {
    const { spec } = await run.requireSpec();
    const verdicts = await run.deps.effects.health.check(run.cluster, spec, servers);
    const down = servers.filter((s) => !verdicts.get(refKey(s))?.healthy);
    if (down.length === 0)
      return servers.map((s) => `${endpoint(s)}: ${verdicts.get(refKey(s))?.detail ?? "up"}`).join("; ");
    const words = down.map((s) => `${endpoint(s)}: ${verdicts.get(refKey(s))?.detail ?? "no verdict"}`).join("; ");
    if (words !== lastWords) {
      lastWords = words;
      await run.emit({ type: "progress", message: `waiting for health: ${words}` });
    }
    if (Date.now() >= deadline)
      throw new StepFailed(
        `${down.map(endpoint).join(", ")} did not pass ${down.length === 1 ? "its" : "their"} health check within ${describeSeconds(timeoutSeconds)} (${words}); left drained and marked in maintenance, the rolling job stops here`,
        down,
      );
    await run.wait(run.deps.pollMs * 2);
  }
}

export async function undrain(run: JobRun, servers: ServerRef[]): Promise<string> {
  const marks = await run.deps.store.marks(run.cluster);
  const words: string[] = [];
  await run.fence();
  const update = await run.deps.effects.updateSpec(run.cluster, (current) => {
    if (!current) throw new StepFailed(`cluster ${run.cluster} no longer exists`);
    const next = structuredClone(current);
    words.length = 0;
    for (const s of servers) {
      const mark = marks.get(refKey(s));
      const service = next.services.find((x) => x.name === s.service);
      if (!mark || !service) continue;
      const entry = findEntry(next, s);
      if (!entry && mark.removed) {
        service.realServers.splice(Math.min(mark.removed.index, service.realServers.length), 0, mark.removed.entry);
        words.push(`${endpoint(s)} added back with weight ${mark.removed.entry.weight}`);
      } else if (entry && entry.weight === 0) {
        entry.weight = mark.weight;
        words.push(`${endpoint(s)} 0 -> ${mark.weight}`);
      } else if (entry) words.push(`${endpoint(s)} left at weight ${entry.weight} (changed since the drain)`);
    }
    return { spec: next, result: undefined };
  });
  await run.applied(update.generation);
  for (const s of servers) await run.deps.store.clearMark(run.cluster, refKey(s));
  await run.emit({ type: "server", message: words.join(", ") || "nothing to restore" });
  return words.join(", ") || "nothing to restore";
}

export function findEntry(
  spec: ClusterSpec,
  ref: Pick<ServerRef, "service" | "address" | "port">,
): RealServer | undefined {
  return spec.services
    .find((s) => s.name === ref.service)
    ?.realServers.find((r) => r.address === ref.address && r.port === ref.port);
}
