#!/usr/bin/env node
// Bundles each program (server, agents, CLI) into one ESM file under its dist/ with esbuild:
// workspace packages are compiled in, npm dependencies stay external (loaded from node_modules).
import { existsSync } from "node:fs";
import { build } from "esbuild";

export const PROGRAMS = [
  { entry: "server/src/main.ts", out: "server/dist/main.js" },
  { entry: "agents/director/src/main.ts", out: "agents/director/dist/main.js" },
  { entry: "agents/realserver/src/main.ts", out: "agents/realserver/dist/main.js" },
  { entry: "packages/devfleet/src/demo-main.ts", out: "packages/devfleet/dist/demo.js" },
  { entry: "packages/devfleet/src/chat-main.ts", out: "packages/devfleet/dist/chat.js" },
];

const externalDependencies = {
  name: "external-dependencies",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.kind === "entry-point" || args.path.startsWith("@lvsfleet/")
        ? undefined
        : { path: args.path, external: true },
    );
  },
};

export async function buildAll({ quiet = false } = {}) {
  const started = Date.now();
  await Promise.all(
    PROGRAMS.filter(({ entry }) => existsSync(entry)).map(({ entry, out }) =>
      build({
        entryPoints: [entry],
        outfile: out,
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        sourcemap: true,
        logLevel: "warning",
        plugins: [externalDependencies],
      }),
    ),
  );
  if (!quiet) console.log(`built ${PROGRAMS.length} programs in ${Date.now() - started} ms`);
}

if (import.meta.url === `file://${process.argv[1]}`) await buildAll();
