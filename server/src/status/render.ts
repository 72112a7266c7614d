import { renderList } from "@lvsfleet/ipvs";
import type { AuditEntry } from "../commands/audit.ts";
import type { ClusterStatus, HostStatus } from "../commands/status.ts";
import { describeProblem } from "./doctor-text.ts";
import { clusterFailoverLines, directorFailoverLines } from "./failover-text.ts";

/** An event of the cluster, as its status shows it. */
type StoredEvent = ClusterStatus["recentEvents"][number];

/** One line per stored event: time, host, what changed, from -> to, why. */
export function describeEvent(e: StoredEvent): string {
  const what = e.type === "state" ? e.subject : e.type === "health" ? `${e.service} ${e.address}:${e.port}` : "agent";
  const why = e.type === "health" ? [e.reason, e.action].filter(Boolean).join("; ") : e.detail;
  return `${new Date(e.time).toISOString()} ${e.host} ${what} ${e.from} -> ${e.to}${why ? ` (${why})` : ""}`;
}

function ago(iso: string | undefined, now: number): string {
  if (!iso) return "never";
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  return s < 60 ? `${s.toFixed(1)}s ago` : `${Math.round(s / 60)}m ago`;
}

function agentLine(h: HostStatus, now: number): string {
  if (!h.agent.registered) return "agent not registered";
  if (!h.agent.reachable)
    return `agent UNREACHABLE (${h.error ?? h.agent.lastError ?? "no heartbeat"}; last heartbeat ${ago(h.agent.lastHeartbeat, now)})`;
  return `agent up (${h.agent.driver}, heartbeat ${ago(h.agent.lastHeartbeat, now)})`;
}

function realServerDetails(h: HostStatus): string {
  const host = h.hostState;
  if (!host) return "";
  const onLo = host.addresses.filter((a) => a.interface === "lo" && a.address !== "127.0.0.1" && a.address !== "::1");
  const vips = onLo.length
    ? `VIP ${onLo.map((a) => `${a.address} on ${a.label ?? a.interface}`).join(", ")}`
    : "no VIP on lo";
  const arp = ["all", "lo"].map(
    (i) =>
      `${i}: arp_ignore=${host.sysctls[`net.ipv4.conf.${i}.arp_ignore`] ?? "?"} arp_announce=${host.sysctls[`net.ipv4.conf.${i}.arp_announce`] ?? "?"}`,
  );
  return `; ${vips}; ${arp.join(", ")}`;
}

/** The status as text: one header per host, and each director's table as ipvsadm -Ln prints it. */
export function renderStatusText(status: ClusterStatus, now = Date.now()): string {
  const lines = [`cluster ${status.cluster} (desired generation ${status.generation})`];
  for (const h of status.hosts) {
    const state = h.roleState ? `, ${h.roleState}` : "";
    if (h.kind === "director") {
      const sync =
        h.generation === undefined ? "" : `, generation ${h.generation}${h.inSync ? " (in sync)" : " (BEHIND)"}`;
      lines.push("");
      lines.push(
        `director ${h.host} ${h.addresses[0]} ${h.role} priority ${h.priority} — ${agentLine(h, now)}${state}${sync}`,
      );
      if (h.table) lines.push(renderList(h.table).trimEnd());
      lines.push(...directorFailoverLines(h.failover));
    } else {
      lines.push("");
      lines.push(
        `real server ${h.host} ${h.addresses.join(", ")} — ${agentLine(h, now)}${state}${realServerDetails(h)}`,
      );
    }
    for (const p of h.problems ?? []) lines.push(...describeProblem(p));
  }
  lines.push(...clusterFailoverLines(status.failover));
  for (const d of status.drift ?? [])
    lines.push("", `DRIFT on ${d.host} since ${new Date(d.since).toISOString()}: ${d.detail}`);
  if (status.recentEvents.length > 0) {
    lines.push("", "recent events:");
    for (const e of status.recentEvents) lines.push(`  ${describeEvent(e)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** One line per audit entry: time, actor, channel, command, target, outcome. */
export function describeAudit(e: AuditEntry): string {
  const change =
    e.before !== undefined || e.after !== undefined
      ? ` ${JSON.stringify(e.before ?? null)} -> ${JSON.stringify(e.after ?? null)}`
      : "";
  return `${new Date(e.time).toISOString()} ${e.actor.type}:${e.actor.name} via ${e.channel}: ${e.command}${e.target ? ` ${e.target}` : ""} ${e.outcome}${e.job ? ` (job ${e.job})` : ""}${change}${e.detail ? ` — ${e.detail}` : ""}`;
}
