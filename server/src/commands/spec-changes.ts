import { type ClusterSpec, desiredTable } from "@lvsfleet/model";
import { describeOperation, plan } from "@lvsfleet/planner";

/**
 * What replacing one spec with another changes, in words, without asking any agent: the IPVS
 * operations between the two desired tables (what every running director would do), the
 * directors added or removed, and the paths of any other setting that differs (VRRP, health
 * checks, real-server hosts). Pure.
 */
export function specChanges(before: ClusterSpec | undefined, after: ClusterSpec): string[] {
  const table = plan(desiredTable(after), before ? desiredTable(before) : { services: [] }).map(describeOperation);
  const hostsBefore = new Set(before?.directors.map((d) => d.host) ?? []);
  const hostsAfter = new Set(after.directors.map((d) => d.host));
  const directors = [
    ...[...hostsAfter].filter((h) => !hostsBefore.has(h)).map((h) => `add director ${h}`),
    ...[...hostsBefore].filter((h) => !hostsAfter.has(h)).map((h) => `remove director ${h}`),
  ];
  // A director, service or real server added or removed is already said above.
  const entity = (p: string[]) =>
    (p.length === 2 && (p[0] === "directors" || p[0] === "services")) ||
    (p.length === 4 && p[0] === "services" && p[2] === "realServers");
  const settings = before
    ? changedPaths(withoutTableFields(before), withoutTableFields(after))
        .filter((p) => !entity(p))
        .map((p) => `change ${p.join(".") || "(spec)"}`)
    : [];
  return [...table, ...directors, ...settings];
}

/** The spec minus what the table operations already describe. */
function withoutTableFields(spec: ClusterSpec): unknown {
  return {
    ...spec,
    directors: Object.fromEntries(spec.directors.map((d) => [d.host, d])),
    services: Object.fromEntries(
      spec.services.map((s) => [
        s.name,
        {
          ...s,
          scheduler: undefined,
          schedulerFlags: undefined,
          persistence: undefined,
          protocol: undefined,
          address: undefined,
          port: undefined,
          fwmark: undefined,
          forwarding: undefined,
          realServers: Object.fromEntries(
            s.realServers.map((r) => [
              `${r.address}:${r.port}`,
              { ...r, weight: undefined, upperThreshold: undefined, lowerThreshold: undefined, forwarding: undefined },
            ]),
          ),
        },
      ]),
    ),
  };
}

/** Paths (as segments) where two JSON values differ (both present, or only one). */
export function changedPaths(a: unknown, b: unknown, path: string[] = []): string[][] {
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => changedPaths(a[k], b[k], [...path, k]));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
