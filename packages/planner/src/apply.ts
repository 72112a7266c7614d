import {
  destinationKey,
  type IpvsService,
  type IpvsTable,
  NO_CONNECTIONS,
  type Operation,
  serviceKey,
} from "@lvsfleet/model";

/** Raised when an operation cannot apply, as ipvsadm would refuse it (e.g. adding a service twice). */
export class OperationError extends Error {
  constructor(
    readonly operation: Operation,
    message: string,
  ) {
    super(message);
    this.name = "OperationError";
  }
}

/**
 * Applies operations to a table, the way the kernel would, and returns the new table
 * (the input is not changed). Connection counts of destinations that stay are kept.
 */
export function applyOperations(table: IpvsTable, operations: readonly Operation[]): IpvsTable {
  const services = table.services.map((s) => ({ ...s, destinations: s.destinations.map((d) => ({ ...d })) }));
  for (const operation of operations) applyOne(services, operation);
  return { services };
}

function applyOne(services: IpvsService[], operation: Operation): void {
  const key = serviceKey(operation.service);
  const index = services.findIndex((s) => serviceKey(s) === key);
  const refused = (message: string) => new OperationError(operation, `${operation.op} ${key}: ${message}`);
  if (operation.op === "add-service") {
    if (index >= 0) throw refused("service already exists");
    services.push({ ...operation.service, destinations: [] });
    return;
  }
  const service = services[index];
  if (!service) throw refused("no such service");
  switch (operation.op) {
    case "edit-service":
      services[index] = { ...operation.service, destinations: service.destinations };
      return;
    case "delete-service":
      services.splice(index, 1);
      return;
  }
  const dkey = destinationKey(operation.destination);
  const dindex = service.destinations.findIndex((d) => destinationKey(d) === dkey);
  switch (operation.op) {
    case "add-destination":
      if (dindex >= 0) throw refused(`destination ${dkey} already exists`);
      service.destinations.push({ ...operation.destination, ...NO_CONNECTIONS });
      return;
    case "edit-destination": {
      const current = service.destinations[dindex];
      if (!current) throw refused(`no such destination ${dkey}`);
      // the edit sets every setting (an encapsulation it does not name is the default, ipip); counts stay
      const { tunnel: _tunnel, ...kept } = current;
      service.destinations[dindex] = { ...kept, ...operation.destination };
      return;
    }
    case "delete-destination":
      if (dindex < 0) throw refused(`no such destination ${dkey}`);
      service.destinations.splice(dindex, 1);
      return;
  }
}
