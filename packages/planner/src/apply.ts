import {
  destinationKey,
  type IpvsService,
  type IpvsTable,
  NO_CONNECTIONS,
  type Operation,
  serviceKey,
} from "@lvsfleet/model";

/** Why an operation cannot apply: what ipvsadm (the kernel) would refuse. */
export type Refusal = "service-exists" | "no-service" | "destination-exists" | "no-destination";

/** Raised when an operation cannot apply, as ipvsadm would refuse it (e.g. adding a service twice). */
export class OperationError extends Error {
  constructor(
    readonly operation: Operation,
    readonly refusal: Refusal,
    message: string,
  ) {
    super(message);
    this.name = "OperationError";
  }
}

/** A service being changed, with its destinations by key (so that each operation is O(1)). */
interface Working {
  service: IpvsService;
  destinations: Map<string, IpvsService["destinations"][number]>;
}

const MESSAGES: Record<Refusal, string> = {
  "service-exists": "service already exists",
  "no-service": "no such service",
  "destination-exists": "destination already exists",
  "no-destination": "no such destination",
};

/**
 * A table changed one operation at a time, the way the kernel would: each operation is O(1), a
 * refused one throws an OperationError and changes nothing. Services and destinations keep their
 * order; new ones come last. Connection counts of destinations that stay are kept.
 */
export class TableEditor {
  private readonly services = new Map<string, Working>();

  constructor(table: IpvsTable = { services: [] }) {
    for (const s of table.services)
      this.services.set(serviceKey(s), {
        service: s,
        destinations: new Map(s.destinations.map((d) => [destinationKey(d), { ...d }])),
      });
  }

  /** Empties the table (ipvsadm -C). */
  clear(): void {
    this.services.clear();
  }

  apply(operation: Operation): void {
    const key = serviceKey(operation.service);
    const working = this.services.get(key);
    const refuse = (refusal: Refusal, subject = key) =>
      new OperationError(operation, refusal, `${operation.op} ${subject}: ${MESSAGES[refusal]}`);
    if (operation.op === "add-service") {
      if (working) throw refuse("service-exists");
      this.services.set(key, { service: { ...operation.service, destinations: [] }, destinations: new Map() });
      return;
    }
    if (!working) throw refuse("no-service");
    switch (operation.op) {
      case "edit-service":
        working.service = { ...operation.service, destinations: [] };
        return;
      case "delete-service":
        this.services.delete(key);
        return;
    }
    const dkey = destinationKey(operation.destination);
    const current = working.destinations.get(dkey);
    switch (operation.op) {
      case "add-destination":
        if (current) throw refuse("destination-exists", `${key} -> ${dkey}`);
        working.destinations.set(dkey, { ...operation.destination, ...NO_CONNECTIONS });
        return;
      case "edit-destination": {
        if (!current) throw refuse("no-destination", `${key} -> ${dkey}`);
        // the edit sets every setting (an encapsulation it does not name is the default, ipip); counts stay
        const { tunnel: _tunnel, ...kept } = current;
        working.destinations.set(dkey, { ...kept, ...operation.destination });
        return;
      }
      case "delete-destination":
        if (!current) throw refuse("no-destination", `${key} -> ${dkey}`);
        working.destinations.delete(dkey);
        return;
    }
  }

  table(): IpvsTable {
    return {
      services: [...this.services.values()].map(({ service, destinations }) => ({
        ...service,
        destinations: [...destinations.values()],
      })),
    };
  }
}

/**
 * Applies operations to a table, the way the kernel would, and returns the new table
 * (the input is not changed). Linear in the table and the plan.
 */
export function applyOperations(table: IpvsTable, operations: readonly Operation[]): IpvsTable {
  const editor = new TableEditor(table);
  for (const operation of operations) editor.apply(operation);
  return editor.table();
}
