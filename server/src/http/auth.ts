import type { Actor } from "../commands/actor.ts";
import type { CommandContext } from "../commands/context.ts";
import { tokenActor } from "../commands/identity.ts";

export type AuthEnv = { Variables: { actor: Actor } };

export type Authentication = { ok: true; actor: Actor } | { ok: false; message: string; challenge: string };

/**
 * `Authorization: Bearer <token>`: the bootstrap token (LVSFLEET_API_TOKEN, an admin) or a token
 * from the token store with its role and clusters. The token itself is never logged or echoed.
 */
export async function authenticate(
  header: string | undefined,
  bootstrapToken: string,
  ctx: Pick<CommandContext, "tokens">,
): Promise<Authentication> {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  if (!match)
    return {
      ok: false,
      message: "missing bearer token: send Authorization: Bearer <token>",
      challenge: 'Bearer realm="lvsfleet"',
    };
  const actor = await tokenActor(ctx, match[1] ?? "", bootstrapToken);
  if (!actor)
    return { ok: false, message: "invalid or revoked bearer token", challenge: 'Bearer error="invalid_token"' };
  return { ok: true, actor };
}

/** The rate-limit bucket of an authenticated caller: its token's id (names need not be unique). */
export function callerKey(actor: Actor): string {
  const source = actor.source;
  return source && "token" in source ? `token:${source.token}` : `token-name:${actor.name}`;
}
