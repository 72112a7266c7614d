import type { IpvsTable } from "@lvsfleet/model";
import { sortedLikeIpvsadm } from "./order.ts";
import { destinationSelector, destinationSettings, serviceSelector, serviceSettings } from "./service-rule.ts";

/**
 * The table exactly as `ipvsadm -Sn` (ipvsadm 1.31) prints it: services and destinations in
 * libipvs sort order, one `-A` line per service followed by its `-a` lines. Like the real
 * ipvsadm it does not write thresholds (-x/-y): they are not part of the saved rules.
 */
export function renderSave(table: IpvsTable): string {
  const lines: string[] = [];
  for (const service of sortedLikeIpvsadm(table).services) {
    const selector = serviceSelector(service);
    lines.push(`-A ${selector} ${serviceSettings(service)}`);
    for (const d of service.destinations)
      lines.push(`-a ${selector} ${destinationSelector(d)} ${destinationSettings(d)}`);
  }
  return lines.map((line) => `${line}\n`).join("");
}
