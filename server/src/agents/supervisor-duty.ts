import type { Logger } from "pino";
import type { AgentSupervisor } from "./supervisor.ts";
import type { LeaseListener } from "./supervisor-lease.ts";

/** The fleet-wide work besides the agent streams that only the lease holder does (fleet health). */
export interface PausableWork {
  pause(): void;
  resume(): void;
}

/**
 * What the holder of the supervisor lease does: on gaining it, watch every registered agent and
 * run fleet health, pick up agents that registered with another replica (the registry is read
 * again every `syncMs`), and do the fleet's bookkeeping at once and every `bookkeepingMs` (maintenance
 * jobs that lost their queue entry, e.g. in a Redis fail-over that did not move the lease, are queued
 * again); on losing it, stop at once — every stream cancelled, fleet health paused, no more bookkeeping.
 */
export function supervisorDuty(
  supervisor: AgentSupervisor,
  health: PausableWork,
  options: { syncMs: number; log: Logger; bookkeeping?: () => Promise<void>; bookkeepingMs?: number },
): LeaseListener {
  let sync: NodeJS.Timeout | undefined;
  let books: NodeJS.Timeout | undefined;
  let booking = false;
  // not awaited by the lease: a long sweep must not hold up its renewals (each of its writes is a compare-and-set)
  const bookkeeping = () => {
    if (booking || !options.bookkeeping) return;
    booking = true;
    void options
      .bookkeeping()
      .catch((error) => options.log.warn({ err: (error as Error).message }, "supervisor: bookkeeping failed"))
      .finally(() => {
        booking = false;
      });
  };
  const resync = () =>
    void supervisor
      .sync()
      .catch((error) => options.log.warn({ err: (error as Error).message }, "supervisor: reading the registry failed"));
  return {
    async gained() {
      health.resume();
      clearInterval(sync);
      sync = setInterval(resync, options.syncMs);
      // a registry that cannot be read now is read again at the next sync
      await supervisor
        .start()
        .catch((error) =>
          options.log.warn({ err: (error as Error).message }, "supervisor: reading the registry failed"),
        );
      bookkeeping();
      clearInterval(books);
      books = setInterval(bookkeeping, options.bookkeepingMs ?? 30_000);
    },
    lost() {
      clearInterval(sync);
      sync = undefined;
      clearInterval(books);
      books = undefined;
      supervisor.stop();
      health.pause();
    },
  };
}
