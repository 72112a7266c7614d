/**
 * Before the fail-over tier: bundle the programs (the tier starts the real server and agent
 * processes from dist). Its Redis deployment (master, replica, sentinels) is the test's own.
 */
export default async function setup() {
  // @ts-expect-error plain ESM script without types
  const { buildAll } = await import("../../../scripts/build.mjs");
  await buildAll({ quiet: true });
}
