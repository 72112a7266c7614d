#!/usr/bin/env node
// The wire types of proto/lvsfleet/v1/agent.proto, generated with @grpc/proto-loader's own
// generator (proto-loader-gen-types) with the options packages/rpc/src/proto.ts loads the proto
// with (camelCase, longs as numbers, enums as strings, defaults, oneofs), so that the types say what
// proto-loader really hands over. They are checked in (packages/rpc/src/generated); the unit test
// packages/rpc/test/wire-types.test.ts regenerates them and fails on any difference.
// Usage: node scripts/generate-wire-types.mjs [outDir]   (default: packages/rpc/src/generated)
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export const GENERATED_DIR = join(root, "packages", "rpc", "src", "generated");

/** The generator's options: the ones agentService() loads the proto with, and .ts import specifiers. */
export const GENERATOR_OPTIONS = [
  "--longs=Number",
  "--enums=String",
  "--defaults",
  "--oneofs",
  "--includeComments",
  "--grpcLib=@grpc/grpc-js",
  "--importFileExtension=.ts",
];

export function generateWireTypes(outDir = GENERATED_DIR) {
  const require = createRequire(join(root, "packages", "rpc", "package.json"));
  const generator = join(
    dirname(require.resolve("@grpc/proto-loader/package.json")),
    "build",
    "bin",
    "proto-loader-gen-types.js",
  );
  rmSync(outDir, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    // proto/ relative to the root: the files name it ("Original file: proto/…") the same on every checkout.
    [generator, ...GENERATOR_OPTIONS, "-I", "proto", "-O", outDir, "lvsfleet/v1/agent.proto"],
    { cwd: root, stdio: ["ignore", "ignore", "inherit"] },
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  generateWireTypes(process.argv[2] ? resolve(process.argv[2]) : undefined);
