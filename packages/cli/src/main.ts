import { run } from "./program.ts";

const code = await run(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
});
// Let stdout drain (a pipe into head or jq) before leaving.
process.exitCode = code;
