import type { ClusterSpec } from "@lvsfleet/model";

/**
 * Changes that can take a service down, for which chat asks the user to confirm: a weight change
 * that leaves a service with no weight at all, stopping a director, stopping a whole cluster.
 * Pure: the answer depends only on the spec and the change.
 */
export function weightDanger(
  spec: ClusterSpec,
  ref: { service: string; address: string; port: number },
  weight: number,
): string | undefined {
  const service = spec.services.find((s) => s.name === ref.service);
  if (!service || weight > 0) return undefined;
  const others = service.realServers.filter((r) => !(r.address === ref.address && r.port === ref.port));
  if (others.some((r) => r.weight > 0)) return undefined;
  return `this leaves service ${spec.name}/${service.name} with no weight: it will take no new connections`;
}

export function stopDanger(spec: ClusterSpec, host: string | undefined): string | undefined {
  if (host === undefined) return `this stops every host of cluster ${spec.name}: its VIPs and virtual services go away`;
  const director = spec.directors.find((d) => d.host === host);
  if (director) return `this stops director ${host} (${director.role}): it gives up the VIPs and its IPVS table`;
  return undefined;
}
