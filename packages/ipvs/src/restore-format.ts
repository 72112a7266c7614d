import type { Operation } from "@lvsfleet/model";
import {
  destinationSelector,
  destinationSettings,
  serviceSelector,
  serviceSettings,
  thresholdSettings,
} from "./service-rule.ts";

/**
 * One `ipvsadm -R` batch that performs the operations in order. Every -E and -e line carries
 * the full settings (ipvsadm resets anything an edit leaves out: the scheduler to wlc,
 * persistence to off, the weight to 1, thresholds to 0), and -a/-e carry -x/-y when set.
 */
export function renderRestore(operations: readonly Operation[]): string {
  return operations.map((operation) => `${restoreLine(operation)}\n`).join("");
}

export function restoreLine(operation: Operation): string {
  const service = serviceSelector(operation.service);
  switch (operation.op) {
    case "add-service":
      return `-A ${service} ${serviceSettings(operation.service)}`;
    case "edit-service":
      return `-E ${service} ${serviceSettings(operation.service)}`;
    case "delete-service":
      return `-D ${service}`;
    case "add-destination":
    case "edit-destination": {
      const d = operation.destination;
      const command = operation.op === "add-destination" ? "-a" : "-e";
      return `${command} ${service} ${destinationSelector(d)} ${destinationSettings(d)}${thresholdSettings(d)}`;
    }
    case "delete-destination":
      return `-d ${service} ${destinationSelector(operation.destination)}`;
  }
}
