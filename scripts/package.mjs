#!/usr/bin/env node
// Packs what a host needs to run lvsfleet's programs with nothing but Node 20:
//   node scripts/package.mjs        → dist/lvsfleet-<version>.tar.gz
// Inside (lvsfleet-<version>/): the bundles (server, agents, lvsctl), proto/, the few npm packages the
// bundles keep external (grpc-health-check reads its .proto at run time; the server's own
// dependencies), the systemd units and their example settings. Unpack it as /opt/lvsfleet.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { buildAll } from "./build.mjs";

const root = join(dirname(new URL(import.meta.url).pathname), "..");
const version = JSON.parse(readFileSync(join(root, "server/package.json"), "utf8")).version;
const name = `lvsfleet-${version}`;
const out = join(root, "dist");
const stage = join(out, name);

const FILES = [
  "server/dist/main.js",
  "server/dist/simulation-worker.js",
  "agents/director/dist/main.js",
  "agents/realserver/dist/main.js",
  "packages/cli/dist/lvsctl.js",
  "proto",
  "deploy/systemd",
  "docs/operations.md",
  "docs/cli.md",
  "docs/metrics.md",
];

/** The directory of package `dep` as Node resolves it from `fromDir` (nearest node_modules up). */
function packageDir(fromDir, dep) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", dep);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) throw new Error(`cannot find ${dep} from ${fromDir}`);
  }
}

/** Every package the given ones need at run time (dependencies, optionalDependencies when present). */
function closure(fromDir, deps) {
  const seen = new Set();
  const visit = (dir, dep) => {
    const found = packageDir(dir, dep);
    if (seen.has(found)) return;
    seen.add(found);
    const manifest = JSON.parse(readFileSync(join(found, "package.json"), "utf8"));
    for (const d of Object.keys(manifest.dependencies ?? {})) visit(found, d);
    for (const d of Object.keys(manifest.optionalDependencies ?? {}))
      try {
        visit(found, d);
      } catch {}
  };
  for (const dep of deps) visit(fromDir, dep);
  return [...seen];
}

await buildAll({ quiet: true });
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
for (const file of FILES) {
  if (!existsSync(join(root, file))) continue;
  cpSync(join(root, file), join(stage, file), { recursive: true, dereference: true });
  if (existsSync(join(root, `${file}.map`))) cpSync(join(root, `${file}.map`), join(stage, `${file}.map`));
}
// Agents bundle their dependencies but grpc-health-check; the server bundles the workspace packages
// but keeps their npm dependencies external: those of the server and of every package it uses.
const manifests = [
  "server",
  ...["packages", "agents"].flatMap((d) => readdirSync(join(root, d)).map((p) => `${d}/${p}`)),
]
  // lvsctl bundles all of its dependencies; devfleet is for development only.
  .filter((dir) => !/(devfleet|cli)$/.test(dir) && existsSync(join(root, dir, "package.json")))
  .map((dir) => JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")));
const external = [
  ...new Set([
    "grpc-health-check",
    ...manifests.flatMap((m) => Object.keys(m.dependencies ?? {})).filter((d) => !d.startsWith("@lvsfleet/")),
  ]),
];
const packages = closure(join(root, "server"), external);
for (const dir of packages)
  cpSync(dir, join(stage, relative(root, dir)), {
    recursive: true,
    dereference: true,
    filter: (src) => !/\/node_modules\/[^/]+\/(test|tests|docs|\.github)$/.test(src),
  });
execFileSync("tar", ["-czf", `${name}.tar.gz`, name], { cwd: out });
rmSync(stage, { recursive: true, force: true });
console.log(`dist/${name}.tar.gz: ${packages.length} npm packages, ${FILES.length} program files and folders`);
