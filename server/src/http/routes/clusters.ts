import { createRoute, z } from "@hono/zod-openapi";
import { getCluster, listClusters, putCluster } from "../../commands/clusters.ts";
import type { CommandContext } from "../../commands/context.ts";
import { changeRole } from "../../commands/roles.ts";
import { clusterStatus } from "../../commands/status.ts";
import { setWeight } from "../../commands/weight.ts";
import { renderStatusText } from "../../status/render.ts";
import { type Api, errors, json, pathParam, unreadableSpec } from "../openapi.ts";
import {
  Accepted,
  ClusterParam,
  ClusterSpecDoc,
  ClusterStatus,
  HostBody,
  hostList,
  MoveHostsQuery,
  WeightBody,
  WeightChangeResult,
} from "../schemas.ts";

const routes = {
  list: createRoute({
    method: "get",
    path: "/v1/clusters",
    operationId: "listClusters",
    summary: "List the clusters",
    responses: {
      200: json(
        z.object({
          clusters: z.array(
            z.object({
              name: z.string(),
              generation: z.number(),
              error: z.string().optional().openapi({
                description:
                  "Set when the cluster's stored spec cannot be read (its own endpoints answer 409; a PUT replaces it)",
              }),
            }),
          ),
        }),
        "The clusters the token may see",
      ),
      401: errors[401],
      403: errors[403],
    },
  }),
  get: createRoute({
    method: "get",
    path: "/v1/clusters/{cluster}",
    operationId: "getCluster",
    summary: "Get a cluster's spec",
    request: { params: ClusterParam },
    responses: {
      200: json(
        z.object({ name: z.string(), generation: z.number(), updatedAt: z.string(), spec: ClusterSpecDoc }),
        "The cluster's desired state",
      ),
      401: errors[401],
      403: errors[403],
      404: errors[404],
      409: unreadableSpec,
    },
  }),
  put: createRoute({
    method: "put",
    path: "/v1/clusters/{cluster}",
    operationId: "putCluster",
    summary: "Create or replace a cluster's spec",
    request: {
      params: ClusterParam,
      query: MoveHostsQuery,
      body: {
        content: {
          "application/json": {
            schema: z
              .looseObject({})
              .openapi({ description: "A ClusterSpec (name may be omitted: it is the path's). Admin." }),
          },
        },
        required: true,
      },
    },
    responses: {
      202: json(
        Accepted.extend({ created: z.boolean(), generation: z.number() }),
        "Spec stored; a job applies it to the directors",
      ),
      ...errors,
    },
  }),
  status: createRoute({
    method: "get",
    path: "/v1/clusters/{cluster}/status",
    operationId: "getClusterStatus",
    summary: "Live status of a cluster's hosts",
    request: {
      params: ClusterParam,
      query: z.object({
        format: z.enum(["json", "text"]).optional().openapi({ description: "text: the ipvsadm-style table" }),
      }),
    },
    responses: {
      200: {
        content: {
          "application/json": {
            schema: ClusterStatus,
          },
          "text/plain": { schema: z.string() },
        },
        description: "Live status read from every agent",
      },
      ...errors,
    },
  }),
  weight: createRoute({
    method: "patch",
    path: "/v1/clusters/{cluster}/services/{service}/real-servers/{server}",
    operationId: "setRealServerWeight",
    summary: "Set a real server's weight",
    request: {
      params: ClusterParam.extend({
        service: pathParam("service", "http"),
        server: pathParam(
          "server",
          "192.168.1.220:80",
          "ADDRESS:PORT, [IPv6]:PORT, or ADDRESS when the port is unambiguous",
        ),
      }),
      body: { content: { "application/json": { schema: WeightBody } }, required: true },
    },
    responses: {
      202: json(WeightChangeResult, "Weight stored; a job applies it to every director. Operator."),
      ...errors,
    },
  }),
  start: createRoute({
    method: "post",
    path: "/v1/clusters/{cluster}/start",
    operationId: "startCluster",
    summary: "Start a cluster's hosts",
    request: { params: ClusterParam, body: { content: { "application/json": { schema: HostBody } }, required: false } },
    responses: { 202: json(Accepted, "A job starts the host(s): lvsdr/realdr start. Admin."), ...errors },
  }),
  stop: createRoute({
    method: "post",
    path: "/v1/clusters/{cluster}/stop",
    operationId: "stopCluster",
    summary: "Stop a cluster's hosts",
    request: { params: ClusterParam, body: { content: { "application/json": { schema: HostBody } }, required: false } },
    responses: { 202: json(Accepted, "A job stops the host(s), undoing exactly what start did. Admin."), ...errors },
  }),
};

export function registerClusterRoutes(app: Api, ctx: CommandContext): void {
  app.openapi(routes.list, async (c) => c.json({ clusters: await listClusters(ctx, c.get("actor")) }, 200));
  app.openapi(routes.get, async (c) => {
    const stored = await getCluster(ctx, c.get("actor"), c.req.valid("param").cluster);
    return c.json(
      {
        name: stored.spec.name,
        generation: stored.generation,
        updatedAt: new Date(stored.updatedAt).toISOString(),
        spec: stored.spec,
      },
      200,
    );
  });
  app.openapi(routes.put, async (c) => {
    const moveHosts = hostList(c.req.valid("query").moveHosts);
    const put = await putCluster(ctx, c.get("actor"), c.req.valid("param").cluster, c.req.valid("json"), {
      moveHosts,
    });
    return c.json(put, 202);
  });
  app.openapi(routes.status, async (c) => {
    const status = await clusterStatus(ctx, c.get("actor"), c.req.valid("param").cluster);
    if (c.req.valid("query").format === "text") return c.text(renderStatusText(status), 200);
    return c.json(status, 200);
  });
  app.openapi(routes.weight, async (c) => {
    const { cluster, service, server } = c.req.valid("param");
    const change = await setWeight(ctx, c.get("actor"), { cluster, service, server }, c.req.valid("json").weight);
    return c.json(change, 202);
  });
  for (const action of ["start", "stop"] as const)
    app.openapi(routes[action], async (c) => {
      const raw = await c.req.text();
      let body: unknown = {};
      try {
        body = raw.trim() ? JSON.parse(raw) : {};
      } catch {
        return c.json({ error: { field: "(body)", message: "the body is not valid JSON" } }, 400);
      }
      const host = HostBody.safeParse(body);
      if (!host.success)
        return c.json({ error: { field: "host", message: "must be a host name of the cluster" } }, 400);
      return c.json(await changeRole(ctx, c.get("actor"), action, c.req.valid("param").cluster, host.data.host), 202);
    });
}
