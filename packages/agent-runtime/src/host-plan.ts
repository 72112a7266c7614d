import type { HostAddress, HostRoute } from "@lvsfleet/model";

/** One change to a host; what a line of lvsdr.sh or realdr.sh did. */
export type HostStep =
  | { kind: "add-address"; address: HostAddress }
  | { kind: "remove-address"; address: HostAddress }
  | { kind: "add-route"; route: HostRoute }
  | { kind: "remove-route"; route: HostRoute }
  /** `ip route replace`: the route takes the place of `prior` (the host's route to that destination, if any). */
  | { kind: "replace-route"; route: HostRoute; prior?: HostRoute | undefined }
  | { kind: "set-sysctl"; key: string; value: string };

/** What a role wants on its host. */
export interface HostIntent {
  addresses: HostAddress[];
  routes: HostRoute[];
  sysctls: Record<string, string>;
  /**
   * Routes that take the place of whatever route the host has to the same destination (and
   * table), e.g. a NAT real server's default route via the director. The prior route is kept
   * in the ledger and put back on give-up.
   */
  replaceRoutes?: HostRoute[] | undefined;
}

/** What the host has now (only the sysctls the intent names need to be present). */
export interface HostSnapshot {
  addresses: HostAddress[];
  routes: HostRoute[];
  sysctls: Record<string, string | undefined>;
}

/**
 * What lvsfleet changed on a host and must undo: the addresses and routes it added
 * (never ones that were there before) and each sysctl's value before lvsfleet first set it.
 */
export interface HostLedger {
  addresses: HostAddress[];
  routes: HostRoute[];
  sysctlsBefore: Record<string, string>;
  /** Routes lvsfleet put in place of others, with the route that was there first (none: there was none). */
  replacedRoutes?: ReplacedRoute[] | undefined;
}

export interface ReplacedRoute {
  route: HostRoute;
  prior?: HostRoute | undefined;
}

export const EMPTY_LEDGER: HostLedger = { addresses: [], routes: [], sysctlsBefore: {} };

const sameAddress = (a: HostAddress, b: HostAddress) =>
  a.address === b.address && a.prefixLength === b.prefixLength && a.interface === b.interface;
const sameRoute = (a: HostRoute, b: HostRoute) =>
  a.destination === b.destination &&
  (a.table ?? "main") === (b.table ?? "main") &&
  (a.via ?? "") === (b.via ?? "") &&
  (a.interface ?? "") === (b.interface ?? "");

const sameDestination = (a: HostRoute, b: HostRoute) =>
  a.destination === b.destination && (a.table ?? "main") === (b.table ?? "main");
/** The host's route satisfies the wanted one: same destination and table, and gateway/device where wanted. */
const routeSatisfies = (host: HostRoute, wanted: HostRoute) =>
  sameDestination(host, wanted) &&
  (wanted.via === undefined || wanted.via === host.via) &&
  (wanted.interface === undefined || wanted.interface === host.interface);

/** The steps that bring the host to the intent; steps for what is already there are left out. */
export function planTakeUp(intent: HostIntent, host: HostSnapshot): HostStep[] {
  return [
    ...intent.addresses
      .filter((a) => !host.addresses.some((h) => sameAddress(a, h)))
      .map((address): HostStep => ({ kind: "add-address", address })),
    ...intent.routes
      .filter((r) => !host.routes.some((h) => sameRoute(r, h)))
      .map((route): HostStep => ({ kind: "add-route", route })),
    ...(intent.replaceRoutes ?? [])
      .filter((r) => !host.routes.some((h) => routeSatisfies(h, r)))
      .map(
        (route): HostStep => ({
          kind: "replace-route",
          route,
          prior: host.routes.find((h) => sameDestination(h, route)),
        }),
      ),
    ...Object.entries(intent.sysctls)
      .filter(([key, value]) => host.sysctls[key] !== value)
      .map(([key, value]): HostStep => ({ kind: "set-sysctl", key, value })),
  ];
}

/** The steps that undo exactly what the ledger says lvsfleet did, in reverse order of taking up. */
export function planGiveUp(ledger: HostLedger, host: HostSnapshot): HostStep[] {
  return [
    ...Object.entries(ledger.sysctlsBefore)
      .filter(([key, value]) => host.sysctls[key] !== undefined && host.sysctls[key] !== value)
      .map(([key, value]): HostStep => ({ kind: "set-sysctl", key, value })),
    ...ledger.routes
      .filter((r) => host.routes.some((h) => sameRoute(r, h)))
      .map((route): HostStep => ({ kind: "remove-route", route })),
    // A replaced route is put back only while the host still has lvsfleet's; a route someone set since is left alone.
    ...(ledger.replacedRoutes ?? []).flatMap(({ route, prior }): HostStep[] => {
      const current = host.routes.find((h) => routeSatisfies(h, route));
      if (!current) return [];
      return prior
        ? [{ kind: "replace-route", route: prior, prior: current }]
        : [{ kind: "remove-route", route: current }];
    }),
    ...ledger.addresses
      .filter((a) => host.addresses.some((h) => sameAddress(a, h)))
      .map((address): HostStep => ({ kind: "remove-address", address })),
  ];
}

/** The ledger after steps ran: adds are remembered, removals forgotten, first prior sysctl values kept. */
export function recordSteps(ledger: HostLedger, steps: readonly HostStep[], host: HostSnapshot): HostLedger {
  const next: HostLedger = {
    addresses: [...ledger.addresses],
    routes: [...ledger.routes],
    sysctlsBefore: { ...ledger.sysctlsBefore },
    ...(ledger.replacedRoutes?.length ? { replacedRoutes: [...ledger.replacedRoutes] } : {}),
  };
  for (const step of steps) {
    switch (step.kind) {
      case "add-address":
        next.addresses.push(step.address);
        break;
      case "remove-address":
        next.addresses = next.addresses.filter((a) => !sameAddress(a, step.address));
        break;
      case "add-route":
        next.routes.push(step.route);
        break;
      case "remove-route":
        next.routes = next.routes.filter((r) => !sameRoute(r, step.route));
        break;
      case "replace-route": {
        // The first prior route is the one to restore, however often lvsfleet replaced it since.
        const replaced = next.replacedRoutes ?? [];
        const earlier = replaced.find((r) => sameDestination(r.route, step.route));
        next.replacedRoutes = [
          ...replaced.filter((r) => r !== earlier),
          { route: step.route, prior: earlier ? earlier.prior : step.prior },
        ];
        break;
      }
      case "set-sysctl": {
        const before = host.sysctls[step.key];
        if (!(step.key in next.sysctlsBefore) && before !== undefined) next.sysctlsBefore[step.key] = before;
        break;
      }
    }
  }
  return next;
}

export function describeStep(step: HostStep): string {
  switch (step.kind) {
    case "add-address":
    case "remove-address": {
      const a = step.address;
      const verb = step.kind === "add-address" ? "add" : "del";
      return `ip addr ${verb} ${a.address}/${a.prefixLength} dev ${a.interface}${a.label ? ` label ${a.label}` : ""}`;
    }
    case "add-route":
    case "remove-route":
    case "replace-route": {
      const r = step.route;
      const verb = step.kind === "add-route" ? "add" : step.kind === "remove-route" ? "del" : "replace";
      return `ip route ${verb} ${r.destination}${r.via ? ` via ${r.via}` : ""}${r.interface ? ` dev ${r.interface}` : ""}${r.table ? ` table ${r.table}` : ""}`;
    }
    case "set-sysctl":
      return `sysctl -w ${step.key}=${step.value}`;
  }
}
