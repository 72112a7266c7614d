import {
  destinationConfigOf,
  destinationKey,
  type IpvsService,
  type IpvsTable,
  type Operation,
  sameDestinationConfig,
  sameServiceConfig,
  serviceConfigOf,
  serviceKey,
} from "@lvsfleet/model";

export interface PlanOptions {
  /**
   * Whether lvsfleet owns an observed service. Services it does not own are never deleted
   * (they were put there by someone else); by default every observed service is owned.
   */
  isManaged?: (serviceKey: string) => boolean;
}

/**
 * The smallest ordered list of operations that turns the observed table into the desired one.
 *
 * Order: new services (each followed by its destinations), then changes inside kept services
 * (service settings, new destinations before changed ones before removed ones, so a service
 * never passes through an empty state it does not end in), then removed services.
 */
export function plan(desired: IpvsTable, observed: IpvsTable, options: PlanOptions = {}): Operation[] {
  const isManaged = options.isManaged ?? (() => true);
  const observedByKey = new Map(observed.services.map((s) => [serviceKey(s), s]));
  const desiredKeys = new Set(desired.services.map(serviceKey));
  const additions: Operation[] = [];
  const changes: Operation[] = [];

  for (const want of desired.services) {
    const have = observedByKey.get(serviceKey(want));
    if (have) changes.push(...planServiceChange(want, have));
    else additions.push(...planServiceAddition(want));
  }
  const removals: Operation[] = observed.services
    .filter((s) => !desiredKeys.has(serviceKey(s)) && isManaged(serviceKey(s)))
    .map((s) => ({ op: "delete-service", service: serviceConfigOf(s) }));

  return [...additions, ...changes, ...removals];
}

function planServiceAddition(want: IpvsService): Operation[] {
  const service = serviceConfigOf(want);
  return [
    { op: "add-service", service },
    ...want.destinations.map(
      (d): Operation => ({ op: "add-destination", service, destination: destinationConfigOf(d) }),
    ),
  ];
}

function planServiceChange(want: IpvsService, have: IpvsService): Operation[] {
  const service = serviceConfigOf(want);
  const ops: Operation[] = [];
  if (!sameServiceConfig(want, have)) ops.push({ op: "edit-service", service });

  const haveByKey = new Map(have.destinations.map((d) => [destinationKey(d), d]));
  const wantKeys = new Set(want.destinations.map(destinationKey));
  const added: Operation[] = [];
  const edited: Operation[] = [];
  for (const d of want.destinations) {
    const current = haveByKey.get(destinationKey(d));
    if (!current) added.push({ op: "add-destination", service, destination: destinationConfigOf(d) });
    else if (!sameDestinationConfig(d, current))
      edited.push({ op: "edit-destination", service, destination: destinationConfigOf(d) });
  }
  const deleted: Operation[] = have.destinations
    .filter((d) => !wantKeys.has(destinationKey(d)))
    .map((d) => ({ op: "delete-destination", service, destination: destinationConfigOf(d) }));
  return [...ops, ...added, ...edited, ...deleted];
}
