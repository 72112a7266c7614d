import { formatEndpoint, type IpvsTable, type Operation } from "@lvsfleet/model";
import { OperationError, TableEditor } from "@lvsfleet/planner";
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
  const table = new TableEditor();
  for (const { rule, line } of parseRules(text)) {
    if (rule.kind === "clear") {
      table.clear();
      continue;
    }
    try {
      table.apply(rule.operation);
    } catch (error) {
      if (!(error instanceof OperationError)) throw error;
      throw new SaveFormatError(line, rule.column, refusalText(error));
    }
  }
  return table.table();
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

/** The kernel's refusal in ipvsadm's terms: `service -t 1.2.3.4:80 already exists`. */
function refusalText(error: OperationError): string {
  const operation = error.operation;
  const name = serviceSelector(operation.service);
  const dname =
    "destination" in operation ? formatEndpoint(operation.destination.address, operation.destination.port) : "";
  switch (error.refusal) {
    case "service-exists":
      return `service ${name} already exists`;
    case "no-service":
      return `no such service ${name}`;
    case "destination-exists":
      return `real server ${dname} of ${name} already exists`;
    case "no-destination":
      return `no such real server ${dname} in ${name}`;
  }
}
