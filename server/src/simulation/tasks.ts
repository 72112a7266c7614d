import { type WhatIfAnswer, type WhatIfQuestion, whatIf } from "@lvsfleet/ipvs";
import { ClusterSpec, desiredTable, type FieldError, type IpvsTable, ValidationError, validate } from "@lvsfleet/model";
import { describeOperation, plan } from "@lvsfleet/planner";
import { specChanges } from "../commands/spec-changes.ts";

/**
 * The CPU-heavy work the server hands to the simulation pool, as plain data (it crosses a thread
 * boundary by structured clone): a what-if, a spec to plan, a table to plan against.
 */
export type SimulationTask =
  | { kind: "whatif"; question: WhatIfQuestion }
  | { kind: "spec-plan"; name: string; body: unknown; stored: ClusterSpec | undefined }
  | { kind: "table-plan"; desired: IpvsTable; observed: IpvsTable };

/** A spec checked as PUT checks it, and what it changes against the stored one. */
export interface SpecPlan {
  spec: ClusterSpec;
  desired: IpvsTable;
  specChanged: boolean;
  specChanges: string[];
}

export interface SimulationValues {
  whatif: WhatIfAnswer;
  "spec-plan": SpecPlan;
  /** The operations (in words) that turn the observed table into the desired one, adding and editing only. */
  "table-plan": string[];
}

export type TaskOf<K extends SimulationTask["kind"]> = Extract<SimulationTask, { kind: K }>;

/** A task's answer, or the refusal of its input (errors do not cross threads faithfully, so they travel as data). */
export type SimulationOutcome<K extends SimulationTask["kind"]> =
  | { ok: true; value: SimulationValues[K] }
  | { ok: false; refusal: { kind: "range"; message: string } | { kind: "validation"; errors: FieldError[] } };

/**
 * Runs one task: the pure simulator and planner, nothing else (no I/O, no clock). The same
 * function runs inside a pool thread and, in unit tests, in-process.
 */
export function runSimulationTask<K extends SimulationTask["kind"]>(task: TaskOf<K>): SimulationOutcome<K> {
  try {
    return { ok: true, value: answer(task) as SimulationValues[K] };
  } catch (error) {
    if (error instanceof ValidationError) return { ok: false, refusal: { kind: "validation", errors: error.errors } };
    // the simulator's way of saying the question does not fit the table (`field: reason`)
    if (error instanceof RangeError) return { ok: false, refusal: { kind: "range", message: error.message } };
    throw error;
  }
}

function answer(task: SimulationTask): SimulationValues[SimulationTask["kind"]] {
  switch (task.kind) {
    case "whatif":
      return whatIf(task.question);
    case "spec-plan":
      return planSpec(task.name, task.body, task.stored);
    case "table-plan":
      return plan(task.desired, task.observed, { isManaged: () => false }).map(describeOperation);
  }
}

/** The body of POST …/plan validated as PUT validates it, its desired table, and what it changes. */
function planSpec(name: string, body: unknown, stored: ClusterSpec | undefined): SpecPlan {
  const input = typeof body === "object" && body !== null && !Array.isArray(body) ? { name, ...body } : body;
  const spec = validate(ClusterSpec, input);
  if (spec.name !== name)
    throw new ValidationError([{ field: "name", message: `must be ${name} (the cluster in the path)` }]);
  return {
    spec,
    desired: desiredTable(spec),
    specChanged: !stored || JSON.stringify(stored) !== JSON.stringify(spec),
    specChanges: specChanges(stored, spec),
  };
}

/** The value of an outcome, or the refusal thrown as the error the command layer maps (400). */
export function settle<K extends SimulationTask["kind"]>(outcome: SimulationOutcome<K>): SimulationValues[K] {
  if (outcome.ok) return outcome.value;
  if (outcome.refusal.kind === "validation") throw new ValidationError(outcome.refusal.errors);
  throw new RangeError(outcome.refusal.message);
}
