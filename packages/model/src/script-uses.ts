import type { Problem } from "./agent.ts";
import {
  SCRIPT_PLACEHOLDERS,
  SCRIPT_USE_WORDS,
  type ScriptAllowlistReport,
  type ScriptUseKind,
} from "./script-allowlist.ts";
import { SCRIPTS_DOC } from "./script-name.ts";
import type { ClusterSpec } from "./spec.ts";
import type { VrrpNotify } from "./vrrp.ts";

/** One place a spec names a script. */
export interface ScriptUse {
  name: string;
  /** The spec field, e.g. `services[0].realServers[1].healthChecks[0].script`. */
  field: string;
  use: ScriptUseKind;
}

const NOTIFY_KEYS = ["master", "backup", "fault", "stop", "any"] as const;

function notifyUses(notify: VrrpNotify | undefined, at: string): ScriptUse[] {
  return NOTIFY_KEYS.flatMap((key) => {
    const name = notify?.[key];
    return name === undefined ? [] : [{ name, field: `${at}.notify.${key}`, use: "notify" as const }];
  });
}

/** Every script the spec names, where, and for what. */
export function scriptUses(spec: ClusterSpec): ScriptUse[] {
  const uses: ScriptUse[] = [];
  spec.services.forEach((service, i) => {
    service.realServers.forEach((rs, j) => {
      rs.healthChecks?.forEach((check, k) => {
        if (check.type === "misc")
          uses.push({
            name: check.script,
            field: `services[${i}].realServers[${j}].healthChecks[${k}].script`,
            use: "misc",
          });
      });
    });
    if (service.quorum?.up !== undefined)
      uses.push({ name: service.quorum.up, field: `services[${i}].quorum.up`, use: "quorum" });
    if (service.quorum?.down !== undefined)
      uses.push({ name: service.quorum.down, field: `services[${i}].quorum.down`, use: "quorum" });
  });
  spec.vrrp?.instances.forEach((instance, i) => {
    uses.push(...notifyUses(instance.notify, `vrrp.instances[${i}]`));
  });
  uses.push(...notifyUses(spec.vrrp?.syncGroup?.notify, "vrrp.syncGroup"));
  return uses;
}

const kindsOf = (uses: readonly ScriptUse[]): ScriptUseKind[] => [...new Set(uses.map((u) => u.use))];

const fieldsOf = (uses: readonly ScriptUse[]) => {
  const fields = uses.map((u) => u.field);
  return fields.length > 3 ? `${fields.slice(0, 3).join(", ")} and ${fields.length - 3} more` : fields.join(", ");
};

/**
 * What a director's allowlist says about the scripts a spec names, as doctor problems (errors): the
 * agent refuses a Start or Apply that has any, its doctor reports them for the spec it holds, and
 * the server's plan and doctor report them per director from the allowlist the director reports.
 * The same words everywhere.
 */
export function scriptProblems(spec: ClusterSpec | undefined, allowlist: ScriptAllowlistReport): Problem[] {
  if (!spec) return [];
  const uses = scriptUses(spec);
  if (uses.length === 0) return [];
  const byName = new Map<string, ScriptUse[]>();
  for (const use of uses) byName.set(use.name, [...(byName.get(use.name) ?? []), use]);
  if (allowlist.file === undefined)
    return [
      {
        code: "scripts-off",
        severity: "error",
        subject: "scripts",
        message: `scripts are off on this director: start it with --actions-file FILE holding a scripts section (the spec names ${[...byName.keys()].join(", ")} at ${fieldsOf(uses)})`,
        fix: `give the director agent --actions-file with a "scripts" section mapping each name to a program (see ${SCRIPTS_DOC}), or remove the scripts from the spec`,
      },
    ];
  const known = new Map(allowlist.scripts.map((s) => [s.name, s]));
  const names = allowlist.scripts.map((s) => s.name).join(", ") || "none";
  const problems: Problem[] = [];
  for (const [name, named] of byName) {
    const script = known.get(name);
    if (!script) {
      problems.push({
        code: "script-not-allowed",
        severity: "error",
        subject: name,
        message: `script ${name} is not in this director's allowlist (${allowlist.file}); it has: ${names} (named at ${fieldsOf(named)})`,
        fix: `add "${name}" to the scripts section of ${allowlist.file} and restart the agent, or name one of its scripts`,
      });
      continue;
    }
    for (const use of kindsOf(named)) {
      const provided = SCRIPT_PLACEHOLDERS[use];
      const missing = script.placeholders.filter((p) => !provided.includes(p));
      if (missing.length === 0) continue;
      problems.push({
        code: "script-placeholder",
        severity: "error",
        subject: name,
        message: `script ${name} uses ${missing.map((p) => `{${p}}`).join(", ")}, which ${SCRIPT_USE_WORDS[use]} does not provide (it provides ${provided.map((p) => `{${p}}`).join(", ")}; named at ${fieldsOf(named.filter((u) => u.use === use))})`,
        fix: `give ${SCRIPT_USE_WORDS[use]} its own script in ${allowlist.file}, without those placeholders`,
      });
    }
  }
  return problems;
}
