#!/usr/bin/env node
// Bundles ipvs-driver.ts with everything it imports into one minified ESM file for the qemu guest
// (which has node from the host's /usr but no node_modules; minified, node parses it faster
// under emulation): node bundle.mjs OUTFILE. The guest tier calls bundleIpvsDriverJob itself.
import { build } from "esbuild";

export async function bundleIpvsDriverJob(outfile) {
  await build({
    entryPoints: [new URL("./ipvs-driver.ts", import.meta.url).pathname],
    outfile,
    bundle: true,
    minify: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outfile = process.argv[2];
  if (!outfile) {
    process.stderr.write("usage: node test/lab/guest-jobs/bundle.mjs OUTFILE.mjs\n");
    process.exit(2);
  }
  await bundleIpvsDriverJob(outfile);
}
