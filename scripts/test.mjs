#!/usr/bin/env node
// npm test: installs what the tests need (npm ci, the Debian packages in scripts/os-packages.txt),
// bundles the programs, runs every vitest tier, and ends with `tests: N passed, M failed`.
// Extra arguments go to vitest (e.g. `npm test -- --project unit`).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureNodeModules, ensureOsPackages } from "./ensure-deps.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
ensureNodeModules();
ensureOsPackages();
const { buildAll } = await import("./build.mjs");
await buildAll();

mkdirSync(join(root, ".tmp"), { recursive: true });
const report = join(root, ".tmp", "vitest-report.json");
const vitest = spawnSync(
  process.execPath,
  [
    join(root, "node_modules", "vitest", "vitest.mjs"),
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: "inherit" },
);
let passed = 0;
let failed = 0;
try {
  const results = JSON.parse(readFileSync(report, "utf8"));
  passed = results.numPassedTests;
  // A test file that failed to load counts as a failure even though it ran no test.
  const brokenFiles = results.testResults.filter(
    (f) => f.status === "failed" && f.assertionResults.length === 0,
  ).length;
  failed = results.numFailedTests + brokenFiles;
} catch {
  failed = Math.max(1, failed);
}
if (vitest.status !== 0 && failed === 0) failed = 1;
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && vitest.status === 0 ? 0 : 1);
