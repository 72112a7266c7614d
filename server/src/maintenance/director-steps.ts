import { type ClusterSpec, desiredService, serviceKey } from "@lvsfleet/model";
import { describeSeconds } from "./duration.ts";
import type { MaintenanceEffects } from "./effects.ts";
import { type JobRun, StepFailed } from "./job-run.ts";
import type { Step } from "./types.ts";

/** The steps of a switchover: make sure the new holder runs, demote the old one, verify the VIPs moved. */

export async function directorUp(run: JobRun, host: string): Promise<string> {
  const state = await run.deps.effects.directorState(run.cluster, host).catch((error: Error) => {
    throw new StepFailed(`director ${host} cannot be reached: ${error.message}`);
  });
  if (state.roleState === "running") return `${host} is running`;
  const stored = await run.requireSpec();
  await run.fence();
  await run.save((j) => ({ ...j, changed: [...j.changed, { kind: "director-started", host }] }));
  await run.deps.effects.changeDirector(stored.spec, stored.generation, host, "start");
  await run.emit({ type: "server", message: `started ${host}` });
  return `started ${host}`;
}

export async function demote(run: JobRun, host: string): Promise<string> {
  const plan = run.job.plan;
  if (plan.kind !== "switchover") return "nothing to do";
  const stored = await run.requireSpec();
  await run.fence();
  if (plan.method === "stop") {
    await run.save((j) => ({ ...j, changed: [...j.changed, { kind: "director-stopped", host }] }));
    await run.deps.effects.changeDirector(stored.spec, stored.generation, host, "stop");
    await run.emit({ type: "server", message: `stopped ${host}: it gave up the VIPs` });
    return `stopped ${host}`;
  }
  const from = stored.spec.directors.find((d) => d.host === host);
  const to = stored.spec.directors.find((d) => d.host === plan.to);
  if (!from || !to) throw new StepFailed(`director ${!from ? host : plan.to} is no longer in the spec`);
  const priority = to.priority - 1;
  if (priority < 1) throw new StepFailed(`${plan.to} has priority ${to.priority}: ${host} cannot go below it`);
  await run.save((j) => ({
    ...j,
    changed: [...j.changed, { kind: "priority", host, before: { role: from.role, priority: from.priority } }],
  }));
  await run.fence();
  const update = await run.deps.effects.updateSpec(run.cluster, (current) => {
    if (!current) throw new StepFailed(`cluster ${run.cluster} no longer exists`);
    const next = structuredClone(current);
    for (const d of next.directors) {
      if (d.host === host) Object.assign(d, { priority, role: "backup" });
      if (d.host === plan.to) d.role = "master";
    }
    return { spec: next, result: undefined };
  });
  await run.applied(update.generation);
  await run.emit({ type: "server", message: `${host}'s priority ${from.priority} -> ${priority}` });
  return `${host}'s VRRP priority ${from.priority} -> ${priority} (below ${plan.to}'s ${to.priority})`;
}

export async function verifyVip(run: JobRun, step: Step): Promise<string> {
  const plan = run.job.plan;
  if (plan.kind !== "switchover") return "nothing to verify";
  const holder = step.host!;
  const other = holder === plan.to ? plan.from : plan.to;
  const deadline = step.startedAt! + plan.verifyTimeoutSeconds * 1000;
  let words = "";
  let baseline: number | undefined;
  for (;;) {
    const { spec } = await run.requireSpec();
    const check = await verifyHolder(
      run.deps.effects,
      spec,
      holder,
      other,
      plan.method === "stop" && holder === plan.to,
    );
    if (check.ok && !plan.verifyTraffic) return check.detail;
    if (check.ok) {
      // Traffic flows: the holder's connection counter (ipvsadm --stats) goes up while we watch.
      const conns = await run.deps.effects
        .directorState(spec.name, holder)
        .then((state) => state.table.services.reduce((n, s) => n + (s.stats?.conns ?? 0), 0))
        .catch(() => undefined);
      if (conns !== undefined && baseline !== undefined && conns > baseline)
        return `${check.detail}; ${conns - baseline} new connection(s) through it`;
      baseline ??= conns;
      check.detail = `${check.detail}, waiting for new connections through it`;
    }
    if (check.detail !== words) {
      words = check.detail;
      await run.emit({ type: "progress", message: `waiting for ${holder} to hold the VIPs: ${words}` });
    }
    if (Date.now() >= deadline)
      throw new StepFailed(
        `${holder} does not hold the VIPs and serve within ${describeSeconds(plan.verifyTimeoutSeconds)}: ${words}`,
      );
    await run.wait(run.deps.pollMs * 2);
  }
}

/**
 * Whether `holder` has the VIPs and serves: its agent is running, it holds every VIP (the VRRP
 * report's vipsHeld when the agent reports VRRP, else the addresses on its interfaces), and its
 * table has each virtual service with a real server of weight above 0. `other` must not hold them
 * when it runs VRRP (without VRRP, lvsdr puts the VIP on every running director), and must be
 * stopped when `expectOtherStopped` (the stop method's demoted master).
 */
export async function verifyHolder(
  effects: MaintenanceEffects,
  spec: ClusterSpec,
  holder: string,
  other: string,
  expectOtherStopped: boolean,
): Promise<{ ok: boolean; detail: string }> {
  const vipsOf = (state: Awaited<ReturnType<MaintenanceEffects["directorState"]>>) => {
    const reported = state.failover?.vipsHeld;
    if (reported && state.failover?.vrrp?.length) return new Set(reported);
    return new Set(state.host.addresses.map((a) => a.address));
  };
  let state: Awaited<ReturnType<MaintenanceEffects["directorState"]>>;
  try {
    state = await effects.directorState(spec.name, holder);
  } catch (error) {
    return { ok: false, detail: `${holder} unreachable: ${(error as Error).message}` };
  }
  if (state.roleState !== "running") return { ok: false, detail: `${holder} is ${state.roleState}` };
  const held = vipsOf(state);
  const missing = spec.vips.filter((v) => !held.has(v));
  if (missing.length > 0) return { ok: false, detail: `${holder} lacks ${missing.join(", ")}` };
  const idle = spec.services.filter((s) => {
    const table = state.table.services.find((t) => serviceKey(t) === serviceKey(desiredService(s)));
    return s.realServers.some((r) => r.weight > 0) && !table?.destinations.some((d) => d.weight > 0);
  });
  if (idle.length > 0)
    return { ok: false, detail: `${holder}'s table does not serve ${idle.map((s) => s.name).join(", ")}` };
  try {
    const otherState = await effects.directorState(spec.name, other);
    if (expectOtherStopped && otherState.roleState === "running")
      return { ok: false, detail: `${other} is still running` };
    // Without VRRP both directors may carry the VIP (lvsdr start adds it): exclusivity is VRRP's to tell.
    const vrrp = otherState.failover?.vrrp?.length;
    const theirs = vipsOf(otherState);
    const both = vrrp && otherState.roleState === "running" ? spec.vips.filter((v) => theirs.has(v)) : [];
    if (both.length > 0) return { ok: false, detail: `${other} still holds ${both.join(", ")}` };
  } catch {
    // an unreachable director holds nothing we can see
  }
  return {
    ok: true,
    detail: `${holder} holds ${spec.vips.join(", ")} and serves ${spec.services.map((s) => s.name).join(", ")}`,
  };
}
