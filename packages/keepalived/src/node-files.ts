import { readdirSync, readFileSync, statSync } from "node:fs";
import type { ConfigFiles } from "./files.ts";

/**
 * The package's only shell, exported apart as `@lvsfleet/keepalived/files` so that the parser,
 * renderer and mapping (`@lvsfleet/keepalived`) stay pure: programs (lvsctl import) hand this to
 * them, tests hand them memoryFiles.
 */

/** The real file system (read-only). */
export const nodeFiles: ConfigFiles = {
  read(path) {
    try {
      if (!statSync(path).isFile()) return undefined;
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
  list(dir) {
    try {
      return readdirSync(dir);
    } catch {
      return undefined;
    }
  },
};
