import { describeIdentity, type Identity } from "./identity.ts";
import type { RevocationSnapshot } from "./store.ts";

/**
 * A snapshot of revocations that answers synchronously, as TLS callbacks need (checkServerIdentity
 * cannot wait for Redis). The server loads it at start and replaces it whenever a host is revoked or
 * reinstated (`RevocationList.from(await store.revocations())`).
 */
export class RevocationList {
  private readonly hosts: Map<string, string>;
  private readonly serials: Set<string>;

  constructor(snapshot: RevocationSnapshot) {
    this.hosts = new Map(
      snapshot.hosts.map((h) => [
        h.host,
        `${h.host} was revoked at ${new Date(h.revokedAt).toISOString()}${h.reason ? ` (${h.reason})` : ""}`,
      ]),
    );
    this.serials = new Set(snapshot.serials.map((s) => normalizeSerial(s.serial)));
  }

  static empty(): RevocationList {
    return new RevocationList({ hosts: [], serials: [] });
  }

  /** Why `identity` (with certificate `serial`) is refused, or undefined when it is not revoked. */
  reasonRevoked(identity: Identity | undefined, serial?: string): string | undefined {
    const host = identity?.kind === "agent" ? this.hosts.get(identity.host) : undefined;
    if (host) return host;
    if (serial !== undefined && this.serials.has(normalizeSerial(serial)))
      return `certificate ${normalizeSerial(serial)} of ${describeIdentity(identity)} is revoked`;
    return undefined;
  }

  isHostRevoked(host: string): boolean {
    return this.hosts.has(host.toLowerCase());
  }

  /** Every revoked host (lower case). */
  revokedHosts(): string[] {
    return [...this.hosts.keys()];
  }
}

/** Serials compare as lower-case hex without leading zeros (X.509 libraries differ on both). */
export function normalizeSerial(serial: string): string {
  return serial.toLowerCase().replace(/^0+(?=.)/, "");
}
