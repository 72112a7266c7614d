import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { type CommandRunner, ExecRunner, nftApply, nftListTable } from "@lvsfleet/hostops";
import { type IpvsTable, serviceKey } from "@lvsfleet/model";
import { applyOperations, plan } from "@lvsfleet/planner";
import { parseNftState } from "../../agents/director/src/drivers/nft-observe.ts";
import { EMPTY_STATE, renderTransition } from "../../agents/director/src/drivers/nft-render.ts";
import { NftablesDataPlane } from "../../agents/director/src/drivers/nftables.ts";
import { benchTable, withOneWeightChanged } from "./table.ts";

/** What the nftables part measures at one table size (milliseconds unless named otherwise). */
export interface NftFigures {
  services: number;
  servers: number;
  operations: number;
  planMs: number;
  renderMs: number;
  scriptLines: number;
  scriptBytes: number;
  /** driver.execute of the whole plan from empty: render, `transactions` nft -f in order. */
  fullApplyMs: number;
  transactions: number;
  /** The largest resident size of an nft process during the full apply (KiB, /usr/bin/time). */
  nftPeakKiB: number | undefined;
  /** driver.observe after it: `nft -j list table` of both tables, parsed and compared rule by rule. */
  observeMs: number;
  /** The full drift check: observe plus plan of the desired table against what it read. */
  driftCheckMs: number;
  replanAfterApply: number;
  /**
   * One weight change as the agent runs it now: plan against the applied table it keeps, execute
   * (rendered against the driver's kept state, one nft -f), targeted read-back of the service.
   */
  change: { planMs: number; executeMs: number; readBackMs: number; totalMs: number; operations: number };
  /** The same change's nft script applied by itself (the kernel's share). */
  changeScriptMs: number;
  /**
   * One `nft` process per statement: `perStatementSample` statements from the middle of the script
   * (the first half applied as one batch before, so that each nft sees a half-built table), each run alone.
   */
  perStatementSample: number;
  perStatementMs: number;
  /** perStatementMs × every statement of the script, against fullApplyMs. */
  perStatementEstimateMs: number;
  ratio: number;
}

const time = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
  const t0 = performance.now();
  const result = await f();
  return [result, performance.now() - t0];
};

const LAYOUT = { device: "eth0", table: "lvsfleet" };

