import { stringify } from "yaml";
import { CliError, EXIT } from "./exit-codes.ts";

export const FORMATS = ["table", "json", "yaml"] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(text: string | undefined): Format {
  const format = (text ?? "table") as Format;
  if (!FORMATS.includes(format)) throw new CliError(`-o ${text}: must be one of ${FORMATS.join(", ")}`, EXIT.usage);
  return format;
}

/** Data as JSON or YAML; `table` is the command's own human view. */
export function formatData(data: unknown, format: Exclude<Format, "table">): string {
  return format === "json" ? `${JSON.stringify(data, null, 2)}\n` : stringify(data, { lineWidth: 0 });
}

/**
 * Plain aligned columns with an upper-case header, as kubectl and ipvsadm print them (no box
 * drawing: the output stays greppable and cut-able). Empty cells print as `-`.
 */
export function columns(header: string[], rows: (string | number | undefined)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === undefined || c === "" ? "-" : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return `${cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join("   ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}
