import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { PkiError } from "./errors.ts";

/** Private keys: owner read/write only. */
export const SECRET_FILE_MODE = 0o600;
/** Certificates: public. */
export const PUBLIC_FILE_MODE = 0o644;
/** Directories holding keys: owner only. */
export const SECRET_DIR_MODE = 0o700;

export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: SECRET_DIR_MODE });
  await chmod(dir, SECRET_DIR_MODE);
}

/**
 * Writes a file atomically (temp file in the same directory, fsync, rename) with `mode` set at creation,
 * so a key is never readable by others, not even for a moment, and a crash leaves the old file or the new one.
 */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const temp = join(dirname(path), `.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temp, "wx", mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Refuses a private key file that group or others can read or write (as ssh does). */
export async function checkSecretFileMode(path: string, field: string): Promise<void> {
  const { mode } = await stat(path);
  if ((mode & 0o077) !== 0)
    throw new PkiError(
      "ca-files",
      field,
      `${path} is accessible by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
    );
}
