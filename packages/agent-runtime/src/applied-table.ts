import { type IpvsTable, type Operation, serviceKey } from "@lvsfleet/model";

/** The services a plan touches (their `serviceKey`s, once each, in plan order): what its read-back reads. */
export function touchedServices(operations: readonly Operation[]): string[] {
  return [...new Set(operations.map((op) => serviceKey(op.service)))];
}

/**
 * The table with the named services replaced by what a read-back found of them: a key the read-back
 * lacks is gone from the kernel, a key it has is taken as read; the other services stay as they were.
 */
export function foldServices(table: IpvsTable, keys: readonly string[], readBack: IpvsTable): IpvsTable {
  const read = new Set(keys);
  const found = new Map(readBack.services.filter((s) => read.has(serviceKey(s))).map((s) => [serviceKey(s), s]));
  const services = table.services.flatMap((s) => {
    const key = serviceKey(s);
    if (!read.has(key)) return [s];
    const now = found.get(key);
    found.delete(key);
    return now ? [now] : [];
  });
  return { services: [...services, ...found.values()] };
}

/**
 * What the agent knows the data plane holds: the table as last read back (whole, or service by
 * service after each change it made), so that a change is planned against it instead of a read of
 * the whole kernel. Unknown (undefined) in a fresh process and after an execute that failed half
 * way: the next operation then reads the whole table back first. Connection counts in it are as of
 * the read that brought each service in.
 */
export class AppliedTable {
  private current: IpvsTable | undefined;

  /** The table, or undefined when nothing is known (read the whole kernel first). */
  get table(): IpvsTable | undefined {
    return this.current;
  }

  /** A read of the whole data plane: it is the table now. */
  replace(table: IpvsTable): void {
    this.current = table;
  }

  /** A read-back of the services a change touched. */
  fold(keys: readonly string[], readBack: IpvsTable): void {
    if (this.current) this.current = foldServices(this.current, keys, readBack);
  }

  /** After an execute that failed: what the kernel holds is not known any more. */
  forget(): void {
    this.current = undefined;
  }
}
