import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cruise, type ICruiseOptions, type IReporterOutput } from "dependency-cruiser";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The server's import rules (.dependency-cruiser.cjs): REST, chat, the maintenance jobs and the notifier
 * reach the server only through server/src/commands, with a short list of exceptions, each with a reason.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const config = createRequire(import.meta.url)(join(root, ".dependency-cruiser.cjs")) as {
  forbidden: { name: string; comment: string; from: { path: string }; to: { path: string; pathNot: string[] } }[];
  options: ICruiseOptions;
};

interface Violation {
  rule: string;
  from: string;
  to: string;
}

async function check(
  baseDir: string,
  options: ICruiseOptions,
): Promise<{ violations: Violation[]; modules: { source: string; dependencies: { resolved: string }[] }[] }> {
  const result = await cruise(["server/src"], {
    ...options,
    baseDir,
    ruleSet: { forbidden: config.forbidden as NonNullable<ICruiseOptions["ruleSet"]>["forbidden"] },
    validate: true,
  });
  const output = (result as IReporterOutput).output;
  if (typeof output === "string") throw new Error("dependency-cruiser returned text, not its result");
  return {
    violations: output.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to })),
    modules: output.modules,
  };
}

/**
 * Values server/src/commands may pass on from outside itself: the command layer's own vocabulary that
 * happens to be defined next to the code that uses it most. Anything else re-exported from outside
 * commands/ must be a type (a tunnel of values would let a front door reach a store through commands/).
 */
const VALUE_REEXPORTS: Record<string, string> = {
  "server/src/commands/maintenance.ts parseDuration":
    "the pure duration parser of maintenance requests (`30m`, `PT1H`); chat reads durations with it",
  "server/src/commands/maintenance.ts JOB_KINDS": "the maintenance job kinds, constants of a request's schema",
  "server/src/commands/maintenance.ts JOB_STATES": "the maintenance job states, constants of the job view's schema",
  "server/src/commands/maintenance.ts TERMINAL": "which job states are final, a constant of the job view",
};

/** Every value a file re-exports from outside its folder (`export {x} from "../y"`, or `export {x}` of an import). */
function valueReexports(file: string, text: string): string[] {
  const found: string[] = [];
  const outside = (from: string) => from.startsWith("../");
  const names = (list: string) =>
    list
      .split(",")
      .map((n) => n.trim())
      .filter((n) => n && !n.startsWith("type "))
      .map((n) => n.split(/\s+as\s+/).pop()!);
  const imported = new Map<string, string>();
  for (const m of text.matchAll(/^import\s+(type\s+)?\{([^}]*)\}\s+from\s+"([^"]+)"/gm))
    if (!m[1]) for (const n of names(m[2]!)) imported.set(n, m[3]!);
  for (const m of text.matchAll(/^export\s+\*\s+(?:as\s+\w+\s+)?from\s+"([^"]+)"/gm))
    if (outside(m[1]!)) found.push(`${file} * from ${m[1]}`);
  for (const m of text.matchAll(/^export\s+(type\s+)?\{([^}]*)\}(?:\s+from\s+"([^"]+)")?/gm)) {
    if (m[1]) continue;
    for (const n of names(m[2]!)) {
      const from = m[3] ?? imported.get(n);
      if (from && outside(from)) found.push(`${file} ${n}`);
    }
  }
  return found;
}

const fixtures: string[] = [];
afterAll(() => {
  for (const dir of fixtures) rmSync(dir, { recursive: true, force: true });
});

