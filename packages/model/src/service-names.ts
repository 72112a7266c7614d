import { addressFamily } from "./address.ts";
import type { VirtualServiceInput } from "./spec.ts";

/** Names of well-known ports, for services an imported configuration (keepalived.conf, ipvsadm -S) leaves unnamed. */
const PORT_NAMES: Record<number, string> = {
  21: "ftp",
  22: "ssh",
  25: "smtp",
  53: "dns",
  80: "http",
  110: "pop3",
  123: "ntp",
  143: "imap",
  389: "ldap",
  443: "https",
  465: "smtps",
  587: "submission",
  993: "imaps",
  995: "pop3s",
  1812: "radius",
  3306: "mysql",
  5432: "postgres",
  6379: "redis",
  8080: "http-alt",
  8443: "https-alt",
};

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Gives each imported service a unique lvsfleet name: the preferred one (e.g. keepalived snmp_name,
 * which the keepalived export writes) when it is a valid name, else the port's well-known name (80 → http), else protocol-port,
 * made unique with the address and, if need be, a counter.
 */
export function nameServices(
  entries: { service: VirtualServiceInput; preferred?: string | undefined }[],
): VirtualServiceInput[] {
  const preferred = entries.map((e) => (e.preferred !== undefined && NAME.test(e.preferred) ? e.preferred : undefined));
  const taken = new Set<string>();
  const names: (string | undefined)[] = preferred.map((name, i) =>
    name !== undefined && preferred.indexOf(name) === i && preferred.lastIndexOf(name) === i ? name : undefined,
  );
  for (const name of names) if (name) taken.add(name);
  const bases = entries.map((e) => baseName(e.service));
  const unnamed = bases.filter((_, i) => names[i] === undefined);
  const unnamedWithBase = (base: string) => unnamed.filter((b) => b === base).length;
  entries.forEach((entry, i) => {
    if (names[i] !== undefined) return;
    const base = bases[i] as string;
    let name = unnamedWithBase(base) === 1 && !taken.has(base) ? base : qualified(entry.service, base);
    const stem = name;
    for (let n = 2; taken.has(name); n++) name = trim(`${stem.slice(0, 58)}-${n}`);
    taken.add(name);
    names[i] = name;
  });
  return entries.map((entry, i) => ({ ...entry.service, name: names[i] as string }));
}

function baseName(service: VirtualServiceInput): string {
  if (service.protocol === "fwmark") return `fwmark-${service.fwmark}`;
  const protocol = service.protocol ?? "tcp";
  const known = service.port !== undefined ? PORT_NAMES[service.port] : undefined;
  if (
    known &&
    (protocol === "tcp" ||
      (protocol === "udp" && (service.port === 53 || service.port === 123 || service.port === 1812)))
  )
    return known;
  return `${protocol}-${service.port ?? 0}`;
}

function qualified(service: VirtualServiceInput, base: string): string {
  if (service.address === undefined) return base;
  const address =
    addressFamily(service.address) === "inet"
      ? service.address.replace(/\./g, "-")
      : service.address.replace(/:+/g, "-").replace(/^-|-$/g, "");
  return trim(`${base}-${address}`);
}

function trim(name: string): string {
  return name.slice(0, 63).replace(/-+$/, "");
}
