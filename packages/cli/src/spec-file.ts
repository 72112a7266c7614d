import { readFileSync } from "node:fs";
import { ClusterSpec, fieldErrors } from "@lvsfleet/model";
import { parseDocument } from "yaml";
import { CliError, EXIT } from "./exit-codes.ts";

/** Reads a file's text; `-` is standard input. */
export function readInput(path: string): string {
  try {
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (error as Error).message;
    throw new CliError(`cannot read ${path === "-" ? "standard input" : path}: ${why}`, EXIT.usage);
  }
}

/** JSON text as data, or undefined when it is not JSON (then it is read as YAML, which names the line of a fault). */
function parsedJson(text: string): unknown {
  if (!/^\s*\{/.test(text)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A YAML or JSON document (JSON is YAML) as data; syntax errors name the line and column. JSON is
 * read with JSON.parse: the yaml library takes 12 s for the 6.4 MB JSON of a 10,000-service spec,
 * JSON.parse 0.2 s (a duplicate key in JSON: the last one counts, as with every JSON parser).
 */
export function parseSpecText(text: string, file: string): unknown {
  const json = parsedJson(text);
  if (json !== undefined) {
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw notOneSpec(file);
    return json;
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new CliError(
      `${file} is not valid YAML or JSON`,
      EXIT.usage,
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        return `${file}${at ? `:${at.line}:${at.col}` : ""}: ${e.message.split("\n")[0]}`;
      }),
    );
  const data = doc.toJS();
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw notOneSpec(file);
  return data;
}

const notOneSpec = (file: string) =>
  new CliError(`${file} must hold one cluster spec (a mapping with name, vips, directors, services)`, EXIT.usage);

/**
 * A cluster spec from a file, checked here with the same schema the server uses, so a typo is
 * reported with its field before anything is sent. The cluster is --cluster, else the file's name.
 */
export function readSpec(
  path: string,
  cluster: string | undefined,
): { cluster: string; spec: Record<string, unknown> } {
  const file = path === "-" ? "(stdin)" : path;
  const data = parseSpecText(readInput(path), file) as Record<string, unknown>;
  const name = cluster ?? (typeof data.name === "string" ? data.name : undefined);
  if (!name) throw new CliError(`${file} has no name: add name: <cluster> or give --cluster`, EXIT.usage);
  if (data.name !== undefined && data.name !== name)
    throw new CliError(`${file} is for cluster ${String(data.name)}, not ${name}`, EXIT.usage);
  const result = ClusterSpec.safeParse({ ...data, name });
  if (!result.success)
    throw new CliError(
      `${file} is not a valid cluster spec`,
      EXIT.usage,
      fieldErrors(result.error).map((e) => `${e.field}: ${e.message}`),
    );
  return { cluster: name, spec: { ...data, name } };
}
