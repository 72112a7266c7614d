// Original file: proto/lvsfleet/v1/agent.proto

import type { SimulatedLoad as _lvsfleet_v1_SimulatedLoad, SimulatedLoad__Output as _lvsfleet_v1_SimulatedLoad__Output } from '../../lvsfleet/v1/SimulatedLoad.ts';
import type { Long } from '@grpc/proto-loader';

export interface SimulatedTraffic {
  'load'?: (_lvsfleet_v1_SimulatedLoad | null);
  /**
   * New connections the load opened since the agent started, and those it could not place.
   */
  'opened'?: (number | string | Long);
  'refused'?: (number | string | Long);
  /**
   * Held connections still open.
   */
  'held'?: (number);
  /**
   * Connections (not persistence templates) in the simulated table now.
   */
  'connections'?: (number | string | Long);
}

export interface SimulatedTraffic__Output {
  'load': (_lvsfleet_v1_SimulatedLoad__Output | null);
  /**
   * New connections the load opened since the agent started, and those it could not place.
   */
  'opened': (number);
  'refused': (number);
  /**
   * Held connections still open.
   */
  'held': (number);
  /**
   * Connections (not persistence templates) in the simulated table now.
   */
  'connections': (number);
}
