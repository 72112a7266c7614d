import type { Diagnostics, SourceLocation } from "@lvsfleet/keepalived";
import {
  type ClusterSpec,
  type ClusterSpecInput,
  ClusterSpec as ClusterSpecSchema,
  fieldPath,
  nameServices,
  type VirtualServiceInput,
} from "@lvsfleet/model";

export type DirectorInput = NonNullable<ClusterSpecInput["directors"]>[number];

export interface SpecParts {
  name: string;
  services: { service: VirtualServiceInput; at: SourceLocation }[];
  /** VIPs known besides the services' addresses (from the script's ifconfig lines or the caller). */
  vips: { address: string; at: SourceLocation }[];
  directors: DirectorInput[];
  /** Where to point messages about the spec as a whole. */
  top: SourceLocation;
}

/**
 * Names the services, collects the VIPs (the known ones, then each service address not among them)
 * and validates the spec; a validation failure becomes an error at the part of the file it came from.
 */
export function assembleSpec(parts: SpecParts, diagnostics: Diagnostics): ClusterSpec | undefined {
  const vips: string[] = [];
  const origins = new Map<string, SourceLocation>();
  const addVip = (address: string, at: SourceLocation) => {
    if (vips.includes(address)) return;
    origins.set(`vips[${vips.length}]`, at);
    vips.push(address);
  };
  for (const vip of parts.vips) addVip(vip.address, vip.at);
  for (const { service, at } of parts.services) if (service.address !== undefined) addVip(service.address, at);
  parts.services.forEach(({ at }, i) => {
    origins.set(`services[${i}]`, at);
  });
  if (vips.length === 0) {
    diagnostics.error(
      "value",
      parts.top,
      "no VIPs: no virtual service has an address and no VIP is configured",
      "give the VIPs the firewall marks select",
    );
    return undefined;
  }
  if (diagnostics.errors.length > 0) return undefined;
  const input: ClusterSpecInput = {
    name: parts.name,
    vips,
    directors: parts.directors,
    services: nameServices(parts.services.map(({ service }) => ({ service }))),
  };
  const result = ClusterSpecSchema.safeParse(input);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const field = fieldPath(issue.path);
    const key = [...origins.keys()]
      .filter((k) => field === k || field.startsWith(`${k}.`) || field.startsWith(`${k}[`))
      .sort((a, b) => b.length - a.length)[0];
    diagnostics.error("value", (key && origins.get(key)) || parts.top, `${field || "spec"}: ${issue.message}`);
  }
  return undefined;
}
