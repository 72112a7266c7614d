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
  // each observed key → its (last) service's index; whether it was matched, by index, without a Set of keys
  const observedByKey = new Map<string, number>();
  observed.services.forEach((s, i) => {
    observedByKey.set(serviceKey(s), i);
  });
  const matchedIndex = new Uint8Array(observed.services.length);
  let matched = 0;
  const additions: Operation[] = [];
  const changes: Operation[] = [];

  for (const want of desired.services) {
    const index = observedByKey.get(serviceKey(want));
    const have = index === undefined ? undefined : observed.services[index];
    if (index === undefined || !have) {
      additions.push(...planServiceAddition(want));
      continue;
    }
    if (!matchedIndex[index]) {
      matchedIndex[index] = 1;
      matched++;
    }
    if (!unchanged(want, have)) changes.push(...planServiceChange(want, have));
  }
  // when every observed key is wanted (the common case) nothing is removed, and no set of keys is built
  const removals: Operation[] = [];
  if (matched < observedByKey.size) {
    const desiredKeys = new Set(desired.services.map(serviceKey));
    for (const s of observed.services)
      if (!desiredKeys.has(serviceKey(s)) && isManaged(serviceKey(s)))
        removals.push({ op: "delete-service", service: serviceConfigOf(s) });
  }
  return [...additions, ...changes, ...removals];
}

/**
 * The common case, cheaply and without allocating: the same settings and the same destinations in
 * the same order with the same settings. Anything else goes to planServiceChange, which finds out what.
 */
function unchanged(want: IpvsService, have: IpvsService): boolean {
  if (!sameServiceConfig(want, have)) return false;
  const wd = want.destinations;
  const hd = have.destinations;
  if (wd.length !== hd.length) return false;
  for (let i = 0; i < wd.length; i++) {
    const w = wd[i] as IpvsService["destinations"][number];
    const h = hd[i] as IpvsService["destinations"][number];
    if (w.address !== h.address || w.port !== h.port || !sameDestinationConfig(w, h)) return false;
  }
  return true;
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
