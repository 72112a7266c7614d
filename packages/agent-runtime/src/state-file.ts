import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * A JSON document kept in the agent's state directory, written atomically (temp file + rename)
 * so that a killed agent never leaves half a file behind. The agent is the file's only writer,
 * so after the first read the document is served from memory (a copy per read).
 */
export class StateFile<T> {
  private cached: { value: T } | undefined;

  constructor(
    readonly path: string,
    private readonly initial: () => T,
  ) {}

  async read(): Promise<T> {
    return structuredClone(await this.peek());
  }

  /**
   * The document itself, not a copy: for a reader that only looks (a heartbeat reads two fields
   * every beat; copying a held spec of a thousand directors each time would cost more than the beat).
   */
  async peek(): Promise<Readonly<T>> {
    if (this.cached) return this.cached.value;
    let value: T;
    try {
      value = JSON.parse(await readFile(this.path, "utf8")) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        throw new Error(`cannot read state file ${this.path}: ${(error as Error).message}`);
      value = this.initial();
    }
    this.cached ??= { value };
    return this.cached.value;
  }

  async write(value: T): Promise<void> {
    this.cached = { value: structuredClone(value) };
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.${process.pid}.tmp`;
    // compact: a held spec of 10,000 services is megabytes, and indenting it doubles the work and the file
    await writeFile(temp, `${JSON.stringify(value)}\n`);
    await rename(temp, this.path);
  }
}
