import {
  destinationKey,
  formatEndpoint,
  type IpvsService,
  type IpvsTable,
  NO_CONNECTIONS,
  type Operation,
  serviceKey,
} from "@lvsfleet/model";
import { SaveFormatError } from "./format-error.ts";
import { parseRule, type Rule } from "./rule-parse.ts";
import { serviceSelector } from "./service-rule.ts";

/**
 * Parses `ipvsadm -S` output (or any `ipvsadm -R` batch: -A/-E/-D/-a/-e/-d/-C lines, long or
 * short options, numeric addresses) into the table it builds, applying the lines in order and
 * refusing what the kernel refuses (a service added twice, a real server of a missing service).
 * Blank lines and `#` comments are skipped. Throws SaveFormatError naming line and column.
 */
export function parseSave(text: string): IpvsTable {
  const services: IpvsService[] = [];
  for (const { rule, line } of parseRules(text)) {
    if (rule.kind === "clear") {
      services.length = 0;
      continue;
    }
    const refusal = applyToServices(services, rule.operation);
    if (refusal) throw new SaveFormatError(line, rule.column, refusal);
  }
  return { services };
}

/** Parses an `ipvsadm -R` batch into the operations it performs (-C is refused: it is no single operation). */
export function parseRestore(text: string): Operation[] {
  return parseRules(text).map(({ rule, line }) => {
    if (rule.kind === "clear") throw new SaveFormatError(line, rule.column, "expected a table operation, found -C");
    return rule.operation;
  });
}

function parseRules(text: string): { rule: Rule; line: number }[] {
  const rules: { rule: Rule; line: number }[] = [];
  text.split("\n").forEach((raw, index) => {
    const content = raw.replace(/\r$/, "");
    if (content.trim() === "" || content.trimStart().startsWith("#")) return;
    rules.push({ rule: parseRule(content, index + 1), line: index + 1 });
  });
  return rules;
}

/** Applies one operation as the kernel would; returns the kernel's refusal, or undefined. */
function applyToServices(services: IpvsService[], operation: Operation): string | undefined {
  const key = serviceKey(operation.service);
  const index = services.findIndex((s) => serviceKey(s) === key);
  const name = serviceSelector(operation.service);
  if (operation.op === "add-service") {
    if (index >= 0) return `service ${name} already exists`;
    services.push({ ...operation.service, destinations: [] });
    return undefined;
  }
  const service = services[index];
  if (!service) return `no such service ${name}`;
  if (operation.op === "edit-service") {
    services[index] = { ...operation.service, destinations: service.destinations };
    return undefined;
  }
  if (operation.op === "delete-service") {
    services.splice(index, 1);
    return undefined;
  }
  const d = operation.destination;
  const dindex = service.destinations.findIndex((x) => destinationKey(x) === destinationKey(d));
  const dname = formatEndpoint(d.address, d.port);
  switch (operation.op) {
    case "add-destination":
      if (dindex >= 0) return `real server ${dname} of ${name} already exists`;
      service.destinations.push({ ...d, ...NO_CONNECTIONS });
      return undefined;
    case "edit-destination": {
      const current = service.destinations[dindex];
      if (!current) return `no such real server ${dname} in ${name}`;
      const { tunnel: _previous, ...counts } = current;
      service.destinations[dindex] = { ...counts, ...d };
      return undefined;
    }
    case "delete-destination":
      if (dindex < 0) return `no such real server ${dname} in ${name}`;
      service.destinations.splice(dindex, 1);
      return undefined;
  }
}