async function measure(
  runner: CommandRunner,
  peak: { kib: number | undefined },
  services: number,
  servers: number,
  sample: number,
): Promise<NftFigures> {
  const empty: IpvsTable = { services: [] };
  const desired = benchTable(services, servers);
  const driver = new NftablesDataPlane({ device: LAYOUT.device, runner });
  await driver.init();
  await driver.observe();

  const [operations, planMs] = await time(() => plan(desired, empty));
  const keys = new Set(desired.services.map(serviceKey));
  const [script, renderMs] = await time(() => renderTransition(EMPTY_STATE, desired, keys, LAYOUT));
  let transactions = 0;
  peak.kib = undefined;
  const [, fullApplyMs] = await time(() => driver.execute(operations, { onProgress: (p) => (transactions = p.of) }));
  const nftPeakKiB = peak.kib;
  const [observed, observeMs] = await time(() => driver.observe());
  const [replan, compareMs] = await time(() => plan(desired, observed));
  const replanAfterApply = replan.length;

  // One weight change, as the agent runs it with a kept applied table: plan, execute, targeted read-back.
  const changed = withOneWeightChanged(desired);
  const t0 = performance.now();
  const [changeOps, changePlanMs] = await time(() => plan(changed, desired));
  const [, changeExecuteMs] = await time(() => driver.execute(changeOps));
  const [readBack, readBackMs] = await time(() =>
    driver.observeServices(changeOps.map((op) => serviceKey(op.service))),
  );
  const changeTotalMs = performance.now() - t0;
  if (readBack.services.length !== 1) throw new Error("the targeted read-back did not find the changed service");
  // The change's own nft transaction, alone (the kernel's share): the weight back, rendered
  // against the state as the kernel has it, applied with one nft -f.
  const state = parseNftState(
    await nftListTable(runner, "netdev", LAYOUT.table),
    await nftListTable(runner, "inet", LAYOUT.table),
  );
  const backOps = plan(desired, changed);
  const backScript = renderTransition(
    state,
    applyOperations(changed, backOps),
    new Set(backOps.map((op) => serviceKey(op.service))),
    LAYOUT,
  );
  const [, changeScriptMs] = await time(() => nftApply(runner, backScript));
  if (plan(desired, await driver.observe()).length !== 0) throw new Error("the change's script did not apply");

  // One process per statement, from the middle of the script.
  await runner.run("nft", ["delete", "table", "netdev", LAYOUT.table]);
  const lines = script.split("\n").filter(Boolean);
  const half = Math.floor(lines.length / 2);
  await nftApply(runner, `${lines.slice(0, half).join("\n")}\n`, { timeoutMs: 3_600_000 });
  const chosen = lines.slice(half, half + sample);
  const t1 = performance.now();
  for (const line of chosen) execFileSync("nft", [line]);
  const perStatementMs = (performance.now() - t1) / chosen.length;
  await runner.run("nft", ["delete", "table", "netdev", LAYOUT.table]);
  const perStatementEstimateMs = perStatementMs * lines.length;

  return {
    services,
    servers,
    operations: operations.length,
    planMs,
    renderMs,
    scriptLines: lines.length,
    scriptBytes: Buffer.byteLength(script),
    fullApplyMs,
    transactions,
    nftPeakKiB,
    observeMs,
    driftCheckMs: observeMs + compareMs,
    replanAfterApply,
    change: {
      planMs: changePlanMs,
      executeMs: changeExecuteMs,
      readBackMs,
      totalMs: changeTotalMs,
      operations: changeOps.length,
    },
    changeScriptMs,
    perStatementSample: chosen.length,
    perStatementMs,
    perStatementEstimateMs,
    ratio: perStatementEstimateMs / fullApplyMs,
  };
}

/**
 * Runs inside the benchmark's network namespace (the orchestrator starts it with ip netns exec):
 * the nftables data plane as an agent runs it (no ip netns exec around each nft), at each size.
 */
export async function nftablesPart(sizes: number[], servers: number, sample: number): Promise<NftFigures[]> {
  const netns = execFileSync("ip", ["netns", "identify", String(process.pid)], { encoding: "utf8" }).trim();
  if (!/^lvsbench\d+x[0-9a-f]+$/.test(netns))
    throw new Error("the nftables part runs only inside the benchmark's own network namespace (lvsbench…)");
  // The agent's runner; every nft -f through /usr/bin/time, for nft's peak memory.
  const exec = new ExecRunner();
  const peak: { kib: number | undefined } = { kib: undefined };
  const timed = existsSync("/usr/bin/time");
  const runner: CommandRunner = {
    netns: undefined,
    run: async (command, args, given = {}) => {
      // The benchmark's own reads and deletes of a 10,000-service table outlast the runner's 30 s.
      const options = { ...given, timeoutMs: given.timeoutMs ?? 3_600_000 };
      if (!(timed && command === "nft" && args[0] === "-f")) return exec.run(command, args, options);
      const result = await exec.run("/usr/bin/time", ["-f", "lvsbench-maxrss %M", command, ...args], options);
      const kib = Number(/lvsbench-maxrss (\d+)/.exec(result.stderr)?.[1]);
      if (Number.isFinite(kib)) peak.kib = Math.max(peak.kib ?? 0, kib);
      return result;
    },
    readFile: (path) => exec.readFile(path),
    writeFile: (path, text) => exec.writeFile(path, text),
  };
  const figures: NftFigures[] = [];
  for (const services of sizes) {
    figures.push(await measure(runner, peak, services, servers, sample));
    process.stderr.write(`nftables: ${services} services measured\n`);
  }
  return figures;
}
