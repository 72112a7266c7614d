import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Queue } from "bullmq";
import type { MiddlewareHandler } from "hono";
import type { TokenStore } from "../access/tokens.ts";
import { authenticate } from "../http/auth.ts";

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
 * Admin tokens only: `Authorization: Bearer <token>`, or HTTP Basic with the token as the
 * password (so a browser can open the dashboard: it asks once and sends it with every request).
 */
export function adminOnly(apiToken: string, tokens: TokenStore): MiddlewareHandler {
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
    const auth = await authenticate(bearer, apiToken, tokens);
    if (!auth.ok)
      return c.json({ error: { message: auth.message } }, 401, { "www-authenticate": 'Basic realm="lvsfleet queues"' });
    if (auth.actor.role !== "admin")
      return c.json(
        { error: { message: `token ${auth.actor.name} has role ${auth.actor.role}; the queue dashboard needs admin` } },
        403,
      );
    return next();
  };
}
