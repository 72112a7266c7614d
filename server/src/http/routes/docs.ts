import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { SwaggerUI } from "@hono/swagger-ui";
import { z } from "@hono/zod-openapi";
import type { Api } from "../openapi.ts";

/** Swagger UI's two files, served from the swagger-ui-dist package: /docs works without internet access. */
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

const assetDir = () => dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

const page = () => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>lvsfleet API</title>
  </head>
  <body>
    ${SwaggerUI({ url: "/openapi.json", baseUrl: "/docs/assets", persistAuthorization: true })}
  </body>
</html>`;

/** GET /docs: Swagger UI over /openapi.json (generated from the zod schemas that validate requests). */
export function registerDocsRoutes(app: Api): void {
  const cache = new Map<string, Uint8Array>();
  app.get("/docs", (c) => c.html(page()));
  app.get("/docs/assets/swagger-ui-dist/:file", (c) => {
    const file = c.req.param("file");
    const type = ASSETS[file];
    if (!type) return c.json({ error: { message: `no file ${file} here` } }, 404);
    let body = cache.get(file);
    if (!body) {
      body = new Uint8Array(readFileSync(join(assetDir(), file)));
      cache.set(file, body);
    }
    return c.body(body as Uint8Array<ArrayBuffer>, 200, {
      "content-type": type,
      "cache-control": "public, max-age=86400",
    });
  });

  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/docs",
    operationId: "getDocs",
    summary: "Swagger UI",
    description: "Interactive API documentation (Swagger UI) for /openapi.json; no token needed to read it",
    security: [],
    responses: { 200: { description: "An HTML page", content: { "text/html": { schema: z.string() } } } },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/docs/assets/swagger-ui-dist/{file}",
    operationId: "getDocsAsset",
    summary: "A Swagger UI asset",
    description: "Swagger UI's stylesheet and script",
    security: [],
    request: {
      params: z.object({
        file: z.enum(["swagger-ui.css", "swagger-ui-bundle.js"]).openapi({ param: { name: "file", in: "path" } }),
      }),
    },
    responses: { 200: { description: "The file" }, 404: { description: "No such file" } },
  });
}
