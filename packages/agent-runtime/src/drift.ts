import type { ClusterSpec, DriftPolicy, StateChangeEvent } from "@lvsfleet/model";

/** What one whole read-back found: the operations that would bring the kernel back to the applied table. */
export interface DriftCheck {
  /** The operations, described (`add service tcp 198.51.100.1:80 wrr`). */
  operations: string[];
  /** Whether the agent executed them (driftPolicy correct). */
  corrected: boolean;
}

/** How many operations an event names; the rest are counted. */
const NAMED_OPERATIONS = 20;

/** The cluster's policy: `report` unless the spec says `correct`. */
export function driftPolicyOf(spec: Pick<ClusterSpec, "driftPolicy"> | undefined): DriftPolicy {
  return spec?.driftPolicy ?? "report";
}

function listed(operations: readonly string[]): string {
  const named = operations.slice(0, NAMED_OPERATIONS).join("; ");
  const more = operations.length - NAMED_OPERATIONS;
  return more > 0 ? `${named}; … and ${more} more` : named;
}

function count(n: number): string {
  return `${n} operation${n === 1 ? "" : "s"}`;
}

/**
 * The event a read-back is worth, given the drift reported before and left standing: drift found
 * (once per distinct difference, not at every period), drift corrected, or the kernel back in step
 * (repaired by an Apply, or by hand); nothing when the kernel is in step and was. `first`: the
 * process's first read-back, which knows nothing of before (a restart): in step then is said once,
 * from `unknown`, so that drift the server still shows from before the restart ends.
 */
export function driftEvent(
  standing: DriftCheck | undefined,
  check: DriftCheck,
  generation: number,
  first = false,
  adopted = false,
): Omit<StateChangeEvent, "time" | "host"> | undefined {
  const from = standing ? "drifted" : first ? "unknown" : "in step";
  const n = check.operations.length;
  if (n === 0)
    return standing || first
      ? {
          type: "state",
          subject: "drift",
          from,
          to: "in step",
          detail:
            first && adopted
              ? `after a restart the kernel's table is taken as applied (generation ${generation}); what the agent applied before is not known`
              : `the kernel holds the applied table of generation ${generation} again`,
          operations: 0,
        }
      : undefined;
  if (check.corrected)
    return {
      type: "state",
      subject: "drift",
      from,
      to: "corrected",
      detail: `${count(n)} repaired the table of generation ${generation} (driftPolicy correct): ${listed(check.operations)}`,
      operations: n,
    };
  if (standing && JSON.stringify(standing.operations) === JSON.stringify(check.operations)) return undefined;
  return {
    type: "state",
    subject: "drift",
    from,
    to: "drifted",
    detail: `the kernel differs from the applied table of generation ${generation}; ${count(n)} would repair it (driftPolicy report): ${listed(check.operations)}`,
    operations: n,
  };
}
