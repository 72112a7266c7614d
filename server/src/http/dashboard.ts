import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Queue } from "bullmq";
import type { MiddlewareHandler } from "hono";
import { permit } from "../commands/audited.ts";
import type { CommandContext } from "../commands/context.ts";
import { asCommandError } from "../commands/errors.ts";
import type { CallerLimiter } from "../rate-limit/caller-limiter.ts";
import { authenticate, callerKey } from "./auth.ts";

export const DASHBOARD_PATH = "/admin/queues";

/**
 * The queue dashboard (bull-board, read-only): every queue's jobs, states, data and errors.
 * Read-only on purpose: a retry or removal from there would bypass the command layer and the
 * audit trail (use POST /v1/jobs/{id}/retry|cancel instead).
 */
export function queueDashboard(queues: Queue[]) {
  const adapter = new HonoAdapter(serveStatic);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: "lvsfleet queues" } },
  });
  adapter.setBasePath(DASHBOARD_PATH);
  return adapter.registerPlugin();
}

/**
 * Admin tokens without a cluster list only (the dashboard shows every cluster's jobs):
 * `Authorization: Bearer <token>`, or HTTP Basic with the token as the password (so a browser can
 * open the dashboard: it asks once and sends it with every request). Refusals are audited.
 */
export function adminOnly(
  apiToken: string,
  ctx: Pick<CommandContext, "tokens" | "audit">,
  limiter: CallerLimiter,
): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header("authorization");
    const basic = /^Basic\s+(\S+)$/i.exec(header ?? "");
    const bearer = basic
      ? `Bearer ${Buffer.from(basic[1] ?? "", "base64")
          .toString("utf8")
          .split(":")
          .slice(1)
          .join(":")}`
      : header;
    const auth = await authenticate(bearer, apiToken, ctx);
    if (!auth.ok)
      return c.json({ error: { message: auth.message } }, 401, { "www-authenticate": 'Basic realm="lvsfleet queues"' });
    // The same per-token limit as the API, before anything (a refusal included) is written.
    const wait = await limiter.check(callerKey(auth.actor));
    if (wait !== undefined)
      return c.json({ error: { message: `too many requests; retry in ${wait} s` } }, 429, {
        "retry-after": String(wait),
      });
    try {
      await permit(ctx, auth.actor, {
        command: "open queue dashboard",
        need: "admin",
        action: "the queue dashboard",
        target: DASHBOARD_PATH,
        global: true,
      });
    } catch (error) {
      const refusal = asCommandError(error);
      if (refusal.kind === "forbidden") return c.json({ error: { message: refusal.message } }, 403);
      throw error;
    }
    return next();
  };
}
