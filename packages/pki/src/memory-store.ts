import type {
  IssuedCertificateRecord,
  JoinTokenRecord,
  PkiStore,
  RevocationSnapshot,
  RevokedHost,
  RevokedSerial,
} from "./store.ts";

/**
 * PkiStore in process memory, for tests and a single-process demo. Expired records are pruned lazily
 * (`now` is injectable so tests can move time).
 */
export class MemoryPkiStore implements PkiStore {
  private readonly tokens = new Map<string, JoinTokenRecord>();
  private readonly issued = new Map<string, IssuedCertificateRecord[]>();
  private readonly revokedHosts = new Map<string, RevokedHost>();
  private readonly revokedSerials = new Map<string, RevokedSerial>();
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  async saveToken(record: JoinTokenRecord): Promise<void> {
    this.tokens.set(record.tokenHash, { ...record });
  }

  async redeemToken(tokenHash: string, at: number): Promise<JoinTokenRecord | undefined> {
    const record = this.tokens.get(tokenHash);
    if (!record) return undefined;
    const before = { ...record };
    if (record.usedAt === undefined) record.usedAt = at;
    return before;
  }

  async listTokens(): Promise<JoinTokenRecord[]> {
    const now = this.now();
    for (const [hash, record] of this.tokens) if (record.expiresAt < now) this.tokens.delete(hash);
    return [...this.tokens.values()].map((r) => ({ ...r }));
  }

  async deleteToken(id: string): Promise<boolean> {
    for (const [hash, record] of this.tokens)
      if (record.id === id) {
        this.tokens.delete(hash);
        return true;
      }
    return false;
  }

  async recordIssued(record: IssuedCertificateRecord): Promise<void> {
    const list = this.issued.get(record.host) ?? [];
    list.push({ ...record });
    this.issued.set(record.host, list);
  }

  async issuedFor(host: string): Promise<IssuedCertificateRecord[]> {
    const now = this.now();
    const live = (this.issued.get(host) ?? []).filter((r) => r.notAfter >= now);
    this.issued.set(host, live);
    return live.map((r) => ({ ...r }));
  }

  async revokeHost(entry: RevokedHost, serials: RevokedSerial[]): Promise<void> {
    this.revokedHosts.set(entry.host, { ...entry });
    for (const serial of serials) this.revokedSerials.set(serial.serial, { ...serial });
  }

  async reinstateHost(host: string): Promise<boolean> {
    return this.revokedHosts.delete(host);
  }

  async revocations(): Promise<RevocationSnapshot> {
    const now = this.now();
    for (const [serial, entry] of this.revokedSerials) if (entry.notAfter < now) this.revokedSerials.delete(serial);
    return {
      hosts: [...this.revokedHosts.values()].map((h) => ({ ...h })),
      serials: [...this.revokedSerials.values()].map((s) => ({ ...s })),
    };
  }
}
