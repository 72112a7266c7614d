import type { Problem } from "@lvsfleet/model";
import type { ClusterDoctor, HostDoctor } from "../commands/doctor.ts";

/** One problem in two lines: what is wrong, then the fix. */
export function describeProblem(p: Problem, indent = "  "): string[] {
  return [`${indent}${p.severity.toUpperCase()} ${p.code} (${p.subject}): ${p.message}`, `${indent}  fix: ${p.fix}`];
}

function hostHeader(h: HostDoctor): string {
  const kind = h.kind === "director" ? "director" : "real server";
  const state = h.roleState ? ` (${h.roleState})` : "";
  if (h.problems.length === 0) return `${kind} ${h.host}${state}: ${h.checked ? "ok" : "not checked (no doctor)"}`;
  return `${kind} ${h.host}${state}: ${h.problems.length} problem${h.problems.length === 1 ? "" : "s"}`;
}

/** The doctor's report as text: every host, and under it every problem with its fix. */
export function renderDoctorText(report: ClusterDoctor): string {
  const summary = report.healthy
    ? "every host is fit for its role"
    : `${report.problemCount} problem${report.problemCount === 1 ? "" : "s"}`;
  const lines = [`doctor ${report.cluster}: ${summary}`];
  for (const h of report.hosts) {
    lines.push(hostHeader(h));
    for (const p of h.problems) lines.push(...describeProblem(p));
  }
  return `${lines.join("\n")}\n`;
}
