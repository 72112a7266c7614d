import { parentPort } from "node:worker_threads";
import { runSimulationTask, type SimulationOutcome, type SimulationTask } from "./tasks.ts";

/** What the pool hands a thread: the task and its id (the thread says when it starts it). */
export interface PooledTask {
  id: number;
  task: SimulationTask;
}

/** A thread's note to the pool that it began a task: the task's deadline runs from here, not from the queue. */
export interface TaskStarted {
  simulationStarted: number;
}

/**
 * The entry point of a simulation thread (bundled to server/dist/simulation-worker.js, run by
 * piscina): says it started, then runs the pure task. A thread the pool terminates (deadline,
 * memory) takes nothing else down with it.
 */
export default function runPooledTask({ id, task }: PooledTask): SimulationOutcome<SimulationTask["kind"]> {
  parentPort?.postMessage({ simulationStarted: id } satisfies TaskStarted);
  return runSimulationTask(task);
}
