import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import madge from "madge";

/** The repository's root (this file is test/structure/import-cycles.ts). */
export const ROOT = join(import.meta.dirname, "..", "..");

/** The folders whose TypeScript the cycle check reads: every workspace, the server, the tests and benchmarks. */
export const CHECKED = ["packages", "agents", "server/src", "server/test", "test", "bench"];

/** The deliberate cycle the check must find (test/structure/fixtures/cycle), left out of the repository-wide check. */
export const FIXTURES = join("test", "structure", "fixtures");

/**
 * `@lvsfleet/model`, `@lvsfleet/rpc/tls`… → the source files their package.json `exports` name, so
 * that an import of another workspace is followed into its source like a relative one (a cycle
 * between two packages is a cycle too), not taken for a library in node_modules.
 */
export function workspacePaths(root = ROOT): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  for (const group of ["packages", "agents"])
    for (const dir of readdirSync(join(root, group))) {
      const file = join(root, group, dir, "package.json");
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name: string; exports?: Record<string, string> };
      for (const [subpath, target] of Object.entries(pkg.exports ?? {}))
        paths[pkg.name + subpath.slice(1)] = [join(group, dir, target)];
    }
  return paths;
}

/** Every import cycle among the TypeScript files under `paths` (relative to `root`), each as the files in it. */
export async function importCycles(
  paths: string[],
  options: { root?: string; exclude?: RegExp[] } = {},
): Promise<string[][]> {
  const root = options.root ?? ROOT;
  const result = await madge(
    paths.map((p) => join(root, p)),
    {
      baseDir: root,
      fileExtensions: ["ts"],
      excludeRegExp: [/node_modules/, /(^|\/)dist\//, ...(options.exclude ?? [])],
      tsConfig: {
        compilerOptions: {
          baseUrl: root,
          paths: workspacePaths(root),
          module: "NodeNext",
          moduleResolution: "NodeNext",
          allowImportingTsExtensions: true,
        },
      },
    },
  );
  return result.circular().map((cycle) => cycle.map((file) => relative(root, join(root, file))));
}
