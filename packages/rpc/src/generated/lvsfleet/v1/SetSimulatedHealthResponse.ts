// Original file: proto/lvsfleet/v1/agent.proto

import type { RealServerHealth as _lvsfleet_v1_RealServerHealth, RealServerHealth__Output as _lvsfleet_v1_RealServerHealth__Output } from '../../lvsfleet/v1/RealServerHealth.ts';

export interface SetSimulatedHealthResponse {
  /**
   * The real servers' health after the change (their checks decide at their next round).
   */
  'realServers'?: (_lvsfleet_v1_RealServerHealth)[];
}

export interface SetSimulatedHealthResponse__Output {
  /**
   * The real servers' health after the change (their checks decide at their next round).
   */
  'realServers': (_lvsfleet_v1_RealServerHealth__Output)[];
}
