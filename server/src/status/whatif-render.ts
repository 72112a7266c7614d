import type { WhatIfReport } from "../commands/whatif.ts";

const percent = (x: number) => `${Math.round(x * 100)}%`;

/** 95 → `1m35s`, 3600 → `60m`, null → `not within Nm` */
function duration(seconds: number | null | undefined, horizon: number): string {
  if (seconds === undefined) return "-";
  if (seconds === null) return `not within ${Math.round(horizon / 60)}m`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
};

/** The answer in a few lines: the question, where the numbers come from, and one row per real server. */
export function renderWhatIfText(report: WhatIfReport): string {
  const t = report.traffic;
  const source =
    report.source.kind === "director"
      ? `from ${report.source.host}'s live table (ActiveConn ${report.source.activeConns}, InActConn ${report.source.inactConns})`
      : "from the desired table (no director answered), without existing connections";
  const lifetime =
    t.lifetime.kind === "fixed"
      ? `lifetime ${t.lifetime.seconds} s`
      : `lifetime ~${t.lifetime.meanSeconds} s (exponential)`;
  const persistence = t.persistence ? `persistence ${t.persistence.timeout} s` : "no persistence";
  const horizon = t.drainHorizonSeconds;
  const rows = [
    ["server", "weight", "share of new", `ActiveConn at ${t.durationSeconds}s`, "empty after"],
    ...report.servers.map((s) => [
      s.server,
      s.present.after ? `${s.weight.before} → ${s.weight.after}` : `${s.weight.before} → removed`,
      `${percent(s.share.before)} → ${percent(s.share.after)}`,
      `${s.activeConns.before} → ${s.activeConns.after} (now ${s.activeConns.now})`,
      s.emptyAfterSeconds.before !== undefined
        ? `${duration(s.emptyAfterSeconds.before, horizon)} → ${duration(s.emptyAfterSeconds.after, horizon)}`
        : duration(s.emptyAfterSeconds.after, horizon),
    ]),
  ];
  const refused =
    report.after.refused > 0 ? [`after the change ${report.after.refused} new connections find no server`] : [];
  return [
    `What if: ${report.changes.join("; ")} — ${report.cluster}/${report.service} (${report.virtualService})`,
    `${source}; ${t.connectionsPerSecond} new conn/s (${t.connectionsPerSecondFrom}), ${lifetime}, ${t.clients} clients, ${persistence}. Before → after:`,
    ...table(rows),
    ...refused,
    "Nothing was changed.",
  ].join("\n");
}
