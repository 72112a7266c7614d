#!/usr/bin/env node
// Bundles each program (server, agents, demo tools, benchmarks) into one ESM file with esbuild.
// Workspace packages are compiled in. The agents also bundle (and minify) their npm dependencies
// so that a small process parses less code; packages that read files next to their own sources
// at run time (grpc-health-check's proto, BullMQ's Lua scripts) stay external everywhere.
import { chmodSync, existsSync } from "node:fs";
import { build } from "esbuild";

const agent = { bundleDependencies: true, external: ["grpc-health-check"] };

export const PROGRAMS = [
  { entry: "server/src/main.ts", out: "server/dist/main.js" },
  // The simulation pool's threads load it next to main.js (server/src/simulation/pool.ts).
  { entry: "server/src/simulation/worker.ts", out: "server/dist/simulation-worker.js" },
  { entry: "agents/director/src/main.ts", out: "agents/director/dist/main.js", ...agent },
  { entry: "agents/realserver/src/main.ts", out: "agents/realserver/dist/main.js", ...agent },
  { entry: "packages/devfleet/src/demo-main.ts", out: "packages/devfleet/dist/demo.js" },
  { entry: "packages/devfleet/src/chat-main.ts", out: "packages/devfleet/dist/chat.js" },
  { entry: "packages/devfleet/src/setup-main.ts", out: "packages/devfleet/dist/setup.js" },
  { entry: "packages/devfleet/src/sim-traffic-main.ts", out: "packages/devfleet/dist/sim-traffic.js" },
  { entry: "bench/command-latency/main.ts", out: "bench/dist/command-latency.js" },
  { entry: "bench/scheduler/main.ts", out: "bench/dist/scheduler.js" },
  { entry: "bench/ipvs-sim/main.ts", out: "bench/dist/ipvs-sim.js" },
  { entry: "bench/jobs/main.ts", out: "bench/dist/jobs.js" },
  { entry: "bench/reconcile/main.ts", out: "bench/dist/reconcile.js" },
  { entry: "bench/failover/main.ts", out: "bench/dist/failover.js" },
  { entry: "bench/whatif-load/main.ts", out: "bench/dist/whatif-load.js" },
  { entry: "bench/whatif-cost/main.ts", out: "bench/dist/whatif-cost.js" },
  { entry: "bench/fanout/main.ts", out: "bench/dist/fanout.js" },
  { entry: "bench/bigspec/main.ts", out: "bench/dist/bigspec.js" },
  // lvsctl: one self-contained file (its npm dependencies bundled), runnable as an executable.
  { entry: "packages/cli/src/main.ts", out: "packages/cli/dist/lvsctl.js", bundleDependencies: true, shebang: true },
];

/** Keeps npm dependencies external (resolved from node_modules at run time). */
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

// Bundled CommonJS dependencies call require(); give the ESM bundle one.
const requireShim =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export async function buildAll({ quiet = false } = {}) {
  const started = Date.now();
  const programs = PROGRAMS.filter(({ entry }) => existsSync(entry));
  await Promise.all(
    programs.map(({ entry, out, bundleDependencies, external = [], shebang = false }) =>
      build({
        entryPoints: [entry],
        outfile: out,
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        sourcemap: true,
        logLevel: "warning",
        ...(bundleDependencies
          ? {
              minify: true,
              keepNames: true,
              external,
              banner: { js: `${shebang ? "#!/usr/bin/env node\n" : ""}${requireShim}` },
            }
          : { plugins: [externalDependencies] }),
      }),
    ),
  );
  for (const { out, shebang } of programs) if (shebang) chmodSync(out, 0o755);
  if (!quiet) console.log(`built ${programs.length} programs in ${Date.now() - started} ms`);
}

if (import.meta.url === `file://${process.argv[1]}`) await buildAll();
