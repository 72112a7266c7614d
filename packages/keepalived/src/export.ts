import {
  ClusterSpec,
  type ClusterSpecInput,
  type Director,
  type FieldError,
  ValidationError,
  validate,
} from "@lvsfleet/model";
import type { KeepalivedConfig } from "./ast.ts";
import type { AllowlistScripts } from "./exported-scripts.ts";
import { fromClusterSpec } from "./from-spec.ts";
import { renderKeepalived } from "./render.ts";

export interface ExportOptions {
  /**
   * Host name of the director the file is for (keepalived.conf is per host). Default: the only
   * director, else the master (with a warning naming the others).
   */
  director?: string | undefined;
  /** A comment written at the top; false for none. */
  header?: string | false | undefined;
  /**
   * The director's allowlisted scripts (the `scripts` section of its --actions-file): the spec names
   * scripts, this gives their commands. Without it they are written as /etc/lvsfleet/scripts/NAME,
   * with a warning.
   */
  scripts?: AllowlistScripts | undefined;
}

export interface ExportResult {
  text: string;
  config: KeepalivedConfig;
  /** What the file cannot say, by spec field. */
  warnings: FieldError[];
}

/** Renders a cluster spec as one director's keepalived.conf (keepalived 2.x). Throws ValidationError on a bad spec. */
export function exportKeepalived(spec: ClusterSpecInput, options: ExportOptions = {}): ExportResult {
  const valid = validate(ClusterSpec, spec);
  const warnings: FieldError[] = [];
  const director = chooseDirector(valid, options.director, warnings);
  const config = fromClusterSpec(valid, director, warnings, options.scripts);
  const header =
    options.header === false
      ? undefined
      : (options.header ??
        `keepalived.conf for ${director ? `director ${director.host} of ` : ""}cluster ${valid.name}, written by lvsfleet`);
  return { text: renderKeepalived(config, header), config, warnings };
}

function chooseDirector(spec: ClusterSpec, host: string | undefined, warnings: FieldError[]): Director | undefined {
  if (host !== undefined) {
    const found = spec.directors.find((d) => d.host === host);
    if (!found)
      throw new ValidationError([
        {
          field: "director",
          message: `${host} is not one of the cluster's directors (${spec.directors.map((d) => d.host).join(", ") || "none"})`,
        },
      ]);
    return found;
  }
  if (spec.directors.length <= 1) return spec.directors[0];
  const chosen = spec.directors.find((d) => d.role === "master") ?? (spec.directors[0] as Director);
  warnings.push({
    field: "director",
    message: `no director chosen: wrote ${chosen.host}'s file; the others (${spec.directors
      .filter((d) => d !== chosen)
      .map((d) => d.host)
      .join(", ")}) need their own`,
  });
  return chosen;
}
