import type { Simulations } from "../src/simulation/pool.ts";
import { runSimulationTask, settle } from "../src/simulation/tasks.ts";

/** The simulation pool's contract, run in-process: for command tests that are not about the pool. */
export function inProcessSimulations(budgetMs = 2_000): Simulations {
  return {
    budgetMs,
    admit() {},
    run: async (task) => settle(runSimulationTask(task)),
    close: async () => {},
  };
}
