import { Name, validate } from "@lvsfleet/model";
import { z } from "zod";
import { type Actor, ROLES } from "../access/roles.ts";
import type { TokenRecord } from "../access/tokens.ts";
import { audited, permit } from "./audited.ts";
import type { CommandContext } from "./context.ts";
import { NotFoundError } from "./errors.ts";

export const TokenInput = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$/, { error: "must be 1-63 letters, digits, '.', '_', '@' or '-'" }),
  role: z.enum(ROLES),
  clusters: z.array(Name).min(1, { error: "must list at least one cluster (or be omitted for all)" }).optional(),
});

/**
 * Creates an API token; the token itself is in the answer only, never stored or logged. Tokens are
 * a fleet-wide matter: only an admin without a cluster list creates them — so no token can make one
 * with a higher role or more clusters than its own (it has every role and every cluster already).
 */
export async function createToken(
  ctx: CommandContext,
  actor: Actor,
  body: unknown,
): Promise<TokenRecord & { token: string }> {
  const input = validate(TokenInput, body);
  const what = {
    command: "create token",
    need: "admin" as const,
    action: "creating tokens",
    target: `token ${input.name}`,
    global: true,
  };
  return audited(ctx, actor, what, async () => {
    const { token, record } = await ctx.tokens.create({ ...input, createdBy: actor.name });
    return {
      result: { ...record, token },
      after: { id: record.id, name: record.name, role: record.role, clusters: record.clusters },
    };
  });
}

export async function listTokens(ctx: CommandContext, actor: Actor): Promise<TokenRecord[]> {
  await permit(ctx, actor, { command: "list tokens", need: "admin", action: "listing tokens", global: true });
  return ctx.tokens.list();
}

export async function revokeToken(ctx: CommandContext, actor: Actor, id: string): Promise<TokenRecord> {
  const what = {
    command: "revoke token",
    need: "admin" as const,
    action: "revoking tokens",
    target: `token ${id}`,
    global: true,
  };
  await permit(ctx, actor, what);
  const existing = (await ctx.tokens.list()).find((t) => t.id === id);
  if (!existing) throw new NotFoundError(`no token with id ${id}`);
  return audited(ctx, actor, { ...what, target: `token ${existing.name}` }, async () => {
    const record = await ctx.tokens.revoke(id);
    if (!record) throw new NotFoundError(`no token with id ${id}`);
    return { result: record, before: { revoked: Boolean(existing.revokedAt) }, after: { revoked: true } };
  });
}
