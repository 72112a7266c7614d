import type { FailoverReport, RealServerHealth } from "@lvsfleet/model";
import type { ClusterStatus } from "../commands/status.ts";

type ClusterFailover = NonNullable<ClusterStatus["failover"]>;

const iso = (ms: number) => new Date(ms).toISOString();
const endpoint = (address: string, port: number) =>
  address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;

function realServerLine(rs: RealServerHealth): string {
  const weight =
    rs.effectiveWeight === undefined ? "out of the table" : `weight ${rs.effectiveWeight} of ${rs.desiredWeight}`;
  const action = rs.action === "none" ? "" : ` [${rs.action}]`;
  return `  ${rs.service} ${endpoint(rs.address, rs.port)} ${rs.state.toUpperCase()}${action}, ${weight} — ${rs.reason}${rs.since ? ` (since ${iso(rs.since)})` : ""}`;
}

/** A director's health checks, local decisions and VRRP state, as lines under its table. */
export function directorFailoverLines(failover: FailoverReport | undefined): string[] {
  if (!failover) return [];
  const lines: string[] = [];
  for (const v of failover.vrrp)
    lines.push(
      `VRRP ${v.instance}: ${v.state} (priority ${v.priority}, keepalived ${v.process}) since ${iso(v.since)}${v.detail ? ` — ${v.detail}` : ""}`,
    );
  if (failover.vrrp.length > 0)
    lines.push(`VIPs held: ${failover.vipsHeld.length > 0 ? failover.vipsHeld.join(", ") : "none"}`);
  if (failover.realServers.length > 0) {
    lines.push("health (local decisions; desired weights unchanged):");
    lines.push(...failover.realServers.map(realServerLine));
  }
  for (const s of failover.services)
    if (s.quorumState === "down" || s.sorryServer)
      lines.push(
        `quorum ${s.service}: ${s.quorumState.toUpperCase()} (healthy weight ${s.healthyWeight} of ${s.quorum})${s.sorryServer ? `, sorry server ${s.sorryServer}` : ""}`,
      );
  return lines;
}

/** VIP ownership and alerts, for the whole cluster. */
export function clusterFailoverLines(failover: ClusterFailover | undefined): string[] {
  if (!failover || (failover.vips.length === 0 && failover.alerts.length === 0)) return [];
  const lines = ["", "VIP ownership:"];
  for (const v of failover.vips) {
    const holders = v.holders.length > 0 ? `held by ${v.holders.join(", ")}` : "held by no director";
    const flag = v.state === "ok" ? "" : ` — ${v.state.toUpperCase()}`;
    const states = v.directors.map((d) => `${d.host} ${d.reachable ? d.vrrpState : "unreachable"}`).join(", ");
    lines.push(`  ${v.vip} (${v.instance}) ${holders}${flag} [${states}]`);
  }
  for (const a of failover.alerts)
    lines.push(
      `  ALERT ${a.kind.toUpperCase()} ${a.vip}: ${a.holders.length > 0 ? `held by ${a.holders.join(" and ")}` : "no holder"} since ${iso(a.since)}`,
    );
  return lines;
}
