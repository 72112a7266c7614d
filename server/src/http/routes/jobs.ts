import { createRoute, z } from "@hono/zod-openapi";
import type { CommandContext } from "../../commands/context.ts";
import { getJob, retryJob } from "../../commands/jobs.ts";
import { type Api, errors, json, pathParam } from "../openapi.ts";
import { Job } from "../schemas.ts";
import { AnyJob } from "./maintenance.ts";

const IdParam = z.object({ id: pathParam("id", "42") });

const routes = {
  get: createRoute({
    method: "get",
    path: "/v1/jobs/{id}",
    operationId: "getJob",
    summary: "Get a job",
    request: { params: IdParam },
    responses: {
      200: json(AnyJob, "The job's state, result or error; a maintenance job (m-N) also has its steps and progress"),
      401: errors[401],
      403: errors[403],
      404: errors[404],
    },
  }),
  retry: createRoute({
    method: "post",
    path: "/v1/jobs/{id}/retry",
    operationId: "retryJob",
    summary: "Retry a failed command job",
    request: { params: IdParam },
    responses: {
      200: json(Job, "A failed job queued again. Operator."),
      401: errors[401],
      403: errors[403],
      404: errors[404],
    },
  }),
};

export function registerJobRoutes(app: Api, ctx: CommandContext): void {
  app.openapi(routes.get, async (c) =>
    c.json((await getJob(ctx, c.get("actor"), c.req.valid("param").id)) as never, 200),
  );
  app.openapi(routes.retry, async (c) => c.json(await retryJob(ctx, c.get("actor"), c.req.valid("param").id), 200));
}
