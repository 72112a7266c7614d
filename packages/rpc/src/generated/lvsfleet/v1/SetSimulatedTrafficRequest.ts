// Original file: proto/lvsfleet/v1/agent.proto

import type { SimulatedLoad as _lvsfleet_v1_SimulatedLoad, SimulatedLoad__Output as _lvsfleet_v1_SimulatedLoad__Output } from '../../lvsfleet/v1/SimulatedLoad.ts';
import type { HeldConnections as _lvsfleet_v1_HeldConnections, HeldConnections__Output as _lvsfleet_v1_HeldConnections__Output } from '../../lvsfleet/v1/HeldConnections.ts';

export interface SetSimulatedTrafficRequest {
  /**
   * The load from now on; absent: unchanged.
   */
  'load'?: (_lvsfleet_v1_SimulatedLoad | null);
  /**
   * Connections to hold (after release_held, when both are given).
   */
  'hold'?: (_lvsfleet_v1_HeldConnections)[];
  /**
   * Close every held connection now, as their clients would.
   */
  'releaseHeld'?: (boolean);
}

export interface SetSimulatedTrafficRequest__Output {
  /**
   * The load from now on; absent: unchanged.
   */
  'load': (_lvsfleet_v1_SimulatedLoad__Output | null);
  /**
   * Connections to hold (after release_held, when both are given).
   */
  'hold': (_lvsfleet_v1_HeldConnections__Output)[];
  /**
   * Close every held connection now, as their clients would.
   */
  'releaseHeld': (boolean);
}
