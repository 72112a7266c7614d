import { defineConfig } from "vitest/config";

/**
 * Test tiers:
 * - unit: pure packages and in-process agents (no root, no Redis).
 * - e2e:  real Redis, real server and agent processes over real gRPC and HTTP (test/e2e).
 * - ha:   fail-over: 3 server replicas over Redis Sentinel (master, replica, 3 sentinels), processes killed
 *         with SIGKILL one at a time while a client changes weights (test/ha; `npm run test:ha`).
 * - lab:  network namespaces as hosts, real packets (test/lab; needs root, iproute2, nftables).
 * - guest: real kernel IPVS in a qemu guest (test/ipvs-guest; needs qemu-system-x86).
 */
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          // Property tests and fuzzers run thousands of cases: on a busy 2-core machine 5 s is not enough.
          testTimeout: 30_000,
          include: [
            "packages/*/test/**/*.test.ts",
            "agents/*/test/**/*.test.ts",
            "server/test/**/*.test.ts",
            "test/fuzz/**/*.test.ts",
            "test/structure/**/*.test.ts",
          ],
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/e2e/setup/global.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: "ha",
          include: ["test/ha/**/*.test.ts"],
          globalSetup: ["test/ha/setup/global.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: "lab",
          include: ["test/lab/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: "guest",
          include: ["test/ipvs-guest/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
