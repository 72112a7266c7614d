import { createHash, randomBytes } from "node:crypto";

/** Join tokens look like `lvsj_<43 base64url chars>`: 256 random bits, a prefix secret scanners can match. */
export const JOIN_TOKEN_PREFIX = "lvsj_";
const TOKEN = /^lvsj_[A-Za-z0-9_-]{43}$/;

export const DEFAULT_JOIN_TOKEN_TTL_MS = 60 * 60_000;
export const MAX_JOIN_TOKEN_TTL_MS = 7 * 24 * 60 * 60_000;

export function generateJoinToken(): string {
  return JOIN_TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

export function isJoinTokenShape(token: string): boolean {
  return TOKEN.test(token);
}

/**
 * SHA-256 of the token. A plain fast hash is enough here: the token has 256 random bits, so there is
 * nothing to brute-force, and a lookup by hash leaks no timing about the secret.
 */
export function hashJoinToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function joinTokenId(tokenHash: string): string {
  return tokenHash.slice(0, 12);
}
