import { renderList, sortedLikeIpvsadm } from "@lvsfleet/ipvs";
import type { IpvsTable } from "@lvsfleet/model";

/**
 * A job's result is kept in Redis with the job (BullMQ) and read by GET /v1/jobs/{id}, lvsctl and
 * chat: at 10,000 services × 10 real servers a director's whole table is 110,000 lines (several MB
 * per director per job), and a first apply as many operations. The result keeps at most this many
 * lines of each; the status route has the whole table.
 */
export const JOB_TABLE_LINES = 500;
export const JOB_CHANGE_LINES = 500;

/** The lines ipvsadm -Ln prints before the first service. */
const HEADER_LINES = renderList({ services: [] }).trimEnd().split("\n").length;

const count = (n: number) => n.toLocaleString("en-US");
const plural = (n: number, one: string, many: string) => `${count(n)} ${n === 1 ? one : many}`;

/**
 * The table as ipvsadm -Ln prints it, whole when it is at most `maxLines` lines; else the first
 * services (in ipvsadm's order) that fit, and a last line saying how many are left out and where
 * the whole table is.
 */
export function boundedTable(table: IpvsTable, cluster: string, maxLines = JOB_TABLE_LINES): string {
  const services = sortedLikeIpvsadm(table).services;
  let lines = HEADER_LINES;
  let fit = 0;
  // one line is kept for the one that says what is left out
  for (const service of services) {
    const more = 1 + service.destinations.length;
    if (lines + more > maxLines - 1) break;
    lines += more;
    fit += 1;
  }
  if (fit === services.length) return renderList(table);
  const left = services.length - fit;
  return `${renderList({ ...table, services: services.slice(0, fit) })}… ${plural(left, "more service", "more services")} (${count(services.length)} in all); GET /v1/clusters/${cluster}/status for the whole table\n`;
}

/** The operations as they are when at most `max`; else the first ones and a line saying how many more. */
export function boundedChanges(changes: readonly string[], max = JOB_CHANGE_LINES): string[] {
  if (changes.length <= max) return [...changes];
  const left = changes.length - (max - 1);
  return [
    ...changes.slice(0, max - 1),
    `… ${plural(left, "more operation", "more operations")} (${count(changes.length)} in all)`,
  ];
}