describe("import rules", () => {
  it("server/src keeps them: the front doors, the jobs and the notifier import only commands/ and the listed exceptions", async () => {
    const { violations } = await check(root, config.options);
    expect(violations.map((v) => `${v.from} -> ${v.to} (${v.rule})`)).toEqual([]);
  });

  it("every exception has a reason and is still used (a stale one must be removed)", async () => {
    const { modules } = await check(root, config.options);
    expect(config.forbidden.length).toBeGreaterThanOrEqual(4);
    for (const rule of config.forbidden) {
      const folder = /^\^server\/src\/([^/]+)\/$/.exec(rule.from.path)?.[1] as string;
      expect(folder, rule.name).toBeDefined();
      const exceptions = rule.to.pathNot.filter((p) => p !== `^server/src/${folder}/` && p !== "^server/src/commands/");
      for (const path of exceptions) {
        // the comment says why: "<path> (<reason>)"
        const reason = new RegExp(`${path.replace(/[\^/]/g, "\\$&")} \\(([^)]{20,})\\)`).exec(rule.comment)?.[1];
        expect(reason, `${rule.name}: ${path} has no reason`).toBeDefined();
        const used = modules.some(
          (m) =>
            m.source.startsWith(`server/src/${folder}/`) &&
            m.dependencies.some((d) => new RegExp(path).test(d.resolved)),
        );
        expect(used, `server/src/${folder} -> ${path} is listed but no longer imported`).toBe(true);
      }
    }
  });

  it("commands/ is no tunnel: what it re-exports from outside itself is a type, or a listed value with its reason", () => {
    const dir = join(root, "server/src/commands");
    const found = readdirSync(dir)
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) => valueReexports(`server/src/commands/${f}`, readFileSync(join(dir, f), "utf8")));
    expect(found.filter((r) => !VALUE_REEXPORTS[r])).toEqual([]);
    for (const [listed, reason] of Object.entries(VALUE_REEXPORTS)) {
      expect(found, `${listed} is listed but no longer re-exported`).toContain(listed);
      expect(reason.length).toBeGreaterThan(20);
    }
  });

  it("the tunnel check finds a value passed on from a store, directly or through an import", () => {
    const text = [
      'import { ClusterStore } from "../store/clusters.ts";',
      'import type { AuditLog } from "../audit/log.ts";',
      'import { audited } from "./audited.ts";',
      "export { ClusterStore, audited };",
      "export type { AuditLog };",
      'export { EventLog as Events, type AgentRegistry } from "../store/events.ts";',
      'export * from "../queue/worker.ts";',
      'export type { StoredCluster } from "../store/clusters.ts";',
    ].join("\n");
    expect(valueReexports("x.ts", text)).toEqual([
      "x.ts * from ../queue/worker.ts",
      "x.ts ClusterStore",
      "x.ts Events",
    ]);
  });

  it("reports a back door planted in each kind of folder, type-only imports included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lvsfleet-import-rules-"));
    fixtures.push(dir);
    const files: Record<string, string> = {
      "server/src/store/clusters.ts": "export class ClusterStore {}\n",
      "server/src/queue/jobs.ts": "export interface CommandJobData { command: string }\n",
      "server/src/maintenance/runner.ts": "export const run = () => 1;\n",
      "server/src/agents/pool.ts": "export const pool = {};\n",
      "server/src/commands/weight.ts":
        'import { ClusterStore } from "../store/clusters.ts";\nexport const w = ClusterStore;\n',
      // allowed: commands/, own folder, listed exceptions
      "server/src/chat/reply.ts": 'import { w } from "../commands/weight.ts";\nexport const r = w;\n',
      "server/src/chat/dispatch.ts": 'import { r } from "./reply.ts";\nexport const d = r;\n',
      // back doors
      "server/src/maintenance/effects.ts": 'import { pool } from "../agents/pool.ts";\nexport const e = pool;\n',
      "server/src/chat/back-door.ts":
        'import { ClusterStore } from "../store/clusters.ts";\nexport const b = ClusterStore;\n',
      "server/src/http/routes/jobs.ts": 'import { run } from "../../maintenance/runner.ts";\nexport const j = run;\n',
      "server/src/notify/outcome.ts":
        'import type { CommandJobData } from "../queue/jobs.ts";\nexport const o = (d: CommandJobData) => d.command;\n',
      "server/src/maintenance/service.ts": 'import { d } from "../chat/dispatch.ts";\nexport const s = d;\n',
      "server/src/status/render.ts":
        'import { ClusterStore } from "../store/clusters.ts";\nexport const t = ClusterStore;\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const { tsConfig: _ignored, ...options } = config.options;
    const { violations } = await check(dir, options);
    expect(violations.sort((a, b) => a.from.localeCompare(b.from))).toEqual([
      {
        rule: "door-chat-imports-only-commands",
        from: "server/src/chat/back-door.ts",
        to: "server/src/store/clusters.ts",
      },
      {
        rule: "door-http-imports-only-commands",
        from: "server/src/http/routes/jobs.ts",
        to: "server/src/maintenance/runner.ts",
      },
      {
        rule: "door-maintenance-imports-only-commands",
        from: "server/src/maintenance/effects.ts",
        to: "server/src/agents/pool.ts",
      },
      {
        rule: "door-maintenance-imports-only-commands",
        from: "server/src/maintenance/service.ts",
        to: "server/src/chat/dispatch.ts",
      },
      {
        rule: "door-notify-imports-only-commands",
        from: "server/src/notify/outcome.ts",
        to: "server/src/queue/jobs.ts",
      },
      {
        rule: "leaf-status-imports-only-commands",
        from: "server/src/status/render.ts",
        to: "server/src/store/clusters.ts",
      },
    ]);
  });
});
