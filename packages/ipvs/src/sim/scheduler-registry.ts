import type { SeededRandom } from "./random.ts";
import { destinationHashing, maglevHashing, sourceHashing } from "./schedulers-hash.ts";
import { localityLeastConnection, localityLeastConnectionReplicated } from "./schedulers-lblc.ts";
import {
  leastConnection,
  neverQueue,
  powerOfTwo,
  shortestExpectedDelay,
  weightedFailover,
  weightedLeastConnection,
  weightedOverflow,
} from "./schedulers-lc.ts";
import { roundRobin, weightedRoundRobin } from "./schedulers-rr.ts";
import type { SchedulerState, SimService } from "./types.ts";

export interface SchedulerContext {
  now: number;
  random: SeededRandom;
  lblcExpiration: () => number;
  lblcrExpiration: () => number;
}

/** init_service of the service's scheduler. */
export function schedulerFor(service: SimService, context: SchedulerContext): SchedulerState {
  switch (service.config.scheduler) {
    case "rr":
      return roundRobin();
    case "wrr":
      return weightedRoundRobin(service);
    case "lc":
      return leastConnection();
    case "wlc":
      return weightedLeastConnection();
    case "sed":
      return shortestExpectedDelay();
    case "nq":
      return neverQueue();
    case "fo":
      return weightedFailover();
    case "ovf":
      return weightedOverflow();
    case "twos":
      return powerOfTwo(context.random);
    case "sh":
      return sourceHashing(service);
    case "dh":
      return destinationHashing(service);
    case "mh":
      return maglevHashing(service);
    case "lblc":
      return localityLeastConnection(context.now, context.lblcExpiration);
    case "lblcr":
      return localityLeastConnectionReplicated(context.now, context.lblcrExpiration);
  }
}
