import { createHash, timingSafeEqual } from "node:crypto";
import { bootstrapSource } from "../access/authority.ts";
import type { Actor } from "../access/roles.ts";
import type { TokenStore } from "../access/tokens.ts";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** True when the two secrets are equal, in time that does not depend on where they differ. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

export type AuthEnv = { Variables: { actor: Actor } };

export type Authentication = { ok: true; actor: Actor } | { ok: false; message: string; challenge: string };

/**
 * `Authorization: Bearer <token>`: the bootstrap token (LVSFLEET_API_TOKEN, an admin) or a token
 * from the token store with its role and clusters. The token itself is never logged or echoed.
 */
export async function authenticate(
  header: string | undefined,
  bootstrapToken: string,
  tokens: TokenStore,
): Promise<Authentication> {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  if (!match)
    return {
      ok: false,
      message: "missing bearer token: send Authorization: Bearer <token>",
      challenge: 'Bearer realm="lvsfleet"',
    };
  const token = match[1] ?? "";
  if (sameSecret(token, bootstrapToken))
    return {
      ok: true,
      actor: {
        type: "token",
        name: "bootstrap-admin",
        role: "admin",
        channel: "rest",
        source: { token: bootstrapSource(bootstrapToken) },
      },
    };
  const record = await tokens.verify(token);
  if (!record)
    return { ok: false, message: "invalid or revoked bearer token", challenge: 'Bearer error="invalid_token"' };
  return {
    ok: true,
    actor: {
      type: "token",
      name: record.name,
      role: record.role,
      clusters: record.clusters,
      channel: "rest",
      source: { token: record.id },
    },
  };
}

/** The rate-limit bucket of an authenticated caller: its token's id (names need not be unique). */
export function callerKey(actor: Actor): string {
  const source = actor.source;
  return source && "token" in source ? `token:${source.token}` : `token-name:${actor.name}`;
}
