import { type ClusterSpec, formatEndpoint, ValidationError } from "@lvsfleet/model";
import { describeSeconds } from "./duration.ts";
import { describeServer } from "./request.ts";
import type { JobPlanOptions, ServerRef, Step } from "./types.ts";

/**
 * The pure core of maintenance jobs: which servers go together (rolling batches under a minimum
 * capacity), whether draining some servers keeps enough capacity, and the steps each kind runs.
 */

const key = (r: Pick<ServerRef, "service" | "address" | "port">) => `${r.service}|${r.address}|${r.port}`;

/** Each service's total weight in the spec (the base of minCapacity). */
export function serviceTotals(spec: ClusterSpec): Map<string, number> {
  return new Map(spec.services.map((s) => [s.name, s.realServers.reduce((n, r) => n + r.weight, 0)]));
}

export interface CapacityVerdict {
  ok: boolean;
  /** For each service touched: healthy weight left after draining, of the total. */
  services: { service: string; left: number; total: number; needed: number }[];
}

/**
 * Whether taking `drain` out keeps every touched service at or above `minCapacity` percent of its
 * total weight, counting only `healthy` servers (weight by ref key) that are not drained already.
 */
export function capacityAfter(
  totals: Map<string, number>,
  healthy: Map<string, number>,
  drain: ServerRef[],
  minCapacity: number,
): CapacityVerdict {
  const out = new Set(drain.map(key));
  const services = [...new Set(drain.map((r) => r.service))].map((service) => {
    const total = totals.get(service) ?? 0;
    let left = 0;
    for (const [k, weight] of healthy) if (k.startsWith(`${service}|`) && !out.has(k)) left += weight;
    return { service, left, total, needed: (minCapacity / 100) * total };
  });
  return { ok: services.every((s) => s.total === 0 || s.left + 1e-9 >= s.needed), services };
}

/** A rolling unit: one machine (address) with its entries in the targeted services. */
export function machines(servers: ServerRef[]): ServerRef[][] {
  const byAddress = new Map<string, ServerRef[]>();
  for (const s of servers) byAddress.set(s.address, [...(byAddress.get(s.address) ?? []), s]);
  return [...byAddress.values()];
}

/**
 * Rolling batches: machines in order, at most `batch` per batch, and never so many that the
 * healthy weight of a service would fall below `minCapacity` percent of its total (with every
 * other server healthy). A machine that alone would break the minimum is refused, naming it.
 */
