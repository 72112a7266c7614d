import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** True when the two secrets are equal, in time that does not depend on where they differ. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** `Authorization: Bearer <token>`; 401 with a reason otherwise. Sets `actor` for the commands. */
export function bearerAuth(
  token: string,
): MiddlewareHandler<{ Variables: { actor: { type: "token"; name: string } } }> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match)
      return c.json(
        { error: { message: "missing bearer token: send Authorization: Bearer <LVSFLEET_API_TOKEN>" } },
        401,
        {
          "www-authenticate": 'Bearer realm="lvsfleet"',
        },
      );
    if (!sameSecret(match[1] ?? "", token))
      return c.json({ error: { message: "invalid bearer token" } }, 401, {
        "www-authenticate": 'Bearer error="invalid_token"',
      });
    c.set("actor", { type: "token", name: "api-token" });
    await next();
  };
}
