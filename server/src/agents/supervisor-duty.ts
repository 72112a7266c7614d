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
 * again every `syncMs`), and do the fleet's bookkeeping once (maintenance jobs that lost their queue
 * entry are queued again); on losing it, stop at once — every stream cancelled, fleet health paused.
 */
export function supervisorDuty(
  supervisor: AgentSupervisor,
  health: PausableWork,
  options: { syncMs: number; log: Logger; bookkeeping?: () => Promise<void> },
): LeaseListener {
  let sync: NodeJS.Timeout | undefined;
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
      // not awaited: a long sweep must not hold up the lease's renewals (each of its writes is a compare-and-set)
      void options
        .bookkeeping?.()
        .catch((error) => options.log.warn({ err: (error as Error).message }, "supervisor: bookkeeping failed"));
    },
    lost() {
      clearInterval(sync);
      sync = undefined;
      supervisor.stop();
      health.pause();
    },
  };
}
