import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * A JSON document kept in the agent's state directory, written atomically (temp file + rename)
 * so that a killed agent never leaves half a file behind.
 */
export class StateFile<T> {
  constructor(
    readonly path: string,
    private readonly initial: () => T,
  ) {}

  async read(): Promise<T> {
    try {
      return JSON.parse(await readFile(this.path, "utf8")) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return this.initial();
      throw new Error(`cannot read state file ${this.path}: ${(error as Error).message}`);
    }
  }

  async write(value: T): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
    await rename(temp, this.path);
  }
}
