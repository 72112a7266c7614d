import { AllowedScript, placeholdersOf, type ScriptUseKind } from "./script-allowlist.ts";
import { NOTIFY_APPENDS, splitCommand } from "./script-command.ts";
import { SCRIPT_NAME } from "./script-name.ts";
import { ScriptNamer, type SuggestedScript } from "./script-naming.ts";
import { fieldErrors } from "./validation.ts";

/**
 * Specs written before scripts were named carried programs: a misc check's `path`, quorum `up` and
 * `down`, and VRRP `notify.{master,backup,fault,stop,any}` held command lines. Such a spec no longer
 * validates (script-name.ts). This turns one, as stored (raw JSON, not validated), into a spec that
 * names its scripts, with the allowlist entries each director needs for them to run as before:
 *
 * - every command line gets a name by the keepalived import's rule (script-naming.ts): from the
 *   program's file name, unique with -2, -3…, never a name the spec already uses; the same command
 *   (program and arguments, as the agent would run it) always gets the same name within the spec;
 * - the entry's argument array is the command line split the way it was run before: misc and
 *   quorum by the director agent's own splitter (splitDirectorCommand), notify by keepalived, which
 *   ran them (splitCommand); keepalived's `notify` also appended four arguments, so that entry ends
 *   with {type} {instance} {state} {priority};
 * - a quorum or notify value that already is a valid name stays as it is (it is read as a name);
 *   a misc check's `path` always goes (the field is retired).
 *
 * A spec with no command line comes back equal, with no entries: migrating twice changes nothing.
 * Pure: the input is not modified.
 */

/** One field whose command line became a script name. */
export interface ScriptFieldChange {
  /** The field that held the command line, e.g. `services[0].realServers[1].healthChecks[0].path`. */
  field: string;
  /** The field that names the script now (a misc check's `script`; the same field elsewhere). */
  now: string;
  command: string;
  name: string;
}

export interface ScriptMigration {
  /** The migrated spec (a copy; equal to the input when nothing changed). */
  spec: unknown;
  changes: ScriptFieldChange[];
  /** The `scripts` section every director's --actions-file needs for the spec's scripts to run. */
  scripts: Record<string, SuggestedScript>;
  /** Entries that must be edited before they can go into an allowlist (a relative program, …). */
  warnings: string[];
}

/**
 * How the director agent split a misc check's path and a quorum up/down command line before
 * scripts were named: on blanks, a "double-quoted" word kept whole, without escapes (a single quote
 * is an ordinary character). Kept here only to migrate what it used to run.
 */
export function splitDirectorCommand(command: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|(\S+)/g;
  for (let m = pattern.exec(command); m; m = pattern.exec(command)) words.push(m[1] ?? m[2] ?? "");
  return words;
}

type Json = Record<string, unknown>;

/** A place in a stored spec that holds a script: a name, or before the change a command line. */
interface Slot {
  holder: Json;
  key: string;
  field: string;
  use: ScriptUseKind;
}

const NOTIFY_KEYS = ["master", "backup", "fault", "stop", "any"] as const;
const DESCRIPTION_MAX = 200;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const objects = (value: unknown): Json[] => (Array.isArray(value) ? value : []).map((v) => (isObject(v) ? v : {}));

/** Every place the stored spec may hold a script, in the order scriptUses lists them. */
function slotsOf(spec: Json): Slot[] {
  const slots: Slot[] = [];
  objects(spec.services).forEach((service, i) => {
    objects(service.realServers).forEach((rs, j) => {
      objects(rs.healthChecks).forEach((check, k) => {
        if (check.type !== "misc") return;
        const at = `services[${i}].realServers[${j}].healthChecks[${k}]`;
        slots.push({ holder: check, key: "path" in check ? "path" : "script", field: at, use: "misc" });
      });
    });
    const quorum = service.quorum;
    if (isObject(quorum))
      for (const key of ["up", "down"])
        if (key in quorum) slots.push({ holder: quorum, key, field: `services[${i}].quorum.${key}`, use: "quorum" });
  });
  const vrrp = isObject(spec.vrrp) ? spec.vrrp : {};
  const notifySlots = (notify: unknown, at: string) => {
    if (isObject(notify))
      for (const key of NOTIFY_KEYS)
        if (key in notify) slots.push({ holder: notify, key, field: `${at}.notify.${key}`, use: "notify" });
  };
  objects(vrrp.instances).forEach((instance, i) => {
    notifySlots(instance.notify, `vrrp.instances[${i}]`);
  });
  if (isObject(vrrp.syncGroup)) notifySlots(vrrp.syncGroup.notify, "vrrp.syncGroup");
  return slots;
}

