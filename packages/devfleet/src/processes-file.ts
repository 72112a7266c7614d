import { renameSync, rmSync, writeFileSync } from "node:fs";
import { z } from "zod";

/**
 * `.data/demo/processes.json`: every process the demo started and that still runs, so an operator
 * (or a test) can see them and kill one by its pid. Rewritten whenever one starts or exits; removed
 * when the demo stops.
 */
export const DemoProcess = z.strictObject({
  name: z.string().min(1),
  kind: z.enum(["server", "redis", "sentinel", "agent"]),
  pid: z.number().int().positive(),
  /** Servers: http(s)://127.0.0.1:PORT; Redis and sentinels: redis://127.0.0.1:PORT. */
  url: z.url().optional(),
});
export type DemoProcess = z.infer<typeof DemoProcess>;
export const DemoProcesses = z.array(DemoProcess);

/** The list of the demo's processes, kept in one file (written whole, then renamed over the old one). */
export class ProcessesFile {
  private readonly entries = new Map<string, DemoProcess>();
  constructor(readonly path: string) {}

  /** Adds (or replaces, after a restart) a process and rewrites the file. */
  set(entry: DemoProcess): void {
    this.entries.set(entry.name, DemoProcess.parse(entry));
    this.write();
  }

  /** Removes a process that exited and rewrites the file. */
  remove(name: string): void {
    if (this.entries.delete(name)) this.write();
  }

  list(): DemoProcess[] {
    return [...this.entries.values()];
  }

  /** The demo stopped everything: nothing is left to list. */
  delete(): void {
    rmSync(this.path, { force: true });
  }

  private write(): void {
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.list(), null, 2)}\n`);
    renameSync(temporary, this.path);
  }
}
