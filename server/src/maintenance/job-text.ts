import { formatEndpoint } from "@lvsfleet/model";
import type { Change, MaintenanceJob, Progress, ServerRef, Step } from "./types.ts";

/** What a maintenance job says about itself: progress, its summary, the servers it has drained. */

export const endpoint = (r: ServerRef) => formatEndpoint(r.address, r.port);

/** The servers a job has out of service right now (from its undo log). */
export function drainedBy(changed: Change[]): string[] {
  const out = new Set<string>();
  for (const c of changed)
    if ((c.kind === "weight" && c.set === 0) || c.kind === "removed") out.add(`${c.ref.service}/${endpoint(c.ref)}`);
  return [...out].sort();
}

/** The job's progress record: steps done of all, connections left while draining, servers done when rolling. */
export function progress(
  j: MaintenanceJob,
  message: string,
  extra: { steps?: Step[]; connectionsLeft?: number } = {},
): Progress {
  const steps = extra.steps ?? j.steps;
  const done = steps.filter((s) => s.state === "done" || s.state === "skipped").length;
  const rolling = j.plan.kind === "rolling";
  const serversDone = steps
    .filter((s) => s.kind === "restore" && s.state === "done")
    .reduce((n, s) => n + (s.servers?.length ?? 0), 0);
  return {
    message,
    step: done,
    steps: steps.length,
    ...(extra.connectionsLeft !== undefined ? { connectionsLeft: extra.connectionsLeft } : {}),
    ...(rolling ? { serversDone, serversTotal: j.servers.length } : {}),
  };
}

/** What a completed job did, in words. */
export function jobSummary(j: MaintenanceJob): string {
  switch (j.plan.kind) {
    case "drain":
      return `${j.servers.map(endpoint).join(", ")} drained${j.plan.remove ? " and removed" : ""}; undrain restores ${j.servers.length === 1 ? "it" : "them"}`;
    case "maintenance":
      return `maintenance of ${j.servers.map(endpoint).join(", ")} done; weights restored`;
    case "undrain":
      return `${j.servers.map(endpoint).join(", ")} back in service`;
    case "rolling":
      return `rolled over ${j.servers.length} real server(s); every one restored and healthy`;
    case "switchover":
      return j.plan.moveBackSeconds === undefined
        ? `the VIPs are on ${j.plan.to}; ${j.plan.from} is ${j.plan.method === "stop" ? "stopped" : "at lower priority"} (switchover again to move them back)`
        : `the VIPs went to ${j.plan.to} and are back on ${j.plan.from}`;
  }
}
