#!/usr/bin/env node
// npm run demo: installs what is missing (npm ci, redis-server), bundles the programs, and runs
// the demo: Redis, the server on PORT (8080) and the guide's four hosts as sim agents.
// LVSFLEET_DEMO_REPLICAS=3 LVSFLEET_DEMO_SENTINEL=1: three server replicas (PORT, PORT+1, PORT+2)
// over a private Redis master, replica and three sentinels; every process is listed in
// .data/demo/processes.json (packages/devfleet/src/demo-main.ts).
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureNodeModules, ensureOsPackages } from "./ensure-deps.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
ensureNodeModules();
ensureOsPackages(["redis-server"]);
const { buildAll } = await import("./build.mjs");
await buildAll({ quiet: true });
const child = spawn(process.execPath, [join(root, "packages", "devfleet", "dist", "demo.js")], {
  cwd: root,
  stdio: "inherit",
});
// Ctrl-C reaches the demo through the terminal's process group; the demo stops what it started.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));
