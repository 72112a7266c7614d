import { formatEndpoint, parseEndpoint } from "@lvsfleet/model";
import type { Context } from "../context.ts";
import { CliError, EXIT } from "../exit-codes.ts";

export interface SpecView {
  name: string;
  generation: number;
  spec: {
    name: string;
    services: {
      name: string;
      protocol: string;
      address?: string;
      port?: number;
      fwmark?: number;
      scheduler: string;
      forwarding: string;
      persistence?: { timeout: number };
      realServers: { address: string; port: number; weight: number; host?: string; forwarding?: string }[];
    }[];
    directors: { host: string; address: string; role: string; priority: number }[];
  };
}

export interface RealServerRef {
  cluster: string;
  service: string;
  address: string;
  port: number;
  weight: number;
}

/** `192.168.1.220`, `192.168.1.220:80` or `[2001:db8::1]:80`. */
export function parseRealServer(text: string): { address: string; port: number | undefined } {
  const endpoint = parseEndpoint(text);
  if (!endpoint)
    throw new CliError(
      `${JSON.stringify(text)} is not ADDRESS[:PORT] (e.g. 192.168.1.220:80 or [2001:db8::1]:80)`,
      EXIT.usage,
    );
  return endpoint;
}

const describe = (r: RealServerRef) => `${formatEndpoint(r.address, r.port)} in ${r.cluster}/${r.service}`;

/**
 * Finds exactly one real server for ADDRESS[:PORT], in --cluster/--service when given, else in
 * every cluster the token sees; none or several is an error that lists what there is.
 */
export async function resolveRealServer(
  ctx: Context,
  text: string,
  scope: { cluster?: string | undefined; service?: string | undefined },
): Promise<RealServerRef> {
  const { address, port } = parseRealServer(text);
  const cluster = scope.cluster ?? ctx.settings.cluster;
  const names = cluster
    ? [cluster]
    : (await ctx.api.get<{ clusters: { name: string }[] }>("/v1/clusters")).clusters.map((c) => c.name);
  const all: RealServerRef[] = [];
  for (const name of names) {
    const view = await ctx.api.get<SpecView>(`/v1/clusters/${encodeURIComponent(name)}`);
    for (const service of view.spec.services)
      if (!scope.service || service.name === scope.service)
        for (const rs of service.realServers)
          all.push({ cluster: name, service: service.name, address: rs.address, port: rs.port, weight: rs.weight });
  }
  const matches = all.filter((r) => r.address === address && (port === undefined || r.port === port));
  if (matches.length === 1) return matches[0] as RealServerRef;
  const where = [cluster, scope.service].filter(Boolean).join("/");
  if (matches.length === 0)
    throw new CliError(`no real server ${text}${where ? ` in ${where}` : ""}`, EXIT.notFound, [
      all.length ? `real servers: ${all.map(describe).join(", ")}` : "there are no real servers",
    ]);
  throw new CliError(
    `${text} matches ${matches.length} real servers; say which with --cluster, --service or :PORT`,
    EXIT.usage,
    [...matches.map((m) => `  ${describe(m)}`)],
  );
}

export const realServerPath = (r: { cluster: string; service: string; address: string; port: number }) =>
  `/v1/clusters/${encodeURIComponent(r.cluster)}/services/${encodeURIComponent(r.service)}/real-servers/${encodeURIComponent(formatEndpoint(r.address, r.port))}`;
