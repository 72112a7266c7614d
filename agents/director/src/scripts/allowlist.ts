import {
  allowlistReport,
  type ClusterSpec,
  type Problem,
  SCRIPT_PLACEHOLDERS,
  type ScriptAllowlistReport,
  type ScriptsSection,
  type ScriptUseKind,
  scriptProblems,
  substituteArguments,
} from "@lvsfleet/model";

/** A script ready to run: its argument array (placeholders filled) and how long it may take. */
export interface ResolvedScript {
  name: string;
  argv: string[];
  timeoutMs: number;
}

/**
 * The director's own allowlist of scripts (the `scripts` section of its --actions-file), read once
 * at start. The cluster spec names scripts; only this maps a name to a program. Without a file,
 * scripts are off: a spec naming any is refused, and nothing ever runs.
 */
export class DirectorScripts {
  readonly report: ScriptAllowlistReport;

  constructor(
    /** The --actions-file (absolute), or undefined when the agent has none. */
    readonly file: string | undefined,
    private readonly scripts: ScriptsSection | undefined,
  ) {
    this.report = allowlistReport(file, scripts);
  }

  /** What is wrong with the scripts a spec names, on this director (the same words as the server's plan and doctor). */
  problems(spec: ClusterSpec | undefined): Problem[] {
    return scriptProblems(spec, this.report);
  }

  /**
   * The named script with this use's placeholders filled from `values`. Throws (and nothing runs)
   * when scripts are off, the name is not allowlisted, or a value is not one its placeholder takes.
   */
  resolve(name: string, use: ScriptUseKind, values: Readonly<Record<string, string>>): ResolvedScript {
    if (this.file === undefined)
      throw new Error(
        `scripts are off on this director: start it with --actions-file FILE holding a scripts section (${name} not run)`,
      );
    const script = this.scripts?.[name];
    if (!script || !Object.hasOwn(this.scripts ?? {}, name))
      throw new Error(
        `script ${name} is not in this director's allowlist (${this.file}); it has: ${this.report.scripts.map((s) => s.name).join(", ") || "none"}`,
      );
    const provided = Object.fromEntries(
      SCRIPT_PLACEHOLDERS[use].flatMap((p) => (values[p] === undefined ? [] : [[p, values[p] as string]])),
    );
    return { name, argv: substituteArguments(script.command, provided), timeoutMs: script.timeoutSeconds * 1_000 };
  }
}
