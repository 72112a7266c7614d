import { posix } from "node:path";

/**
 * Where the parser reads configuration files from. The parser itself touches no disk: tests use
 * memoryFiles, programs use nodeFiles (`@lvsfleet/keepalived/files`, the package's only shell).
 * Paths are absolute POSIX paths.
 */
export interface ConfigFiles {
  /** Text of a regular file, or undefined when there is none (missing, a directory, unreadable). */
  read(path: string): string | undefined;
  /** Entry names of a directory, or undefined when it is not one. */
  list(dir: string): string[] | undefined;
}

/** Files held in memory, keyed by absolute path; directories are implied by the paths. */
export function memoryFiles(files: Record<string, string>): ConfigFiles {
  const normal = new Map(Object.entries(files).map(([path, text]) => [posix.normalize(path), text]));
  return {
    read: (path) => normal.get(posix.normalize(path)),
    list: (dir) => {
      const prefix = posix.normalize(dir).replace(/\/?$/, "/");
      const names = new Set<string>();
      for (const path of normal.keys())
        if (path.startsWith(prefix)) names.add(path.slice(prefix.length).split("/")[0] as string);
      return names.size > 0 ? [...names] : undefined;
    },
  };
}
