import { Piscina } from "piscina";
import { SimulationAbortedError, SimulationBusyError } from "./errors.ts";
import { type SimulationOutcome, type SimulationTask, type SimulationValues, settle, type TaskOf } from "./tasks.ts";
import type { PooledTask, TaskStarted } from "./worker.ts";

/** Where the command layer sends CPU-heavy work, so that the event loop keeps serving everything else. */
export interface Simulations {
  /** The estimated CPU milliseconds one what-if may cost (LVSFLEET_SIM_BUDGET_MS), checked before any work. */
  readonly budgetMs: number;
  /** Throws SimulationBusyError if a task submitted now would be refused: a cheap check before any other work. */
  admit(): void;
  /**
   * Runs a task and returns its value; its input's refusals are thrown as ValidationError or
   * RangeError, a full queue as SimulationBusyError, a deadline or memory overrun as
   * SimulationAbortedError (whose message ends with `howToShrink`).
   */
  run<K extends SimulationTask["kind"]>(task: TaskOf<K>, howToShrink: string): Promise<SimulationValues[K]>;
  close(): Promise<void>;
}

export interface SimulationPoolSettings {
  /** Threads running simulations at once (LVSFLEET_SIM_THREADS). */
  threads: number;
  /** Tasks that may wait for a thread; one more is refused (LVSFLEET_SIM_QUEUE). */
  queue: number;
  /** How long a task may run once a thread has started it (LVSFLEET_SIM_DEADLINE_MS). */
  deadlineMs: number;
  /** Old-generation heap limit of each thread (LVSFLEET_SIM_MEMORY_MB). */
  memoryMb: number;
  /** How much lower than the server's own the threads' CPU priority is (LVSFLEET_SIM_NICE, 0–19). */
  nice: number;
  budgetMs: number;
  /** The bundled worker entry (default: simulation-worker.js next to the running bundle). */
  workerFile?: string | URL | undefined;
  /** Errors of idle threads (a thread that failed to load). */
  onError?: ((error: Error) => void) | undefined;
}

const WHAT: Record<SimulationTask["kind"], string> = {
  whatif: "the simulation",
  "spec-plan": "planning the spec",
  "table-plan": "planning against a director's table",
};

/**
 * A worker-thread pool (piscina) for the simulator and the planner: `threads` run at once at a
 * lower CPU priority, at most `queue` more wait, anything beyond is refused at once; a task that
 * runs past its deadline or its memory limit has its thread terminated (piscina replaces it).
 * A thin shell: the work itself is runSimulationTask, pure.
 */
export class SimulationPool implements Simulations {
  readonly budgetMs: number;
  private readonly piscina: Piscina<PooledTask, SimulationOutcome<SimulationTask["kind"]>>;
  /**
   * Tasks running or waiting. Counted here rather than left to piscina's maxQueue, which does not
   * hold for tasks that carry an AbortSignal (they wait in a queue of their own, unbounded).
   */
  private inFlight = 0;
  private nextId = 1;
  /** Arms a task's deadline when its thread says it started it. */
  private readonly onStart = new Map<number, () => void>();
  /** A moving average of how long a task runs, for Retry-After. */
  private meanRunMs = 1_000;

  constructor(private readonly settings: SimulationPoolSettings) {
    this.budgetMs = settings.budgetMs;
    const file = settings.workerFile ?? new URL("./simulation-worker.js", import.meta.url);
    this.piscina = new Piscina({
      filename: file instanceof URL ? file.href : file,
      minThreads: settings.threads,
      maxThreads: settings.threads,
      idleTimeout: 60_000,
      niceIncrement: settings.nice,
      resourceLimits: { maxOldGenerationSizeMb: settings.memoryMb },
      recordTiming: false,
    });
    this.piscina.on("message", (message: Partial<TaskStarted> | undefined) => {
      if (typeof message?.simulationStarted === "number") this.onStart.get(message.simulationStarted)?.();
    });
    this.piscina.on("error", (error: Error) => settings.onError?.(error));
  }

  admit(): void {
    const { threads, queue } = this.settings;
    if (this.inFlight >= threads + queue)
      // a place frees when any running task ends: about a mean run divided among the threads
      throw new SimulationBusyError(Math.min(60, Math.max(1, Math.ceil(this.meanRunMs / threads / 1000))), {
        threads,
        queue,
      });
  }

  async run<K extends SimulationTask["kind"]>(task: TaskOf<K>, howToShrink: string): Promise<SimulationValues[K]> {
    this.admit();
    const id = this.nextId++;
    const abort = new AbortController();
    let deadline: NodeJS.Timeout | undefined;
    let startedAt: number | undefined;
    this.onStart.set(id, () => {
      startedAt = performance.now();
      deadline = setTimeout(() => abort.abort(), this.settings.deadlineMs);
    });
    this.inFlight += 1;
    try {
      const outcome = (await this.piscina.run({ id, task }, { signal: abort.signal })) as SimulationOutcome<K>;
      return settle(outcome);
    } catch (error) {
      if (abort.signal.aborted)
        throw new SimulationAbortedError("deadline", this.settings.deadlineMs, WHAT[task.kind], howToShrink);
      if ((error as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY")
        throw new SimulationAbortedError("memory", this.settings.memoryMb, WHAT[task.kind], howToShrink);
      throw error;
    } finally {
      clearTimeout(deadline);
      this.onStart.delete(id);
      this.inFlight -= 1;
      if (startedAt !== undefined) this.meanRunMs = 0.8 * this.meanRunMs + 0.2 * (performance.now() - startedAt);
    }
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
