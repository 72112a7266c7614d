/**
 * Every simulation thread is busy and the queue in front of them is full (HTTP 429 with
 * Retry-After): the request was refused before any work started.
 */
export class SimulationBusyError extends Error {
  override name = "SimulationBusyError";
  constructor(
    readonly retryAfterSeconds: number,
    readonly capacity: { threads: number; queue: number },
  ) {
    super(
      `the server is already running ${capacity.threads} simulation${capacity.threads === 1 ? "" : "s"} with ${capacity.queue} more waiting (LVSFLEET_SIM_THREADS, LVSFLEET_SIM_QUEUE); nothing was simulated: retry in ${retryAfterSeconds} s`,
    );
  }
}

/**
 * A simulation ran past its deadline, or past its thread's memory limit, and its thread was
 * terminated (HTTP 422): the question is too big for this server, whatever the budget estimated.
 */
export class SimulationAbortedError extends Error {
  override name = "SimulationAbortedError";
  constructor(
    readonly reason: "deadline" | "memory",
    readonly limit: number,
    what: string,
    howToShrink: string,
  ) {
    super(
      `${what} ${
        reason === "deadline"
          ? `took longer than ${(limit / 1000).toLocaleString("en")} s (LVSFLEET_SIM_DEADLINE_MS)`
          : `needed more than ${limit} MB (LVSFLEET_SIM_MEMORY_MB)`
      } and was stopped; nothing changed. ${howToShrink}`,
    );
  }
}