export function planBatches(
  spec: ClusterSpec,
  servers: ServerRef[],
  batch: number,
  minCapacity: number,
): ServerRef[][] {
  const totals = serviceTotals(spec);
  const healthy = new Map(
    spec.services.flatMap((s) => s.realServers.map((r) => [key({ service: s.name, ...r }), r.weight] as const)),
  );
  const batches: ServerRef[][] = [];
  let current: ServerRef[] = [];
  let count = 0;
  for (const machine of machines(servers)) {
    const alone = capacityAfter(totals, healthy, machine, minCapacity);
    if (!alone.ok) {
      const worst = alone.services.find((s) => s.left + 1e-9 < s.needed)!;
      throw new ValidationError([
        {
          field: "options.minCapacity",
          message: `draining ${formatEndpoint(machine[0]!.address, machine[0]!.port)} alone leaves ${worst.left} of ${worst.total} weight in service ${worst.service} (${Math.round((100 * worst.left) / worst.total)}%), below ${minCapacity}%`,
        },
      ]);
    }
    const together = [...current, ...machine];
    if (count < batch && capacityAfter(totals, healthy, together, minCapacity).ok) {
      current = together;
      count += 1;
    } else {
      batches.push(current);
      current = [...machine];
      count = 1;
    }
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const list = (servers: ServerRef[], cluster: string) =>
  servers.length === 1
    ? describeServer(servers[0]!, cluster)
    : servers.map((s) => describeServer(s, cluster)).join(", ");

const step = (s: Omit<Step, "state">): Step => ({ ...s, state: "pending" });

/** The steps of a job, planned when it starts (from the spec at that moment). */
export function planSteps(spec: ClusterSpec, plan: JobPlanOptions, servers: ServerRef[]): Step[] {
  const c = spec.name;
  const drainWait = (group: ServerRef[]) => [
    step({ kind: "drain", title: `weight 0 for ${list(group, c)}`, servers: group }),
    step({
      kind: "wait-drained",
      title: `wait until ${list(group, c)} ${group.length === 1 ? "has" : "have"} no ${"includeInactive" in plan && plan.includeInactive ? "connections" : "active connections"} (at most ${"timeoutSeconds" in plan ? describeSeconds(plan.timeoutSeconds) : "?"})`,
      servers: group,
    }),
  ];
  switch (plan.kind) {
    case "drain":
      return [
        ...drainWait(servers),
        ...(plan.remove ? [step({ kind: "remove", title: `remove ${list(servers, c)} from the table`, servers })] : []),
        step({ kind: "mark", title: `mark ${list(servers, c)} in maintenance (undrain restores it)`, servers }),
      ];
    case "maintenance":
      return [
        ...drainWait(servers),
        step({
          kind: "hold",
          title:
            plan.holdSeconds === undefined
              ? "hold until the window is ended (POST /v1/jobs/{id}/end)"
              : `hold for ${describeSeconds(plan.holdSeconds)}`,
          seconds: plan.holdSeconds,
        }),
        step({ kind: "restore", title: `restore ${list(servers, c)}`, servers }),
      ];
    case "undrain":
      return [step({ kind: "restore", title: `restore ${list(servers, c)}`, servers })];
    case "rolling":
      return planBatches(spec, servers, plan.batch, plan.minCapacity).flatMap((group) => [
        ...drainWait(group),
        step({
          kind: "action",
          title:
            plan.action.kind === "pause"
              ? `pause ${describeSeconds(plan.action.seconds)} on ${list(group, c)}`
              : `run ${plan.action.name} on ${[...new Set(group.map((s) => s.host ?? s.address))].join(", ")}`,
          servers: group,
        }),
        step({
          kind: "wait-healthy",
          title: `wait until ${list(group, c)} pass${group.length === 1 ? "es" : ""} health checks (at most ${describeSeconds(plan.healthTimeoutSeconds)})`,
          servers: group,
        }),
        step({ kind: "restore", title: `restore ${list(group, c)}`, servers: group }),
      ]);
    case "switchover": {
      const steps = [
        step({ kind: "director-up", title: `make sure ${plan.to} is running`, host: plan.to }),
        step({
          kind: "demote",
          title:
            plan.method === "stop"
              ? `stop ${plan.from} (it gives up the VIPs)`
              : `lower ${plan.from}'s VRRP priority below ${plan.to}'s`,
          host: plan.from,
        }),
        step({ kind: "verify-vip", title: `verify ${plan.to} holds the VIPs and serves`, host: plan.to }),
      ];
      if (plan.moveBackSeconds !== undefined)
        steps.push(
          step({
            kind: "hold",
            title: `hold for ${describeSeconds(plan.moveBackSeconds)}`,
            seconds: plan.moveBackSeconds,
          }),
          step({ kind: "restore", title: `move the VIPs back to ${plan.from}`, host: plan.from }),
          step({ kind: "verify-vip", title: `verify ${plan.from} holds the VIPs and serves`, host: plan.from }),
        );
      return steps;
    }
  }
}

/** The job in words, for lists, chat and the audit trail. */
export function describeJob(cluster: string, plan: JobPlanOptions, servers: ServerRef[]): string {
  switch (plan.kind) {
    case "drain":
      return `drain ${list(servers, cluster)}${plan.remove ? " and remove" : ""}`;
    case "maintenance":
      return `maintenance of ${list(servers, cluster)}${plan.holdSeconds === undefined ? " until ended" : ` for ${describeSeconds(plan.holdSeconds)}`}`;
    case "undrain":
      return `undrain ${list(servers, cluster)}`;
    case "rolling":
      return `rolling over ${servers.length} real server(s) of ${cluster}, batch ${plan.batch}, min ${plan.minCapacity}%, ${plan.action.kind === "pause" ? `pause ${describeSeconds(plan.action.seconds)}` : `action ${plan.action.name}`}`;
    case "switchover":
      return `switchover ${cluster}: ${plan.from} -> ${plan.to} (${plan.method})${plan.moveBackSeconds === undefined ? "" : `, back after ${describeSeconds(plan.moveBackSeconds)}`}`;
  }
}