/** The command line a slot holds, if it holds one rather than a name. */
function commandAt(slot: Slot): string | undefined {
  const value = slot.holder[slot.key];
  if (typeof value !== "string") return undefined;
  if (slot.use === "misc") return slot.key === "path" && slot.holder.script === undefined ? value : undefined;
  return SCRIPT_NAME.test(value) ? undefined : value;
}

/** The name a slot holds (misc: `script`), if any. */
function nameAt(slot: Slot): string | undefined {
  const value = slot.use === "misc" ? slot.holder.script : slot.holder[slot.key];
  return typeof value === "string" && SCRIPT_NAME.test(value) ? value : undefined;
}

/** The program and arguments a command line ran as, before scripts were named. */
function argvOf(slot: Slot, command: string): { argv: string[]; run: string[] } {
  if (slot.use !== "notify") {
    const argv = splitDirectorCommand(command);
    return { argv, run: argv };
  }
  const argv = splitCommand(command);
  return { argv, run: slot.key === "any" ? [...argv, ...NOTIFY_APPENDS] : argv };
}

/** Replaces a misc check's `path` by `script`, in the same place among its keys. */
function renameKey(holder: Json, from: string, to: string, value: string): void {
  const entries = Object.entries(holder).map(([k, v]): [string, unknown] => (k === from ? [to, value] : [k, v]));
  for (const key of Object.keys(holder)) delete holder[key];
  Object.assign(holder, Object.fromEntries(entries));
}

/** Why an entry cannot go into an allowlist as it is, if it cannot. */
function entryWarnings(name: string, argv: readonly string[], run: readonly string[]): string[] {
  const warnings: string[] = [];
  const checked = AllowedScript.safeParse({ command: run });
  if (!checked.success)
    warnings.push(
      `script ${name} ${JSON.stringify(run)}: edit it before adding it (${fieldErrors(checked.error)
        .map((e) => `${e.field}: ${e.message}`)
        .join("; ")})`,
    );
  const read = placeholdersOf(argv);
  if (read.length > 0)
    warnings.push(
      `script ${name} ${JSON.stringify(run)}: ${read.map((p) => `{${p}}`).join(", ")} in its arguments would now be read as placeholders the agent fills`,
    );
  return warnings;
}

export function migrateScriptCommands(stored: unknown): ScriptMigration {
  const unchanged: ScriptMigration = { spec: stored, changes: [], scripts: {}, warnings: [] };
  if (!isObject(stored)) return unchanged;
  if (!slotsOf(stored).some((slot) => commandAt(slot) !== undefined)) return unchanged;
  const spec = structuredClone(stored);
  const cluster = typeof spec.name === "string" ? `cluster ${spec.name.slice(0, 63)}` : "the cluster";
  const slots = slotsOf(spec);
  const namer = new ScriptNamer(new Set(slots.flatMap((slot) => nameAt(slot) ?? [])));
  const changes: ScriptFieldChange[] = [];
  const warnings: string[] = [];
  for (const slot of slots) {
    const command = commandAt(slot);
    if (command === undefined) continue;
    const { argv, run } = argvOf(slot, command);
    // A misc check's slot is the check: its command was `path`, its name is `script`.
    const field = slot.use === "misc" ? `${slot.field}.path` : slot.field;
    const now = slot.use === "misc" ? `${slot.field}.script` : slot.field;
    const { name, added } = namer.name(run, `migrated from ${cluster}'s ${field}`.slice(0, DESCRIPTION_MAX));
    if (added) warnings.push(...entryWarnings(name, argv, run));
    if (slot.use === "misc") renameKey(slot.holder, "path", "script", name);
    else slot.holder[slot.key] = name;
    changes.push({ field, now, command, name });
  }
  return { spec, changes, scripts: namer.section(), warnings };
}
