import type { AgentRole } from "@lvsfleet/model";

/**
 * What the PKI keeps, as three small interfaces the server backs with Redis (one hash per token keyed by
 * its hash, a sorted set per host for issued certificates, a set for revocations). Times are epoch ms so
 * records serialise as JSON unchanged. MemoryPkiStore implements all three for tests and single-process use.
 */
export interface JoinTokenRecord {
  /** First 12 hex digits of the hash: safe to show, list and delete by. */
  id: string;
  /** SHA-256 (hex) of the token. The token itself is never stored. */
  tokenHash: string;
  host: string;
  role?: AgentRole | undefined;
  createdAt: number;
  expiresAt: number;
  /** Who asked for it (token name, chat user); for the audit trail. */
  createdBy?: string | undefined;
  /** Set, once, by the first redemption. */
  usedAt?: number | undefined;
}

export interface JoinTokenStore {
  saveToken(record: JoinTokenRecord): Promise<void>;
  /**
   * Atomically marks the token used at `at` if it is not used yet, and returns the record as it was
   * *before* (so `usedAt` set means someone redeemed it first). Undefined when there is no such token.
   * Redis: `HSETNX pki:token:<hash> usedAt <at>` then `HGETALL`, or one Lua script.
   */
  redeemToken(tokenHash: string, at: number): Promise<JoinTokenRecord | undefined>;
  listTokens(): Promise<JoinTokenRecord[]>;
  /** Withdraws an outstanding token by id; false when there was none. */
  deleteToken(id: string): Promise<boolean>;
}

export interface IssuedCertificateRecord {
  serial: string;
  host: string;
  role?: AgentRole | undefined;
  notBefore: number;
  notAfter: number;
  publicKeyPin: string;
  issuedAt: number;
  via: "enroll" | "renew";
}

export interface CertificateLedger {
  recordIssued(record: IssuedCertificateRecord): Promise<void>;
  /** Every certificate issued to `host` that has not expired yet (expired ones may be pruned). */
  issuedFor(host: string): Promise<IssuedCertificateRecord[]>;
}

export interface RevokedHost {
  host: string;
  revokedAt: number;
  reason?: string | undefined;
  revokedBy?: string | undefined;
}

/** A certificate that stays refused even if its host is reinstated; may be pruned after notAfter. */
export interface RevokedSerial {
  serial: string;
  host: string;
  notAfter: number;
}

export interface RevocationSnapshot {
  hosts: RevokedHost[];
  serials: RevokedSerial[];
}

export interface RevocationStore {
  revokeHost(entry: RevokedHost, serials: RevokedSerial[]): Promise<void>;
  /** Lifts the host block (its old serials stay revoked). False when the host was not revoked. */
  reinstateHost(host: string): Promise<boolean>;
  revocations(): Promise<RevocationSnapshot>;
}

export type PkiStore = JoinTokenStore & CertificateLedger & RevocationStore;
