#!/usr/bin/env node
// Installs what lvsfleet needs on a fresh Debian machine with Node 20, and nothing more:
// npm dependencies (npm ci, when node_modules is missing or older than package-lock.json) and the
// Debian packages listed in scripts/os-packages.txt whose command is missing (apt-get, as root).
// Plain Node, no dependencies: it runs before node_modules exists.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export function ensureNodeModules() {
  const marker = join(root, "node_modules", ".package-lock.json");
  const lock = join(root, "package-lock.json");
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log("installing npm dependencies (npm ci)…");
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
}

/** Lines of scripts/os-packages.txt: `package /path/of/a/command/it/installs`. */
export function osPackages(only) {
  return readFileSync(join(root, "scripts", "os-packages.txt"), "utf8")
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean)
    .map((line) => {
      const [pkg, command] = line.split(/\s+/);
      return { pkg, command };
    })
    .filter(({ pkg }) => !only || only.includes(pkg));
}

export function ensureOsPackages(only) {
  const missing = osPackages(only).filter(({ command }) => command && !existsSync(command));
  if (missing.length === 0) return true;
  const names = [...new Set(missing.map((m) => m.pkg))];
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) {
    console.warn(
      `missing Debian packages: ${names.join(" ")} — install them with: sudo apt-get install -y ${names.join(" ")}`,
    );
    return false;
  }
  console.log(`installing Debian packages: ${names.join(" ")}…`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...names], { stdio: "inherit", env });
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureNodeModules();
  ensureOsPackages(process.argv.slice(2).length ? process.argv.slice(2) : undefined);
}
