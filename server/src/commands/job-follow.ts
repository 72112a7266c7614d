import type { Actor } from "../access/roles.ts";
import { TERMINAL } from "../maintenance/types.ts";
import type { CommandContext } from "./context.ts";
import type { JobEvent } from "./maintenance.ts";
import { jobEvents } from "./maintenance.ts";

/** What following a job yields: its next event, the end of the caller's authority, or a quiet moment. */
export type FollowItem = { kind: "event"; event: JobEvent } | { kind: "revoked"; message: string } | { kind: "quiet" };

const POLL_MS = 250;

/**
 * A maintenance job's events as they are stored, from `after` on, until the job has ended and every
 * event was given (REST's SSE stream). The caller's authority is checked again every 250 ms: a
 * follower whose token is revoked gets `revoked` and the stream ends. Between events it yields
 * `quiet` at least every 250 ms (a follower can send keep-alives and see that its client left).
 * The caller reads the job once first with jobEvents (an unknown job is an error, not an empty stream).
 */
export async function* followJob(
  ctx: CommandContext,
  actor: Actor,
  id: string,
  after: number,
): AsyncGenerator<FollowItem, void, undefined> {
  let wake: (() => void) | undefined;
  const unsubscribe = ctx.maintenance?.onEvent((job) => {
    if (job.id === id) wake?.();
  });
  let current: Actor | undefined = actor;
  let lastCheck = Date.now();
  try {
    for (;;) {
      if (Date.now() - lastCheck >= POLL_MS) {
        current = await ctx.authority.current(actor);
        lastCheck = Date.now();
        if (!current) {
          yield { kind: "revoked", message: `the authority of ${actor.type} ${actor.name} is gone (revoked)` };
          return;
        }
      }
      const { job, events } = await jobEvents(ctx, current, id, after);
      for (const event of events) {
        yield { kind: "event", event };
        after = event.seq;
      }
      if (TERMINAL.has(job.state) && events.length === 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      yield { kind: "quiet" };
    }
  } finally {
    unsubscribe?.();
  }
}
