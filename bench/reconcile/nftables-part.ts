import { execFileSync } from "node:child_process";
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
  /** driver.execute of the whole plan: state read (empty), render, one `nft -f`. */
  fullApplyMs: number;
  /** driver.observe after it: `nft -j list table` of both tables, parsed back into a table. */
  observeMs: number;
  replanAfterApply: number;
  /** The agent's Apply for one weight change: observe, plan, execute (which reads the state again). */
  change: { observeMs: number; planMs: number; executeMs: number; totalMs: number; operations: number };
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
  driver: NftablesDataPlane,
  runner: CommandRunner,
  services: number,
  servers: number,
  sample: number,
): Promise<NftFigures> {
  const empty: IpvsTable = { services: [] };
  const desired = benchTable(services, servers);

  const [operations, planMs] = await time(() => plan(desired, empty));
  const keys = new Set(desired.services.map(serviceKey));
  const [script, renderMs] = await time(() => renderTransition(EMPTY_STATE, desired, keys, LAYOUT));
  const [, fullApplyMs] = await time(() => driver.execute(operations));
  const [observed, observeMs] = await time(() => driver.observe());
  const replanAfterApply = plan(desired, observed).length;

  // One weight change, as the agent's Apply does it: read back, plan, execute.
  const changed = withOneWeightChanged(desired);
  const t0 = performance.now();
  const [now, changeObserveMs] = await time(() => driver.observe());
  const [changeOps, changePlanMs] = await time(() => plan(changed, now));
  const [, changeExecuteMs] = await time(() => driver.execute(changeOps));
  const changeTotalMs = performance.now() - t0;
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
  await nftApply(runner, `${lines.slice(0, half).join("\n")}\n`);
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
    observeMs,
    replanAfterApply,
    change: {
      observeMs: changeObserveMs,
      planMs: changePlanMs,
      executeMs: changeExecuteMs,
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
  // The agent's runner, with room for the large transactions a benchmark makes (30 s by default).
  const exec = new ExecRunner();
  const runner: CommandRunner = {
    netns: undefined,
    run: (command, args, options = {}) => exec.run(command, args, { timeoutMs: 3_600_000, ...options }),
    readFile: (path) => exec.readFile(path),
    writeFile: (path, text) => exec.writeFile(path, text),
  };
  const driver = new NftablesDataPlane({ device: LAYOUT.device, runner });
  await driver.init();
  const figures: NftFigures[] = [];
  for (const services of sizes) {
    figures.push(await measure(driver, runner, services, servers, sample));
    process.stderr.write(`nftables: ${services} services measured\n`);
  }
  return figures;
}
