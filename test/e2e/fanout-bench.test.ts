import { execFile } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "@lvsfleet/devfleet";
import { describe, expect, inject, it } from "vitest";

/**
 * bench/fanout runs in CI: its built bundle, as `npm run bench:fanout` runs it, with fewer agents
 * (LVSFLEET_FANOUT_TEST_AGENTS, 100 by default: the full 1,000 enrol, attach and apply for minutes
 * on a 2-core machine) and a few changes. Only correctness is asserted, never speed: every agent
 * applied every change, every stream re-attached after the supervisor was killed, and the restart
 * made no Apply call (no re-sync storm) to agents already at the desired generation.
 */
const AGENTS = Number(process.env.LVSFLEET_FANOUT_TEST_AGENTS ?? 100);
const CHANGES = 3;

function runBench(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(repoRoot(), "bench", "dist", "fanout.js")],
      {
        env: {
          ...process.env,
          REDIS_URL: inject("redisUrl"),
          FANOUT_AGENTS: String(AGENTS),
          FANOUT_CHANGES: String(CHANGES),
          FANOUT_IDLE_SECONDS: "1",
        },
        timeout: 280_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}\n${stdout}`)) : resolve(stdout),
    );
  });
}

describe("bench/fanout runs: one change reaches every agent, a killed supervisor re-attaches every stream", () => {
  it(`${AGENTS} sim directors over mutual TLS: every change applied everywhere, every stream back, no re-sync storm`, async () => {
    const stdout = await runBench();
    const line = stdout
      .trim()
      .split("\n")
      .reverse()
      .find((l) => l.startsWith('{"fanout":'));
    expect(line, stdout).toBeDefined();
    const { fanout } = JSON.parse(line as string);
    expect(fanout).toMatchObject({ agents: AGENTS, changes: CHANGES, changesApplied: CHANGES, changesMissed: 0 });
    expect(fanout.restart).toMatchObject({
      reattached: AGENTS,
      watchedAfter: AGENTS,
      applyCallsAfterRestart: 0,
    });
    // the figures are there (their values are bench/'s business, not the test's)
    expect(fanout.endToEndMs.p99).toBeGreaterThan(0);
    expect(fanout.restart.reattachFromKillMs).toBeGreaterThan(0);
  }, 300_000);
});
